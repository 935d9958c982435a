#include "cli/permission_flags.h"

#include <functional>
#include <string>
#include <vector>

#include "authz/resource_type.h"
#include "gtest/gtest.h"

namespace authd::cli {
namespace {

using authz::ResourceType;

constexpr char kOrg[] = "0a0a0a0a0a0a0a0a";
constexpr char kBucket[] = "0b0b0b0b0b0b0b0b";
constexpr char kBucket2[] = "0c0c0c0c0c0c0c0c";

void Read(PermissionFlags& f, ResourceType t) { f.read_type[static_cast<int>(t)] = true; }
void Write(PermissionFlags& f, ResourceType t) { f.write_type[static_cast<int>(t)] = true; }

std::vector<std::string> Strings(const ComposedPermissions& c) {
  std::vector<std::string> out;
  for (const auto& p : c.permissions) out.push_back(PermissionString(p));
  return out;
}

struct Case {
  std::string name;
  std::function<void(PermissionFlags&)> set;
  // Expected on success:
  authd::v1::Preset preset = authd::v1::PRESET_UNSPECIFIED;
  std::vector<std::string> permissions;
  // Expected error message; empty for success.
  std::string error;
};

// influx-cli clients/auth/auth.go, case by case.
TEST(ComposePermissionsTest, ComposesAsInfluxDoes) {
  const std::string o = kOrg;
  const std::vector<Case> cases = {
      {"nothing", [](PermissionFlags&) {}, authd::v1::PRESET_UNSPECIFIED, {}, ""},
      {"read bucket",
       [](PermissionFlags& f) { f.read_bucket_ids = {kBucket}; },
       authd::v1::PRESET_UNSPECIFIED,
       {"read:orgs/" + o + "/buckets/" + kBucket},
       ""},
      {"bucket reads before writes, each in flag order",
       [](PermissionFlags& f) {
         f.write_bucket_ids = {kBucket2, kBucket};
         f.read_bucket_ids = {kBucket, kBucket2};
       },
       authd::v1::PRESET_UNSPECIFIED,
       {"read:orgs/" + o + "/buckets/" + kBucket, "read:orgs/" + o + "/buckets/" + kBucket2,
        "write:orgs/" + o + "/buckets/" + kBucket2, "write:orgs/" + o + "/buckets/" + kBucket},
       ""},
      {"upper-case bucket id is accepted and lower-cased",
       [](PermissionFlags& f) { f.read_bucket_ids = {"0B0B0B0B0B0B0B0B"}; },
       authd::v1::PRESET_UNSPECIFIED,
       {"read:orgs/" + o + "/buckets/" + kBucket},
       ""},
      {"generated type flags are org-wide",
       [](PermissionFlags& f) {
         Read(f, ResourceType::kDashboards);
         Write(f, ResourceType::kDashboards);
       },
       authd::v1::PRESET_UNSPECIFIED,
       {"read:orgs/" + o + "/dashboards", "write:orgs/" + o + "/dashboards"},
       ""},
      {"orgs and users are global",
       [](PermissionFlags& f) {
         Read(f, ResourceType::kOrgs);
         Write(f, ResourceType::kUsers);
       },
       authd::v1::PRESET_UNSPECIFIED,
       {"read:/orgs", "write:/users"},
       ""},
      {"buckets first, then types in influx's flag order (common, then OSS-only)",
       [](PermissionFlags& f) {
         Write(f, ResourceType::kRemotes);
         Read(f, ResourceType::kAnnotations);
         Read(f, ResourceType::kSources);
         Read(f, ResourceType::kBuckets);
         f.write_bucket_ids = {kBucket};
       },
       authd::v1::PRESET_UNSPECIFIED,
       {"write:orgs/" + o + "/buckets/" + kBucket, "read:orgs/" + o + "/buckets",
        "read:orgs/" + o + "/annotations", "read:orgs/" + o + "/sources",
        "write:orgs/" + o + "/remotes"},
       ""},
      {"operator uses the server preset",
       [](PermissionFlags& f) { f.operator_preset = true; },
       authd::v1::PRESET_OPERATOR,
       {},
       ""},
      {"all-access uses the server preset",
       [](PermissionFlags& f) { f.all_access = true; },
       authd::v1::PRESET_ALL_ACCESS,
       {},
       ""},
      {"operator with a bucket",
       [](PermissionFlags& f) {
         f.operator_preset = true;
         f.read_bucket_ids = {kBucket};
       },
       {},
       {},
       "cannot compose other permissions with operator permissions"},
      {"operator with a type flag",
       [](PermissionFlags& f) {
         f.operator_preset = true;
         Write(f, ResourceType::kOrgs);
       },
       {},
       {},
       "cannot compose other permissions with operator permissions"},
      {"all-access with a bucket",
       [](PermissionFlags& f) {
         f.all_access = true;
         f.write_bucket_ids = {kBucket};
       },
       {},
       {},
       "cannot compose other permissions with all access permissions"},
      {"all-access with a type flag",
       [](PermissionFlags& f) {
         f.all_access = true;
         Read(f, ResourceType::kTasks);
       },
       {},
       {},
       "cannot compose other permissions with all access permissions"},
      {"operator with all-access: influx reports the all-access conflict",
       [](PermissionFlags& f) {
         f.operator_preset = true;
         f.all_access = true;
       },
       {},
       {},
       "cannot compose other permissions with all access permissions"},
      {"bucket name instead of id",
       [](PermissionFlags& f) { f.read_bucket_ids = {"metrics"}; },
       {},
       {},
       "invalid bucket ID 'metrics': id must have a length of 16 bytes (did you pass a bucket name "
       "instead of an ID?)"},
      {"bad id is reported even with operator",
       [](PermissionFlags& f) {
         f.operator_preset = true;
         f.write_bucket_ids = {"my-bucket"};
       },
       {},
       {},
       "invalid bucket ID 'my-bucket': id must have a length of 16 bytes (did you pass a bucket "
       "name instead of an ID?)"},
      {"empty id",
       [](PermissionFlags& f) { f.write_bucket_ids = {""}; },
       {},
       {},
       "invalid bucket ID '': id must have a length of 16 bytes (did you pass a bucket name instead "
       "of an ID?)"},
      {"15 hex",
       [](PermissionFlags& f) { f.read_bucket_ids = {"0b0b0b0b0b0b0b0"}; },
       {},
       {},
       "invalid bucket ID '0b0b0b0b0b0b0b0': id must have a length of 16 bytes (did you pass a "
       "bucket name instead of an ID?)"},
      {"17 hex",
       [](PermissionFlags& f) { f.read_bucket_ids = {"0b0b0b0b0b0b0b0b0"}; },
       {},
       {},
       "invalid bucket ID '0b0b0b0b0b0b0b0b0': id must have a length of 16 bytes (did you pass a "
       "bucket name instead of an ID?)"},
      {"16 non-hex",
       [](PermissionFlags& f) { f.read_bucket_ids = {"metrics-metrics!"}; },
       {},
       {},
       "invalid bucket ID 'metrics-metrics!': invalid ID (did you pass a bucket name instead of an "
       "ID?)"},
      {"zero",
       [](PermissionFlags& f) { f.read_bucket_ids = {"0000000000000000"}; },
       {},
       {},
       "invalid bucket ID '0000000000000000': invalid ID (did you pass a bucket name instead of an "
       "ID?)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    PermissionFlags flags;
    c.set(flags);
    absl::StatusOr<ComposedPermissions> composed = ComposePermissions(flags, kOrg);
    absl::Status checked = CheckPermissionFlags(flags);
    if (!c.error.empty()) {
      ASSERT_FALSE(composed.ok());
      EXPECT_EQ(composed.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(composed.status().message(), c.error);
      EXPECT_EQ(checked, composed.status());
      continue;
    }
    ASSERT_TRUE(composed.ok()) << composed.status();
    EXPECT_TRUE(checked.ok()) << checked;
    EXPECT_EQ(composed->preset, c.preset);
    EXPECT_EQ(Strings(*composed), c.permissions);
  }
}

TEST(ComposePermissionsTest, EveryTypeFlagBuildsItsPermission) {
  for (ResourceType t : FlagResourceTypes()) {
    const std::string name(authz::ResourceTypeName(t));
    SCOPED_TRACE(name);
    PermissionFlags flags;
    Read(flags, t);
    Write(flags, t);
    absl::StatusOr<ComposedPermissions> composed = ComposePermissions(flags, kOrg);
    ASSERT_TRUE(composed.ok());
    ASSERT_EQ(composed->permissions.size(), 2u);
    const bool global = t == ResourceType::kOrgs || t == ResourceType::kUsers;
    const std::string scope = global ? "" : std::string("orgs/") + kOrg;
    EXPECT_EQ(Strings(*composed),
              (std::vector<std::string>{"read:" + scope + "/" + name, "write:" + scope + "/" + name}));
    EXPECT_EQ(composed->permissions[0].resource().org_id(), global ? "" : kOrg);
    EXPECT_EQ(composed->permissions[0].resource().id(), "");
  }
}

TEST(FlagResourceTypesTest, AreInfluxsGeneratedFlagsInOrder) {
  std::vector<std::string> names;
  for (ResourceType t : FlagResourceTypes()) names.emplace_back(authz::ResourceTypeName(t));
  EXPECT_EQ(names, (std::vector<std::string>{
                       "authorizations", "buckets", "dashboards", "orgs", "tasks", "telegrafs",
                       "users", "variables", "secrets", "labels", "views", "documents",
                       "notificationRules", "notificationEndpoints", "checks", "dbrp",
                       "annotations", "sources", "scrapers", "notebooks", "remotes",
                       "replications"}));
}

TEST(PermissionStringTest, IsTheInfluxCliForm) {
  struct StringCase {
    std::string action, type, id, org_id, want;
  };
  const std::vector<StringCase> cases = {
      {"read", "buckets", kBucket, kOrg, std::string("read:orgs/") + kOrg + "/buckets/" + kBucket},
      {"write", "buckets", "", kOrg, std::string("write:orgs/") + kOrg + "/buckets"},
      {"read", "users", kBucket, "", std::string("read:/users/") + kBucket},
      {"read", "buckets", "", "", "read:/buckets"},
      {"write", "notificationRules", "", "", "write:/notificationRules"},
  };
  for (const StringCase& c : cases) {
    authd::v1::Permission p;
    p.set_action(c.action);
    p.mutable_resource()->set_type(c.type);
    p.mutable_resource()->set_id(c.id);
    p.mutable_resource()->set_org_id(c.org_id);
    EXPECT_EQ(PermissionString(p), c.want);
  }
}

}  // namespace
}  // namespace authd::cli
