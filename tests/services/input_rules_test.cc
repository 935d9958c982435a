#include "services/input_rules.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace authd::services {
namespace {

struct Case {
  const char* label;
  std::string value;
  bool name_ok;         // ValidateName accepts it.
  bool description_ok;  // ValidateDescription accepts it.
  const char* reason;   // Expected message suffix when rejected (after "<field>: ").
};

constexpr char kUtf8Reason[] = "must be valid UTF-8 without control characters";

std::vector<Case> Cases() {
  return {
      {"empty", "", false, true, "required"},
      {"ascii", "my-bucket_01", true, true, nullptr},
      {"space inside", "my bucket", true, true, nullptr},
      {"256 bytes", std::string(256, 'n'), true, true, nullptr},
      {"257 bytes", std::string(257, 'n'), false, true, "longer than 256 bytes"},
      {"1024 bytes", std::string(1024, 'd'), false, true, "longer than 256 bytes"},
      {"1025 bytes", std::string(1025, 'd'), false, false, "longer than"},
      {"two-byte utf8", "caf\xc3\xa9", true, true, nullptr},
      {"three-byte utf8", "\xe6\x97\xa5\xe6\x9c\xac", true, true, nullptr},
      {"four-byte utf8", "emoji \xf0\x9f\x98\x80", true, true, nullptr},
      {"last code point", "\xf4\x8f\xbf\xbf", true, true, nullptr},
      {"256 bytes of multi-byte", [] {
         std::string s;
         for (int i = 0; i < 128; ++i) s += "\xc3\xa9";
         return s;
       }(), true, true, nullptr},
      {"overlong slash (2 bytes)", "a\xc0\xaf", false, false, kUtf8Reason},
      {"overlong NUL (2 bytes)", "a\xc0\x80", false, false, kUtf8Reason},
      {"overlong (3 bytes)", "a\xe0\x80\xaf", false, false, kUtf8Reason},
      {"overlong (4 bytes)", "a\xf0\x80\x80\xaf", false, false, kUtf8Reason},
      {"lone continuation byte", "a\x80z", false, false, kUtf8Reason},
      {"truncated sequence", "a\xe6\x97", false, false, kUtf8Reason},
      {"lead byte then ascii", "\xc3z", false, false, kUtf8Reason},
      {"high surrogate", "a\xed\xa0\x80", false, false, kUtf8Reason},
      {"low surrogate", "a\xed\xbf\xbf", false, false, kUtf8Reason},
      {"above U+10FFFF", "\xf4\x90\x80\x80", false, false, kUtf8Reason},
      {"invalid lead 0xf8", "\xf8\x88\x80\x80\x80", false, false, kUtf8Reason},
      {"invalid byte 0xff", "a\xff", false, false, kUtf8Reason},
      {"NUL", std::string("a\0b", 3), false, false, kUtf8Reason},
      {"newline", "a\nb", false, false, kUtf8Reason},
      {"carriage return", "a\rb", false, false, kUtf8Reason},
      {"escape", "a\x1b[31m", false, false, kUtf8Reason},
      {"DEL", "a\x7f", false, false, kUtf8Reason},
      {"C1 control U+0085", "a\xc2\x85", false, false, kUtf8Reason},
      {"tab", "a\tb", false, true, kUtf8Reason},
  };
}

TEST(InputRulesTest, ValidateNameTable) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.label);
    absl::Status s = ValidateName(c.value, "name");
    if (c.name_ok) {
      EXPECT_TRUE(s.ok()) << s;
      continue;
    }
    ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(absl::StartsWith(s.message(), "name: ")) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), c.reason)) << s;
  }
}

TEST(InputRulesTest, ValidateDescriptionTable) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.label);
    absl::Status s = ValidateDescription(c.value, "description");
    if (c.description_ok) {
      EXPECT_TRUE(s.ok()) << s;
      continue;
    }
    ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(absl::StartsWith(s.message(), "description: ")) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), c.label == std::string("1025 bytes")
                                                   ? "longer than 1024 bytes"
                                                   : c.reason))
        << s;
  }
}

TEST(InputRulesTest, ValidateNameMessageNamesFieldGiven) {
  absl::Status s = ValidateName("", "org.name");
  EXPECT_EQ(s.message(), "org.name: required");
  s = ValidateName(std::string(257, 'x'), "bucket");
  EXPECT_EQ(s.message(), "bucket: longer than 256 bytes");
  s = ValidateName("a\n", "user");
  EXPECT_EQ(s.message(), "user: must be valid UTF-8 without control characters");
}

TEST(InputRulesTest, ValidateDescriptionMessageNamesFieldGiven) {
  absl::Status s = ValidateDescription(std::string(1025, 'x'), "token.description");
  EXPECT_EQ(s.message(), "token.description: longer than 1024 bytes");
}

TEST(InputRulesTest, ErrorMessagesNeverContainTheValue) {
  const std::string secret = "S3cretValue-Qx9";
  const std::vector<std::string> bad_values = {
      secret + "\n",        secret + "\x01",         secret + "\xc0\xaf",
      secret + "\xed\xa0\x80", secret + std::string(300, 'z'),
  };
  for (const std::string& v : bad_values) {
    absl::Status name = ValidateName(v, "name");
    ASSERT_FALSE(name.ok());
    EXPECT_FALSE(absl::StrContains(name.message(), secret)) << name;
    absl::Status description = ValidateDescription(v + std::string(1024, 'z'), "description");
    ASSERT_FALSE(description.ok());
    EXPECT_FALSE(absl::StrContains(description.message(), secret)) << description;
  }
  absl::Status desc_utf8 = ValidateDescription(secret + "\xff", "description");
  ASSERT_FALSE(desc_utf8.ok());
  EXPECT_FALSE(absl::StrContains(desc_utf8.message(), secret)) << desc_utf8;
  auto status = ParseRequiredStatus(secret);
  ASSERT_FALSE(status.ok());
  EXPECT_FALSE(absl::StrContains(status.status().message(), secret));
}

TEST(InputRulesTest, ParseRequiredStatusAcceptsActiveAndInactive) {
  auto active = ParseRequiredStatus("active");
  ASSERT_TRUE(active.ok());
  EXPECT_TRUE(*active);
  auto inactive = ParseRequiredStatus("inactive");
  ASSERT_TRUE(inactive.ok());
  EXPECT_FALSE(*inactive);
}

TEST(InputRulesTest, ParseRequiredStatusRejectsAnythingElse) {
  for (const char* v : {"", "Active", "ACTIVE", "enabled", " active", "active ", "inactive\n"}) {
    auto got = ParseRequiredStatus(v);
    ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << v;
    EXPECT_EQ(got.status().message(), "status: must be active or inactive") << v;
  }
}

}  // namespace
}  // namespace authd::services
