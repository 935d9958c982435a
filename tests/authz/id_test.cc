#include "authz/id.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace authd::authz {
namespace {

struct ParseOkCase {
  std::string name;
  std::string text;
  Id want;
};

TEST(ParseIdTest, AcceptsSixteenLowercaseHexCharacters) {
  const std::vector<ParseOkCase> cases = {
      {"one", "0000000000000001", 1},
      {"reserved_boundary", "00000000000003e8", 1000},
      {"all_digits", "0123456789abcdef", 0x0123456789abcdefULL},
      {"all_letters", "abcdefabcdefabcd", 0xabcdefabcdefabcdULL},
      {"max", "ffffffffffffffff", std::numeric_limits<uint64_t>::max()},
      {"high_bit", "8000000000000000", 0x8000000000000000ULL},
  };
  for (const ParseOkCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<Id> got = ParseId(c.text, "org_id");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.want);
  }
}

struct ParseErrorCase {
  std::string name;
  std::string text;
  std::string want_message;
};

TEST(ParseIdTest, RejectsMalformedTextWithInvalidArgumentNamingTheField) {
  const std::string kShape = "org_id: id must be 16 lowercase hex characters";
  const std::vector<ParseErrorCase> cases = {
      {"empty", "", kShape},
      {"uppercase", "0123456789ABCDEF", kShape},
      {"one_uppercase_letter", "0123456789abcdeF", kShape},
      {"fifteen_chars", "000000000000001", kShape},
      {"seventeen_chars", "00000000000000001", kShape},
      {"non_hex_letter", "000000000000000g", kShape},
      {"hex_prefix", "0x00000000000001", kShape},
      {"leading_space", " 000000000000001", kShape},
      {"trailing_space", "000000000000001 ", kShape},
      {"minus_sign", "-000000000000001", kShape},
      {"embedded_nul",
       std::string("00000000\0"
                   "0000001",
                   16),
       kShape},
      {"thirty_two_chars", "00000000000000000000000000000001", kShape},
      {"zero", "0000000000000000", "org_id: id must not be zero"},
  };
  for (const ParseErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<Id> got = ParseId(c.text, "org_id");
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(got.status().message()), c.want_message);
  }
}

TEST(ParseIdTest, ErrorMessageNamesTheGivenField) {
  absl::StatusOr<Id> shape = ParseId("XYZ", "permissions[3].resource.id");
  ASSERT_FALSE(shape.ok());
  EXPECT_EQ(shape.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(shape.status().message()),
            "permissions[3].resource.id: id must be 16 lowercase hex characters");

  absl::StatusOr<Id> zero = ParseId("0000000000000000", "user_id");
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(zero.status().message()), "user_id: id must not be zero");
}

TEST(ParseOptionalIdTest, EmptyTextYieldsZero) {
  absl::StatusOr<Id> got = ParseOptionalId("", "org_id");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, 0u);
}

TEST(ParseOptionalIdTest, NonEmptyTextIsParsedLikeParseId) {
  absl::StatusOr<Id> ok = ParseOptionalId("00000000000004d2", "org_id");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, 1234u);

  absl::StatusOr<Id> upper = ParseOptionalId("00000000000004D2", "org_id");
  ASSERT_FALSE(upper.ok());
  EXPECT_EQ(upper.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(upper.status().message()),
            "org_id: id must be 16 lowercase hex characters");

  absl::StatusOr<Id> zero = ParseOptionalId("0000000000000000", "org_id");
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(zero.status().message()), "org_id: id must not be zero");
}

TEST(FormatIdTest, FormatsSixteenLowercaseHexCharacters) {
  EXPECT_EQ(FormatId(1), "0000000000000001");
  EXPECT_EQ(FormatId(1000), "00000000000003e8");
  EXPECT_EQ(FormatId(0x0123456789abcdefULL), "0123456789abcdef");
  EXPECT_EQ(FormatId(std::numeric_limits<uint64_t>::max()), "ffffffffffffffff");
}

TEST(FormatIdTest, ZeroFormatsAsEmptyString) { EXPECT_EQ(FormatId(0), ""); }

TEST(FormatIdTest, RoundTripsThroughParseId) {
  const std::vector<Id> ids = {1,
                               999,
                               1000,
                               0xdeadbeefULL,
                               0x0123456789abcdefULL,
                               0xfedcba9876543210ULL,
                               std::numeric_limits<uint64_t>::max()};
  for (Id id : ids) {
    SCOPED_TRACE(id);
    std::string text = FormatId(id);
    EXPECT_EQ(text.size(), 16u);
    absl::StatusOr<Id> back = ParseId(text, "id");
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, id);
  }
}

TEST(NewRandomIdTest, IsNeverBelowReservedRangeAndDistinctOverThousandDraws) {
  absl::flat_hash_set<Id> seen;
  for (int i = 0; i < 1000; ++i) {
    Id id = NewRandomId();
    EXPECT_GE(id, 1000u);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(NewRandomIdTest, RoundTripsThroughFormatAndParse) {
  for (int i = 0; i < 100; ++i) {
    Id id = NewRandomId();
    absl::StatusOr<Id> back = ParseId(FormatId(id), "id");
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, id);
  }
}

}  // namespace
}  // namespace authd::authz
