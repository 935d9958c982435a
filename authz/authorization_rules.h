// InfluxDB's rules for a token's shape: what a new authorization must satisfy regardless of who
// creates it, and the status strings. Pure functions; thread-safe.
#ifndef AUTHD_AUTHZ_AUTHORIZATION_RULES_H_
#define AUTHD_AUTHZ_AUTHORIZATION_RULES_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "authz/id.h"
#include "authz/permission.h"

namespace authd::authz {

// Checks a new token's permissions (all kInvalidArgument, InfluxDB's messages, in its order):
// "authorization must include permissions"; "org id required"; "authorizations cannot be created
// with the instance type, it is only used during setup"; "permission <p> is not for org id <org>"
// (every org-scoped permission must name the token's own org; global ones are allowed).
absl::Status ValidateNewAuthorization(Id org_id, absl::Span<const Permission> permissions);

// "active" -> true, "inactive" -> false, "" -> `default_active`. Otherwise kInvalidArgument
// "status: must be active or inactive".
absl::StatusOr<bool> ParseActiveStatus(absl::string_view status, bool default_active = true);

inline absl::string_view ActiveStatusName(bool active) { return active ? "active" : "inactive"; }

}  // namespace authd::authz

#endif  // AUTHD_AUTHZ_AUTHORIZATION_RULES_H_
