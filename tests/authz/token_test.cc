#include "authz/token.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace authd::authz {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// "authd_" + 43 x '0' + base62(CRC32) computed independently with Python's zlib.crc32.
constexpr char kKnownWellFormed[] = "authd_00000000000000000000000000000000000000000003eHI3I";

bool IsBase62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

const char* ShapeName(TokenShape shape) {
  return shape == TokenShape::kPlausible ? "plausible" : "impossible";
}

TEST(TokenFormatTest, ConstantsDescribeFiftyFiveCharacterTokens) {
  EXPECT_EQ(std::string(kTokenPrefix), "authd_");
  EXPECT_EQ(kTokenSecretChars, 43u);
  EXPECT_EQ(kTokenChecksumChars, 6u);
  EXPECT_EQ(kGeneratedTokenLength, 55u);
  EXPECT_EQ(kMinSuppliedTokenLength, 16u);
  EXPECT_EQ(kMaxTokenLength, 512u);
}

TEST(TokenChecksumTest, IsBase62OfCrc32AsSixCharacters) {
  // Expected values computed with Python: base62(zlib.crc32(text)), most significant digit first.
  EXPECT_EQ(TokenChecksum(""), "000000");
  EXPECT_EQ(TokenChecksum("abc"), "0yKviM");  // CRC32("abc") = 0x352441c2.
  EXPECT_EQ(TokenChecksum("authd_0000000000000000000000000000000000000000000"), "3eHI3I");
  EXPECT_EQ(TokenChecksum("authd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), "3HQ0yz");
}

TEST(GenerateTokenTest, HasPrefixBase62BodyAndVerifyingChecksum) {
  for (int i = 0; i < 100; ++i) {
    std::string token = GenerateToken();
    SCOPED_TRACE(token);
    ASSERT_EQ(token.size(), 55u);
    EXPECT_TRUE(absl::StartsWith(token, "authd_"));
    for (size_t j = 6; j < token.size(); ++j) {
      EXPECT_TRUE(IsBase62(token[j])) << "position " << j;
    }
    EXPECT_EQ(token.substr(49), TokenChecksum(token.substr(0, 49)));
    EXPECT_EQ(ClassifyToken(token), TokenShape::kPlausible);
    EXPECT_TRUE(ValidateSuppliedToken(token).ok());
  }
}

TEST(GenerateTokenTest, ThousandTokensAreDistinct) {
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(GenerateToken());
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(GenerateTokenTest, SecretUsesTheWholeBase62Alphabet) {
  // 43,000 uniform draws from 62 symbols: a missing symbol means a biased or broken encoder
  // (the chance of a miss with a correct one is about 62 * (61/62)^43000, i.e. never).
  absl::flat_hash_set<char> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string token = GenerateToken();
    for (size_t j = 6; j < 49; ++j) seen.insert(token[j]);
  }
  EXPECT_EQ(seen.size(), 62u);
}

TEST(ClassifyTokenTest, KnownWellFormedTokenIsPlausible) {
  EXPECT_EQ(ClassifyToken(kKnownWellFormed), TokenShape::kPlausible);
}

TEST(ClassifyTokenTest, AnySingleCharacterSubstitutionAfterPrefixIsImpossible) {
  for (int round = 0; round < 3; ++round) {
    const std::string token = round == 0 ? std::string(kKnownWellFormed) : GenerateToken();
    for (size_t pos = kTokenPrefix.size(); pos < token.size(); ++pos) {
      std::string replacements = kAlphabet;
      replacements += "-_.~+/=!";
      for (char c : replacements) {
        if (c == token[pos]) continue;
        std::string mutated = token;
        mutated[pos] = c;
        if (ClassifyToken(mutated) != TokenShape::kImpossible) {
          ADD_FAILURE() << "token " << token << " position " << pos << " -> '" << c
                        << "' classified " << ShapeName(ClassifyToken(mutated));
        }
      }
    }
  }
}

TEST(ClassifyTokenTest, AdjacentTranspositionAfterPrefixIsImpossible) {
  const std::string token = GenerateToken();
  for (size_t pos = kTokenPrefix.size(); pos + 1 < token.size(); ++pos) {
    if (token[pos] == token[pos + 1]) continue;
    std::string mutated = token;
    std::swap(mutated[pos], mutated[pos + 1]);
    EXPECT_EQ(ClassifyToken(mutated), TokenShape::kImpossible) << token << " position " << pos;
  }
}

// A typo inside the prefix turns the value into an ordinary 55-character supplied-shaped string,
// which the header defines as plausible (it no longer claims the prefix).
TEST(ClassifyTokenTest, SubstitutionInsidePrefixFallsBackToSuppliedShape) {
  const std::string token = GenerateToken();
  for (size_t pos = 0; pos < kTokenPrefix.size(); ++pos) {
    std::string mutated = token;
    mutated[pos] = mutated[pos] == 'x' ? 'y' : 'x';
    EXPECT_EQ(ClassifyToken(mutated), TokenShape::kPlausible) << "position " << pos;
  }
}

TEST(ClassifyTokenTest, TruncatedOrExtendedGeneratedTokenIsImpossible) {
  const std::string token = GenerateToken();
  // Every truncation that keeps the prefix claim: from "authd_" alone up to one char short.
  for (size_t len = kTokenPrefix.size(); len < token.size(); ++len) {
    SCOPED_TRACE(len);
    EXPECT_EQ(ClassifyToken(token.substr(0, len)), TokenShape::kImpossible);
  }
  EXPECT_EQ(ClassifyToken(token + "0"), TokenShape::kImpossible);
  EXPECT_EQ(ClassifyToken(token + token), TokenShape::kImpossible);
  EXPECT_EQ(ClassifyToken(""), TokenShape::kImpossible);
}

struct ShapeCase {
  std::string name;
  std::string token;
  TokenShape want;
};

TEST(ClassifyTokenTest, ClassifiesSuppliedTokensByLengthAndCharacters) {
  std::string all_printable;
  for (char c = 0x21; c < 0x7f; ++c) all_printable.push_back(c);
  const std::vector<ShapeCase> cases = {
      {"sixteen_chars", std::string(16, 'a'), TokenShape::kPlausible},
      {"five_hundred_twelve_chars", std::string(512, 'Z'), TokenShape::kPlausible},
      {"every_printable_character", all_printable, TokenShape::kPlausible},
      {"influxdb_style_base64",
       "A9Ovdl8SmP-rfp8wQ2vJoPUsZoQQJ3EochD88SlJcgrcLw4HBwgUqpSHQxc9N9Drg0_aY6Lp1jutBRcKhbV7aQ==",
       TokenShape::kPlausible},
      {"prefix_in_the_middle", "my-authd_token-value", TokenShape::kPlausible},
      {"empty", "", TokenShape::kImpossible},
      {"fifteen_chars", std::string(15, 'a'), TokenShape::kImpossible},
      {"five_hundred_thirteen_chars", std::string(513, 'Z'), TokenShape::kImpossible},
      {"space", "aaaaaaaa aaaaaaaa", TokenShape::kImpossible},
      {"leading_space", " aaaaaaaaaaaaaaaa", TokenShape::kImpossible},
      {"tab", "aaaaaaaa\taaaaaaaa", TokenShape::kImpossible},
      {"newline", "aaaaaaaaaaaaaaaa\n", TokenShape::kImpossible},
      {"nul", std::string("aaaaaaaa\0aaaaaaaa", 17), TokenShape::kImpossible},
      {"del", "aaaaaaaa\177aaaaaaaa", TokenShape::kImpossible},
      {"non_ascii_utf8", "aaaaaaaa\303\251aaaaaaaa", TokenShape::kImpossible},
      {"high_byte_0x80", "aaaaaaaa\200aaaaaaaa", TokenShape::kImpossible},
      {"high_byte_0xff", "aaaaaaaa\377aaaaaaaa", TokenShape::kImpossible},
      {"prefix_without_checksum", "authd_mysupersecretvalue", TokenShape::kImpossible},
      {"prefix_long", "authd_" + std::string(506, 'a'), TokenShape::kImpossible},
  };
  for (const ShapeCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ClassifyToken(c.token), c.want);
  }
}

struct SuppliedCase {
  std::string name;
  std::string token;
  std::string want_message;  // Empty means OK.
};

TEST(ValidateSuppliedTokenTest, NamesTheRuleBrokenWithInvalidArgument) {
  const std::string kLength = "token: must be 16 to 512 characters";
  const std::string kChars = "token: must be printable ASCII characters without spaces";
  const std::string kPrefix =
      "token: a token starting with \"authd_\" must be a well-formed authd token (checksum)";
  const std::vector<SuppliedCase> cases = {
      {"sixteen_chars", "0123456789abcdef", ""},
      {"five_hundred_twelve_chars", std::string(512, '~'), ""},
      {"generated_shape", kKnownWellFormed, ""},
      {"empty", "", kLength},
      {"fifteen_chars", "secret-value-15", kLength},
      {"five_hundred_thirteen_chars", std::string(513, 'q'), kLength},
      {"space", "my secret value!", kChars},
      {"control_char", "my\x01secret-value!", kChars},
      {"non_ascii", "my-s\303\251cret-value!", kChars},
      {"prefix_without_checksum", "authd_mysupersecretvalue", kPrefix},
      {"prefix_with_bad_checksum", "authd_00000000000000000000000000000000000000000003eHI3J",
       kPrefix},
  };
  for (const SuppliedCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::Status status = ValidateSuppliedToken(c.token);
    if (c.want_message.empty()) {
      EXPECT_TRUE(status.ok()) << status;
      continue;
    }
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(status.message()), c.want_message);
    if (!c.token.empty()) {
      EXPECT_FALSE(absl::StrContains(status.message(), c.token));
    }
  }
}

TEST(ValidateSuppliedTokenTest, AgreesWithClassifyToken) {
  const std::vector<std::string> tokens = {
      "",
      std::string(15, 'a'),
      std::string(16, 'a'),
      std::string(512, 'a'),
      std::string(513, 'a'),
      "aaaaaaaa aaaaaaaa",
      "authd_mysupersecretvalue",
      kKnownWellFormed,
      GenerateToken(),
      "authd_" + std::string(49, '0'),
  };
  for (const std::string& token : tokens) {
    SCOPED_TRACE(token);
    EXPECT_EQ(ValidateSuppliedToken(token).ok(), ClassifyToken(token) == TokenShape::kPlausible);
  }
}

TEST(ValidateSuppliedTokenTest, ErrorMessagesNeverContainTheToken) {
  const std::vector<std::string> secrets = {
      "hunter2-pass",                     // too short
      "correct horse battery staple",     // space
      "authd_correcthorsebatterystaple",  // prefix without checksum
      std::string(600, 'S'),              // too long
      "s3cr3t\x7fvalue-that-is-long",     // control character
  };
  for (const std::string& secret : secrets) {
    absl::Status status = ValidateSuppliedToken(secret);
    ASSERT_FALSE(status.ok());
    EXPECT_FALSE(absl::StrContains(status.message(), secret));
    EXPECT_FALSE(absl::StrContains(status.ToString(), secret));
  }
}

}  // namespace
}  // namespace authd::authz
