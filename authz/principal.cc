#include "authz/principal.h"

#include "absl/strings/str_cat.h"
#include "authz/canned.h"

namespace authd::authz {

bool Allowed(const Principal& principal, const Permission& requested) {
  return AnyMatches(principal.permissions, requested);
}

absl::Status Require(const Principal& principal, const Permission& requested) {
  if (Allowed(principal, requested)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat(PermissionString(requested), " is unauthorized"));
}

bool IsOperator(const Principal& principal) {
  static const std::vector<Permission>* const kOperator =
      new std::vector<Permission>(OperatorPermissions());
  for (const Permission& p : *kOperator) {
    if (!Allowed(principal, p)) return false;
  }
  return true;
}

absl::Status CheckGrantable(const Principal& principal, absl::Span<const Permission> requested) {
  for (const Permission& p : requested) {
    if (!Allowed(principal, p)) {
      return absl::PermissionDeniedError(
          absl::StrCat("permission ", PermissionString(p), " is not allowed"));
    }
  }
  return absl::OkStatus();
}

}  // namespace authd::authz
