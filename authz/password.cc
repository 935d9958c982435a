#include "authz/password.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <vector>

#include "absl/strings/str_cat.h"

namespace authd::authz {
namespace {
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
}  // namespace

absl::Status ValidatePassword(absl::string_view password) {
  if (password.size() < 8 || password.size() > 72) {
    return absl::InvalidArgumentError("password: must be 8 to 72 characters");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> HashPassword(absl::string_view password,
                                         const PasswordHashOptions& options) {
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof(salt)) != 1) {
    return absl::InternalError("password hashing: random number generator failed");
  }
  size_t len = argon2_encodedlen(options.iterations, options.memory_kib, options.parallelism,
                                 kSaltBytes, kHashBytes, Argon2_id);
  std::vector<char> encoded(len);
  int rc = argon2id_hash_encoded(options.iterations, options.memory_kib, options.parallelism,
                                 password.data(), password.size(), salt, sizeof(salt), kHashBytes,
                                 encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return absl::InternalError(
        absl::StrCat("password hashing failed: ", argon2_error_message(rc)));
  }
  return std::string(encoded.data());
}

bool VerifyPassword(absl::string_view password, const std::string& encoded) {
  if (encoded.empty()) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

}  // namespace authd::authz
