// Permission flags of `authctl auth create`, composed into a CreateAuthorization request exactly as
// `influx auth create` composes them (influx-cli clients/auth/auth.go), and the permission string
// form the influx CLI prints. Pure functions; thread-safe.
//
// Composition, in influx's order:
//   1. each `--read-bucket ID`, then each `--write-bucket ID` -> `{buckets, id, org_id}`; the ID must
//      be 16 hex characters, not zero ("invalid bucket ID '<id>': <why> (did you pass a bucket name
//      instead of an ID?)");
//   2. each `--read-<type>` / `--write-<type>` in FlagResourceTypes() order, read before write ->
//      `{type, org_id}` (org-wide), except `orgs` and `users`, which are global `{type}`;
//   3. `--operator` -> the server's PRESET_OPERATOR, refused when 1-2 produced anything
//      ("cannot compose other permissions with operator permissions");
//   4. `--all-access` -> PRESET_ALL_ACCESS, refused when 1-3 produced anything
//      ("cannot compose other permissions with all access permissions").
#ifndef AUTHD_CLI_PERMISSION_FLAGS_H_
#define AUTHD_CLI_PERMISSION_FLAGS_H_

#include <array>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "authd/v1/authorization_service.pb.h"
#include "authd/v1/types.pb.h"
#include "authz/resource_type.h"

namespace authd::cli {

// The 22 types that get `--read-<type>` / `--write-<type>` flags: every type but `instance`, in the
// order influx generates them (the types it shares with InfluxDB Cloud first, then the OSS-only
// ones: sources, scrapers, notebooks, remotes, replications).
const std::vector<authz::ResourceType>& FlagResourceTypes();

struct PermissionFlags {
  std::vector<std::string> read_bucket_ids;
  std::vector<std::string> write_bucket_ids;
  // Indexed by `static_cast<int>(authz::ResourceType)`; `instance` is never set.
  std::array<bool, authz::kResourceTypeCount> read_type{};
  std::array<bool, authz::kResourceTypeCount> write_type{};
  bool operator_preset = false;
  bool all_access = false;
};

// What to send: either a preset or explicit permissions (possibly none; the server then answers
// "authorization must include permissions").
struct ComposedPermissions {
  authd::v1::Preset preset = authd::v1::PRESET_UNSPECIFIED;
  std::vector<authd::v1::Permission> permissions;
};

// Validates a bucket ID as influx does and returns it in lowercase.
// Errors: kInvalidArgument "invalid bucket ID '<id>': id must have a length of 16 bytes (did you
// pass a bucket name instead of an ID?)" or "...: invalid ID (...)" (not hex, or zero).
absl::StatusOr<std::string> ValidateBucketId(absl::string_view id);

// Every error ComposePermissions can report, without needing the org; lets a command fail before
// any network call.
absl::Status CheckPermissionFlags(const PermissionFlags& flags);

// Steps 1-4 above for the token's org `org_id`. Errors: those of CheckPermissionFlags.
absl::StatusOr<ComposedPermissions> ComposePermissions(const PermissionFlags& flags,
                                                       absl::string_view org_id);

// The influx CLI's string form: `action:` + (`orgs/<org_id>` when set) + `/type` + (`/id` when set),
// e.g. `read:orgs/0a1b.../buckets/9f8e...`, `write:orgs/0a1b.../dashboards`, `read:/buckets`.
std::string PermissionString(const authd::v1::Permission& permission);

}  // namespace authd::cli

#endif  // AUTHD_CLI_PERMISSION_FLAGS_H_
