#include "services/authorization_scope.h"

#include "base/status_macros.h"

namespace authd::services {

absl::Status RequireOnToken(const authz::Principal& caller, authz::Action action, authz::Id id,
                            authz::Id org_id, authz::Id user_id) {
  AUTHD_RETURN_IF_ERROR(authz::Require(
      caller, authz::OrgIdPermission(action, authz::ResourceType::kAuthorizations, org_id, id)));
  return authz::Require(caller, authz::IdPermission(action, authz::ResourceType::kUsers, user_id));
}

}  // namespace authd::services
