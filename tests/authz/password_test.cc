#include "authz/password.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace authd::authz {
namespace {

// Cheap Argon2id parameters so most tests run in microseconds.
PasswordHashOptions FastOptions() {
  PasswordHashOptions options;
  options.memory_kib = 64;
  options.iterations = 1;
  options.parallelism = 1;
  return options;
}

struct LengthCase {
  std::string name;
  size_t length;
  bool ok;
};

TEST(ValidatePasswordTest, AcceptsEightToSeventyTwoCharacters) {
  const std::vector<LengthCase> cases = {
      {"empty", 0, false},          {"seven", 7, false},
      {"eight", 8, true},           {"nine", 9, true},
      {"seventy_one", 71, true},    {"seventy_two", 72, true},
      {"seventy_three", 73, false}, {"one_thousand", 1000, false},
  };
  for (const LengthCase& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string password(c.length, 'p');
    absl::Status status = ValidatePassword(password);
    if (c.ok) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(std::string(status.message()), "password: must be 8 to 72 characters");
    }
  }
}

TEST(ValidatePasswordTest, ErrorMessageNeverContainsThePassword) {
  for (const std::string& password : {std::string("hunter2"), std::string(80, 'S')}) {
    absl::Status status = ValidatePassword(password);
    ASSERT_FALSE(status.ok());
    EXPECT_FALSE(absl::StrContains(status.ToString(), password));
  }
}

TEST(HashPasswordTest, ProducesArgon2idPhcStringWithGivenCost) {
  absl::StatusOr<std::string> encoded = HashPassword("correct horse", FastOptions());
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  EXPECT_TRUE(absl::StartsWith(*encoded, "$argon2id$v=19$m=64,t=1,p=1$")) << *encoded;
  EXPECT_FALSE(absl::StrContains(*encoded, "correct horse"));
}

TEST(HashPasswordTest, UsesFreshSaltEachTime) {
  absl::StatusOr<std::string> a = HashPassword("same-password", FastOptions());
  absl::StatusOr<std::string> b = HashPassword("same-password", FastOptions());
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(VerifyPassword("same-password", *a));
  EXPECT_TRUE(VerifyPassword("same-password", *b));
}

TEST(HashPasswordTest, FailsWithInternalWithoutLeakingPasswordWhenArgon2RejectsOptions) {
  PasswordHashOptions bad = FastOptions();
  bad.memory_kib = 1;  // Below Argon2's minimum of 8 KiB per lane.
  absl::StatusOr<std::string> encoded = HashPassword("leaky-password-123", bad);
  ASSERT_FALSE(encoded.ok());
  EXPECT_EQ(encoded.status().code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(absl::StrContains(encoded.status().ToString(), "leaky-password-123"));
}

TEST(VerifyPasswordTest, TrueForRightPasswordFalseForWrongOnes) {
  const std::string password = "s3cret-Passw0rd";
  absl::StatusOr<std::string> encoded = HashPassword(password, FastOptions());
  ASSERT_TRUE(encoded.ok()) << encoded.status();

  EXPECT_TRUE(VerifyPassword(password, *encoded));
  const std::vector<std::string> wrong = {
      "",
      "s3cret-Passw0r",
      "s3cret-Passw0rd!",
      "S3cret-Passw0rd",
      "s3cret-passw0rd",
      " s3cret-Passw0rd",
      std::string("s3cret-Passw0rd\0", 16),
  };
  for (const std::string& w : wrong) {
    SCOPED_TRACE(w);
    EXPECT_FALSE(VerifyPassword(w, *encoded));
  }
}

TEST(VerifyPasswordTest, DistinguishesPasswordsBeyondSeventyTwoBytes) {
  // Unlike bcrypt, Argon2 reads the whole input: no silent truncation.
  const std::string base(72, 'a');
  absl::StatusOr<std::string> encoded = HashPassword(base + "X", FastOptions());
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  EXPECT_TRUE(VerifyPassword(base + "X", *encoded));
  EXPECT_FALSE(VerifyPassword(base + "Y", *encoded));
  EXPECT_FALSE(VerifyPassword(base, *encoded));
}

TEST(VerifyPasswordTest, FalseForEmptyOrMalformedEncoded) {
  absl::StatusOr<std::string> good = HashPassword("password123", FastOptions());
  ASSERT_TRUE(good.ok()) << good.status();
  std::string tampered = *good;
  // Flip a character well inside the hash part (the last one may only carry padding bits).
  char& c = tampered[tampered.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  std::string other_type = *good;
  other_type.replace(0, 9, "$argon2i");  // "$argon2id" -> "$argon2i"

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"garbage", "not a hash"},
      {"prefix_only", "$argon2id$"},
      {"truncated", good->substr(0, good->size() / 2)},
      {"tampered_hash", tampered},
      {"argon2i_type", other_type},
      {"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
      {"token_hash", "$authd-sha256$ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0="},
  };
  for (const auto& [name, encoded] : cases) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(VerifyPassword("password123", encoded));
  }
}

TEST(HashPasswordTest, DefaultOptionsUseOwaspMinimumCost) {
  PasswordHashOptions defaults;
  EXPECT_EQ(defaults.memory_kib, 19456u);
  EXPECT_EQ(defaults.iterations, 2u);
  EXPECT_EQ(defaults.parallelism, 1u);

  absl::StatusOr<std::string> encoded = HashPassword("default-cost-password");
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  EXPECT_TRUE(absl::StartsWith(*encoded, "$argon2id$v=19$m=19456,t=2,p=1$")) << *encoded;
  EXPECT_TRUE(VerifyPassword("default-cost-password", *encoded));
  EXPECT_FALSE(VerifyPassword("default-cost-passwore", *encoded));
}

}  // namespace
}  // namespace authd::authz
