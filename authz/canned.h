// Canned permission sets, exactly InfluxDB OSS v2's (`authz.go` and the influx CLI's --all-access).
// Pure functions; thread-safe.
#ifndef AUTHD_AUTHZ_CANNED_H_
#define AUTHD_AUTHZ_CANNED_H_

#include <vector>

#include "authz/id.h"
#include "authz/permission.h"

namespace authd::authz {

// Read and write on every type except instance, global: 22 x 2 = 44 permissions, in InfluxDB's
// order (read then write per type).
std::vector<Permission> OperatorPermissions();

// Everything in one org, as `influx auth create --all-access` builds it: `read orgs/<org>` (id-only,
// no write), read/write `users/<user>` (id-only), and read/write org-wide on every other type except
// instance: 1 + 2 + 20 x 2 = 43 permissions.
std::vector<Permission> AllAccessPermissions(Id org_id, Id user_id);

// Read and write on `users/<user>`: every session has these (`MePermissions`).
std::vector<Permission> MePermissions(Id user_id);

// Read and write on `instance`: what the setup user's sessions hold (it owns the instance).
std::vector<Permission> InstanceOwnerPermissions();

}  // namespace authd::authz

#endif  // AUTHD_AUTHZ_CANNED_H_
