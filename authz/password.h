// Passwords: Argon2id (libargon2) in PHC form, with OWASP's minimum cost (m=19 MiB, t=2, p=1).
// Used only for sign-in, never on the Authorize path. Thread-safe.
#ifndef AUTHD_AUTHZ_PASSWORD_H_
#define AUTHD_AUTHZ_PASSWORD_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace authd::authz {

struct PasswordHashOptions {
  // Argon2 memory cost in KiB. Default: 19456 (19 MiB, OWASP's minimum for Argon2id).
  uint32_t memory_kib = 19456;
  // Argon2 passes. Default: 2.
  uint32_t iterations = 2;
  // Argon2 lanes. Default: 1.
  uint32_t parallelism = 1;
};

// InfluxDB's rule: 8 to 72 characters. Errors: kInvalidArgument "password: must be 8 to 72 characters".
absl::Status ValidatePassword(absl::string_view password);

// `$argon2id$v=19$m=...,t=...,p=...$salt$hash` with a fresh 16-byte salt.
// Errors: kInternal if libargon2 fails (the message never contains the password).
absl::StatusOr<std::string> HashPassword(absl::string_view password,
                                         const PasswordHashOptions& options = {});

// True when `password` matches the encoded Argon2id hash; false for any mismatch or malformed hash.
bool VerifyPassword(absl::string_view password, const std::string& encoded);

}  // namespace authd::authz

#endif  // AUTHD_AUTHZ_PASSWORD_H_
