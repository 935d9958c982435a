// Principal: an authenticated caller (a token or a session) and the checks the admin APIs make
// against it: required permissions, operator status, and no-escalation when granting.
// Value type and pure functions; thread-compatible.
#ifndef AUTHD_AUTHZ_PRINCIPAL_H_
#define AUTHD_AUTHZ_PRINCIPAL_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "authz/id.h"
#include "authz/permission.h"

namespace authd::authz {

struct Principal {
  // The token's authorization ID, or the session's ID.
  Id authorization_id = 0;
  Id user_id = 0;
  // The token's org; 0 for sessions.
  Id org_id = 0;
  bool is_session = false;
  std::vector<Permission> permissions;
};

// True when some held permission matches `requested`.
bool Allowed(const Principal& principal, const Permission& requested);

// kPermissionDenied "<permission> is unauthorized" when not allowed (InfluxDB's message).
absl::Status Require(const Principal& principal, const Permission& requested);

// True when the principal holds every operator permission (InfluxDB's `IsAllowedAll(OperPermissions())`).
bool IsOperator(const Principal& principal);

// No escalation: every permission to grant must be allowed by the caller's own set.
// kPermissionDenied "permission <p> is not allowed" naming the first that is not.
absl::Status CheckGrantable(const Principal& principal, absl::Span<const Permission> requested);

}  // namespace authd::authz

#endif  // AUTHD_AUTHZ_PRINCIPAL_H_
