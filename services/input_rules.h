// Input rules shared by the gRPC adapters: names and descriptions (length, UTF-8, no control
// characters). Errors name the field and never echo the value. Pure; thread-safe.
#ifndef AUTHD_SERVICES_INPUT_RULES_H_
#define AUTHD_SERVICES_INPUT_RULES_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace authd::services {

inline constexpr size_t kMaxNameBytes = 256;
inline constexpr size_t kMaxDescriptionBytes = 1024;

// A status that was explicitly set: "active" -> true, "inactive" -> false, anything else (even
// empty) -> kInvalidArgument "status: must be active or inactive".
absl::StatusOr<bool> ParseRequiredStatus(absl::string_view status);

// Non-empty, at most kMaxNameBytes, valid UTF-8, no control characters. kInvalidArgument.
absl::Status ValidateName(absl::string_view value, absl::string_view field);
// May be empty; at most kMaxDescriptionBytes, valid UTF-8, no control characters except tab.
absl::Status ValidateDescription(absl::string_view value, absl::string_view field);

}  // namespace authd::services

#endif  // AUTHD_SERVICES_INPUT_RULES_H_
