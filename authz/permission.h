// Permission: an action on a resource, and InfluxDB OSS v2's matching rule between a held permission
// and a requested one. Value types and pure functions; thread-safe.
#ifndef AUTHD_AUTHZ_PERMISSION_H_
#define AUTHD_AUTHZ_PERMISSION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "authz/id.h"
#include "authz/resource_type.h"

namespace authd::authz {

// Write covers create, update and delete. Read does not imply write, nor write read.
enum class Action : uint8_t { kRead = 0, kWrite = 1 };

absl::string_view ActionName(Action action);
std::optional<Action> ParseAction(absl::string_view name);

// What a permission points at; `id` and `org_id` are 0 when not set.
struct Resource {
  ResourceType type = ResourceType::kAuthorizations;
  Id id = 0;
  Id org_id = 0;

  friend bool operator==(const Resource& a, const Resource& b) {
    return a.type == b.type && a.id == b.id && a.org_id == b.org_id;
  }
};

struct Permission {
  Action action = Action::kRead;
  Resource resource;

  friend bool operator==(const Permission& a, const Permission& b) {
    return a.action == b.action && a.resource == b.resource;
  }
  friend bool operator!=(const Permission& a, const Permission& b) { return !(a == b); }
};

// Constructors named as InfluxDB's: org-wide, id-only, global, and both.
Permission OrgPermission(Action action, ResourceType type, Id org_id);
Permission IdPermission(Action action, ResourceType type, Id id);
Permission GlobalPermission(Action action, ResourceType type);
Permission OrgIdPermission(Action action, ResourceType type, Id org_id, Id id);

// InfluxDB's matching (`Permission.Matches`): is `requested` allowed by `held`?
//  1. actions differ -> false;  2. held type `instance` -> true;  3. types differ -> false;
//  4. held global -> true;  5. held org-wide -> requested org_id set and equal;
//  6. held has an id -> requested id set and equal (the org is ignored);  7. otherwise false.
bool Matches(const Permission& held, const Permission& requested);

// True when any permission in `held` matches `requested`.
bool AnyMatches(absl::Span<const Permission> held, const Permission& requested);

// InfluxDB's string form: `read:orgs/<org>/buckets/<id>`, `read:orgs/<org>/buckets`,
// `read:buckets/<id>`, `read:buckets`.
std::string PermissionString(const Permission& permission);

}  // namespace authd::authz

#endif  // AUTHD_AUTHZ_PERMISSION_H_
