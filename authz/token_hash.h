// Token hashing at rest. A stored hash is a versioned PHC-style string, as InfluxDB 2.8+ does:
//
//   $authd-sha256$<base64url(SHA-256(token bytes)), padded>     (14 + 44 = 58 characters)
//
// Unsalted on purpose: tokens carry >= 96 bits of entropy (256 when generated) and the hash is the
// lookup key. The variant name leaves room for a keyed or stronger variant later: a reader must
// refuse variants it does not know. SHA-256 comes from OpenSSL's libcrypto. Thread-safe.
#ifndef AUTHD_AUTHZ_TOKEN_HASH_H_
#define AUTHD_AUTHZ_TOKEN_HASH_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace authd::authz {

// The raw SHA-256 of a token: the key of the in-memory Authorize index.
using TokenDigest = std::array<uint8_t, 32>;

inline constexpr absl::string_view kSha256Variant = "authd-sha256";

// SHA-256 of `token`'s bytes; no allocation.
TokenDigest DigestToken(absl::string_view token);

// The PHC string stored at rest for `token` (current variant: authd-sha256).
std::string HashToken(absl::string_view token);

// The PHC string for an already computed digest.
std::string EncodeTokenHash(const TokenDigest& digest);

// Decodes a stored PHC string. Errors: kInvalidArgument for an unknown variant or a malformed body.
absl::StatusOr<TokenDigest> DecodeTokenHash(absl::string_view phc);

// Constant-time equality (CRYPTO_memcmp).
bool DigestEquals(const TokenDigest& a, const TokenDigest& b);

// Hash functor for hash maps keyed by digest (the digest is already uniform).
struct TokenDigestHash {
  size_t operator()(const TokenDigest& d) const {
    size_t h;
    std::memcpy(&h, d.data(), sizeof(h));
    return h;
  }
};

}  // namespace authd::authz

#endif  // AUTHD_AUTHZ_TOKEN_HASH_H_
