// Which tokens a caller may see: InfluxDB's rule for reading a token (`read
// orgs/<org>/authorizations/<id>` and `read users/<user>`), shared by GetAuthorization,
// ListAuthorizations and WatchAuthorizations. Pure; thread-safe.
#ifndef AUTHD_SERVICES_AUTHORIZATION_SCOPE_H_
#define AUTHD_SERVICES_AUTHORIZATION_SCOPE_H_

#include "absl/status/status.h"
#include "authz/id.h"
#include "authz/permission.h"
#include "authz/principal.h"

namespace authd::services {

// OK when `caller` may do `action` on token `id` of org `org_id` and user `user_id`; else
// kPermissionDenied naming the missing permission (InfluxDB's message).
absl::Status RequireOnToken(const authz::Principal& caller, authz::Action action, authz::Id id,
                            authz::Id org_id, authz::Id user_id);

inline bool MayReadToken(const authz::Principal& caller, authz::Id id, authz::Id org_id,
                         authz::Id user_id) {
  return RequireOnToken(caller, authz::Action::kRead, id, org_id, user_id).ok();
}

}  // namespace authd::services

#endif  // AUTHD_SERVICES_AUTHORIZATION_SCOPE_H_
