#include "authz/id.h"

#include <openssl/rand.h>

#include <cstring>

#include "absl/base/internal/raw_logging.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace authd::authz {

absl::StatusOr<Id> ParseId(absl::string_view text, absl::string_view field) {
  if (text.size() != 16) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": id must be 16 lowercase hex characters"));
  }
  Id value = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": id must be 16 lowercase hex characters"));
    }
    value = (value << 4) | static_cast<Id>(digit);
  }
  if (value == 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": id must not be zero"));
  }
  return value;
}

absl::StatusOr<Id> ParseOptionalId(absl::string_view text, absl::string_view field) {
  if (text.empty()) return Id{0};
  return ParseId(text, field);
}

std::string FormatId(Id id) {
  if (id == 0) return "";
  return absl::StrFormat("%016x", id);
}

Id NewRandomId() {
  for (;;) {
    unsigned char bytes[8];
    // RAND_bytes only fails when the OS CSPRNG is unusable: nothing sensible can continue.
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
      ABSL_RAW_LOG(FATAL, "OS random number generator failed");
    }
    Id id;
    std::memcpy(&id, bytes, sizeof(id));
    if (id >= 1000) return id;
  }
}

}  // namespace authd::authz
