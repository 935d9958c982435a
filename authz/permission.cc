#include "authz/permission.h"

#include "absl/strings/str_cat.h"

namespace authd::authz {

absl::string_view ActionName(Action action) {
  return action == Action::kRead ? "read" : "write";
}

std::optional<Action> ParseAction(absl::string_view name) {
  if (name == "read") return Action::kRead;
  if (name == "write") return Action::kWrite;
  return std::nullopt;
}

Permission OrgPermission(Action action, ResourceType type, Id org_id) {
  return Permission{action, Resource{type, 0, org_id}};
}

Permission IdPermission(Action action, ResourceType type, Id id) {
  return Permission{action, Resource{type, id, 0}};
}

Permission GlobalPermission(Action action, ResourceType type) {
  return Permission{action, Resource{type, 0, 0}};
}

Permission OrgIdPermission(Action action, ResourceType type, Id org_id, Id id) {
  return Permission{action, Resource{type, id, org_id}};
}

bool Matches(const Permission& held, const Permission& requested) {
  if (held.action != requested.action) return false;
  if (held.resource.type == ResourceType::kInstance) return true;
  if (held.resource.type != requested.resource.type) return false;
  const Resource& h = held.resource;
  const Resource& r = requested.resource;
  if (h.org_id == 0 && h.id == 0) return true;
  if (h.id == 0) return r.org_id != 0 && r.org_id == h.org_id;
  return r.id != 0 && r.id == h.id;
}

bool AnyMatches(absl::Span<const Permission> held, const Permission& requested) {
  for (const Permission& p : held) {
    if (Matches(p, requested)) return true;
  }
  return false;
}

std::string PermissionString(const Permission& permission) {
  const Resource& r = permission.resource;
  std::string out = absl::StrCat(ActionName(permission.action), ":");
  if (r.org_id != 0) absl::StrAppend(&out, "orgs/", FormatId(r.org_id), "/");
  absl::StrAppend(&out, ResourceTypeName(r.type));
  if (r.id != 0) absl::StrAppend(&out, "/", FormatId(r.id));
  return out;
}

}  // namespace authd::authz
