#include "authz/canned.h"

namespace authd::authz {

std::vector<Permission> OperatorPermissions() {
  std::vector<Permission> out;
  out.reserve(2 * (kResourceTypeCount - 1));
  for (ResourceType type : AllResourceTypes()) {
    if (type == ResourceType::kInstance) continue;
    out.push_back(GlobalPermission(Action::kRead, type));
    out.push_back(GlobalPermission(Action::kWrite, type));
  }
  return out;
}

std::vector<Permission> AllAccessPermissions(Id org_id, Id user_id) {
  std::vector<Permission> out;
  out.reserve(2 * (kResourceTypeCount - 1) - 1);
  for (ResourceType type : AllResourceTypes()) {
    switch (type) {
      case ResourceType::kInstance:
        break;
      case ResourceType::kOrgs:
        out.push_back(IdPermission(Action::kRead, type, org_id));
        break;
      case ResourceType::kUsers:
        out.push_back(IdPermission(Action::kRead, type, user_id));
        out.push_back(IdPermission(Action::kWrite, type, user_id));
        break;
      default:
        out.push_back(OrgPermission(Action::kRead, type, org_id));
        out.push_back(OrgPermission(Action::kWrite, type, org_id));
        break;
    }
  }
  return out;
}

std::vector<Permission> MePermissions(Id user_id) {
  return {IdPermission(Action::kRead, ResourceType::kUsers, user_id),
          IdPermission(Action::kWrite, ResourceType::kUsers, user_id)};
}

std::vector<Permission> InstanceOwnerPermissions() {
  return {GlobalPermission(Action::kRead, ResourceType::kInstance),
          GlobalPermission(Action::kWrite, ResourceType::kInstance)};
}

}  // namespace authd::authz
