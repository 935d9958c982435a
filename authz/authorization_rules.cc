#include "authz/authorization_rules.h"

#include "absl/strings/str_cat.h"

namespace authd::authz {

absl::Status ValidateNewAuthorization(Id org_id, absl::Span<const Permission> permissions) {
  // InfluxDB's order: the request's own shape (permissions, then org), then the instance rule
  // (its middleware), then the org binding (its service).
  if (permissions.empty()) {
    return absl::InvalidArgumentError("authorization must include permissions");
  }
  if (org_id == 0) return absl::InvalidArgumentError("org id required");
  for (const Permission& p : permissions) {
    if (p.resource.type == ResourceType::kInstance) {
      return absl::InvalidArgumentError(
          "authorizations cannot be created with the instance type, it is only used during "
          "setup");
    }
  }
  for (const Permission& p : permissions) {
    if (p.resource.org_id != 0 && p.resource.org_id != org_id) {
      return absl::InvalidArgumentError(absl::StrCat("permission ", PermissionString(p),
                                                     " is not for org id ", FormatId(org_id)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> ParseActiveStatus(absl::string_view status, bool default_active) {
  if (status.empty()) return default_active;
  if (status == "active") return true;
  if (status == "inactive") return false;
  return absl::InvalidArgumentError("status: must be active or inactive");
}

}  // namespace authd::authz
