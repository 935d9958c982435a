#include "authz/token_hash.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace authd::authz {
namespace {

// FIPS 180-2 test vector: SHA-256("abc").
constexpr char kAbcSha256Hex[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
// base64url-with-padding of that digest, computed with Python's base64.urlsafe_b64encode.
constexpr char kAbcPhc[] = "$authd-sha256$ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0=";
// SHA-256("") = e3b0c442...b855.
constexpr char kEmptyPhc[] = "$authd-sha256$47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=";
// InfluxDB's influxdb2-sha256 test vector (pkg/crypt/algorithm/influxdb2): same digest, so the
// same body as `$influxdb2-sha256$kMrC1MoFhWvvKSgyqpMaLuo2O3LINv4_XByCSkfV9K0=`.
constexpr char kInfluxToken[] = "c27cb2033ab304629d32e1dbcd0ca7186322d3be98af5dd4c329ab800ef85d73";
constexpr char kInfluxPhc[] = "$authd-sha256$kMrC1MoFhWvvKSgyqpMaLuo2O3LINv4_XByCSkfV9K0=";

TokenDigest DigestFromHex(absl::string_view hex) {
  std::string bytes = absl::HexStringToBytes(hex);
  TokenDigest digest{};
  EXPECT_EQ(bytes.size(), digest.size());
  std::memcpy(digest.data(), bytes.data(), std::min(bytes.size(), digest.size()));
  return digest;
}

std::string PhcWithBody(absl::string_view body) { return "$authd-sha256$" + std::string(body); }

TEST(TokenHashTest, VariantIsAuthdSha256) {
  EXPECT_EQ(std::string(kSha256Variant), "authd-sha256");
}

TEST(DigestTokenTest, IsSha256OfTheTokenBytes) {
  EXPECT_EQ(DigestToken("abc"), DigestFromHex(kAbcSha256Hex));
  EXPECT_EQ(DigestToken(""),
            DigestFromHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT_EQ(DigestToken(kInfluxToken),
            DigestFromHex("90cac2d4ca05856bef292832aa931a2eea363b72c836fe3f5c1c824a47d5f4ad"));
}

TEST(DigestTokenTest, HashesEmbeddedNulBytes) {
  EXPECT_NE(DigestToken(std::string("abc\0", 4)), DigestToken("abc"));
}

TEST(HashTokenTest, EncodesPrefixAndPaddedBase64UrlOfSha256) {
  struct Case {
    std::string name;
    std::string token;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"abc", "abc", kAbcPhc},
      {"empty", "", kEmptyPhc},
      {"influxdb_vector", kInfluxToken, kInfluxPhc},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string got = HashToken(c.token);
    EXPECT_EQ(got, c.want);
    EXPECT_EQ(got.size(), 58u);
  }
}

TEST(HashTokenTest, UsesUrlSafeAlphabetWithPadding) {
  // SHA-256("") contains both 62 ('-') and 63 ('_') sextets, which standard base64 spells '+' '/'.
  std::string got = HashToken("");
  EXPECT_TRUE(absl::StrContains(got, "-"));
  EXPECT_TRUE(absl::StrContains(got, "_"));
  EXPECT_FALSE(absl::StrContains(got, "+"));
  EXPECT_FALSE(absl::StrContains(got, "/"));
  EXPECT_TRUE(absl::EndsWith(got, "="));
}

TEST(EncodeTokenHashTest, AgreesWithHashToken) {
  for (const char* token : {"", "abc", kInfluxToken, "authd_some-token-value"}) {
    SCOPED_TRACE(token);
    EXPECT_EQ(EncodeTokenHash(DigestToken(token)), HashToken(token));
  }
  EXPECT_EQ(EncodeTokenHash(DigestFromHex(kAbcSha256Hex)), kAbcPhc);
}

TEST(DecodeTokenHashTest, DecodesKnownStringToKnownDigest) {
  absl::StatusOr<TokenDigest> got = DecodeTokenHash(kAbcPhc);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, DigestFromHex(kAbcSha256Hex));
}

TEST(DecodeTokenHashTest, RoundTripsHashToken) {
  std::vector<std::string> tokens = {"", "abc", kInfluxToken, std::string(512, 'x'),
                                     std::string("nul\0inside", 10)};
  for (int i = 0; i < 50; ++i) tokens.push_back("token-" + std::to_string(i));
  for (const std::string& token : tokens) {
    SCOPED_TRACE(token);
    absl::StatusOr<TokenDigest> got = DecodeTokenHash(HashToken(token));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, DigestToken(token));
  }
}

struct DecodeErrorCase {
  std::string name;
  std::string phc;
  std::string want_substring;
};

TEST(DecodeTokenHashTest, RejectsUnknownVariantsAndMalformedBodiesWithInvalidArgument) {
  const std::string body = "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0=";
  const std::vector<DecodeErrorCase> cases = {
      {"empty", "", "token hash"},
      {"raw_token", "abc", "token hash"},
      {"missing_leading_dollar", "authd-sha256$" + body, "token hash"},
      {"missing_second_dollar", "$authd-sha256", "token hash"},
      {"only_dollar", "$", "token hash"},
      {"empty_variant", "$$" + body, "unknown variant"},
      {"sha512_variant", "$authd-sha512$" + body, "unknown variant"},
      {"influxdb_variant", std::string(kInfluxPhc).replace(1, 12, "influxdb2-sha256"),
       "unknown variant"},
      {"uppercase_variant", "$AUTHD-SHA256$" + body, "unknown variant"},
      {"variant_with_suffix", "$authd-sha256x$" + body, "unknown variant"},
      {"empty_body", "$authd-sha256$", "malformed digest"},
      {"body_truncated", PhcWithBody(body.substr(0, 40)), "malformed digest"},
      {"body_too_long_48_bytes", PhcWithBody(std::string(64, 'A')), "malformed digest"},
      {"body_sixteen_bytes", PhcWithBody("AAAAAAAAAAAAAAAAAAAAAA=="), "malformed digest"},
      {"body_sha512_length",
       PhcWithBody(
           "ffgzLTTAyWBDczT0kKzwLzLjlemQh6UiFvqIA0CPd-B7qgqAetWEuKRI9qOLeE4ak6mxcxwthyKUO40s"
           "Hf5V5w=="),
       "malformed digest"},
      {"body_invalid_character", PhcWithBody("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD!YfIAFa0="),
       "malformed digest"},
      {"body_hex_digest", PhcWithBody(kAbcSha256Hex), "malformed digest"},
      {"body_extra_dollar", PhcWithBody(body + "$"), "malformed digest"},
  };
  for (const DecodeErrorCase& c : cases) {
    SCOPED_TRACE(c.name + ": " + c.phc);
    absl::StatusOr<TokenDigest> got = DecodeTokenHash(c.phc);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(got.status().message(), c.want_substring))
        << got.status().message();
  }
}

TEST(DecodeTokenHashTest, ReEncodingACanonicalStringGivesItBack) {
  for (const char* phc : {kAbcPhc, kEmptyPhc, kInfluxPhc}) {
    SCOPED_TRACE(phc);
    absl::StatusOr<TokenDigest> got = DecodeTokenHash(phc);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(EncodeTokenHash(*got), phc);
  }
}

// The stored form is exactly "$authd-sha256$" + 44 padded base64url characters, and storage uses
// the PHC string itself as the on-disk index key while the in-memory index uses the decoded
// digest: a string that decodes but is not the canonical encoding would make the two disagree.
// DISABLED: authz/token_hash.cc accepts these (see the test report).
TEST(DecodeTokenHashTest, RejectsNonCanonicalBodies) {
  const std::string body = "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0=";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"unpadded", PhcWithBody(body.substr(0, 43))},
      {"over_padded", PhcWithBody(body + "==")},
      {"non_zero_trailing_bits", PhcWithBody("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa1=")},
      {"leading_space", PhcWithBody(" " + body)},
      {"inner_space", PhcWithBody(body.substr(0, 16) + " " + body.substr(16))},
      {"trailing_newline", PhcWithBody(body + "\n")},
  };
  for (const auto& [name, phc] : cases) {
    SCOPED_TRACE(name);
    absl::StatusOr<TokenDigest> got = DecodeTokenHash(phc);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(got.status().message()), "token hash: malformed digest");
  }
}

TEST(DecodeTokenHashTest, UnknownVariantMessageNamesTheVariant) {
  absl::StatusOr<TokenDigest> got = DecodeTokenHash("$authd-sha512$AAAA");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(got.status().message()), "token hash: unknown variant \"authd-sha512\"");
}

TEST(DecodeTokenHashTest, MalformedMessageDoesNotEchoTheHash) {
  const std::string phc = PhcWithBody("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD!YfIAFa0=");
  absl::StatusOr<TokenDigest> got = DecodeTokenHash(phc);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(std::string(got.status().message()), "token hash: malformed digest");
}

TEST(DigestEqualsTest, ComparesEveryByte) {
  TokenDigest a = DigestToken("abc");
  TokenDigest b = DigestToken("abc");
  EXPECT_TRUE(DigestEquals(a, b));
  EXPECT_TRUE(DigestEquals(a, a));
  EXPECT_FALSE(DigestEquals(a, DigestToken("abd")));
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(i);
    TokenDigest c = a;
    c[i] ^= 0x01;
    EXPECT_FALSE(DigestEquals(a, c));
    EXPECT_FALSE(DigestEquals(c, a));
  }
}

TEST(TokenDigestHashTest, EqualDigestsHashEquallyAndWorkAsSetKey) {
  TokenDigestHash hash;
  EXPECT_EQ(hash(DigestToken("abc")), hash(DigestToken("abc")));
  absl::flat_hash_set<TokenDigest, TokenDigestHash> set;
  for (int i = 0; i < 100; ++i) set.insert(DigestToken("t" + std::to_string(i)));
  for (int i = 0; i < 100; ++i) set.insert(DigestToken("t" + std::to_string(i)));
  EXPECT_EQ(set.size(), 100u);
  EXPECT_TRUE(set.contains(DigestToken("t42")));
  EXPECT_FALSE(set.contains(DigestToken("t100")));
}

}  // namespace
}  // namespace authd::authz
