// Token format: what authd generates and what it accepts.
//
//   authd_ 7bX...(43 base62 chars = 256 bits from the OS CSPRNG)... Qz1k9P
//   |----| |------------------- secret ---------------------------| |crc6|
//   prefix                                                   base62(CRC32(prefix + secret))
//
// 55 characters, URL-safe, selectable with a double-click. The prefix lets secret scanners find
// leaked tokens; the checksum lets them (and authd) reject a truncated or mistyped token offline,
// before any lookup. Setup may instead be given any 16-512 printable ASCII characters without
// spaces; such a value is accepted only if it does not claim the `authd_` prefix without a valid
// checksum. Pure functions; thread-safe.
#ifndef AUTHD_AUTHZ_TOKEN_H_
#define AUTHD_AUTHZ_TOKEN_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace authd::authz {

inline constexpr absl::string_view kTokenPrefix = "authd_";
inline constexpr size_t kTokenSecretChars = 43;
inline constexpr size_t kTokenChecksumChars = 6;
inline constexpr size_t kGeneratedTokenLength =
    6 + kTokenSecretChars + kTokenChecksumChars;  // 55
inline constexpr size_t kMinSuppliedTokenLength = 16;
inline constexpr size_t kMaxTokenLength = 512;

// A fresh token from the OS CSPRNG in the format above.
std::string GenerateToken();

// How a presented string relates to the format.
enum class TokenShape {
  // Plausible: a well-formed generated token, or a 16-512 printable string without the prefix.
  kPlausible,
  // Can never be a stored token (bad checksum, wrong length or characters): reject without lookup.
  kImpossible,
};

// Classifies `token` in O(length) without any allocation.
TokenShape ClassifyToken(absl::string_view token);

// Checks an operator-chosen token given to setup. Errors: kInvalidArgument naming the rule broken
// (never echoing the value).
absl::Status ValidateSuppliedToken(absl::string_view token);

// base62(CRC32(`text`)) as exactly 6 characters (exposed for tests and scanners).
std::string TokenChecksum(absl::string_view text);

}  // namespace authd::authz

#endif  // AUTHD_AUTHZ_TOKEN_H_
