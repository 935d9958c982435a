#include "authz/canned.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "authz/id.h"
#include "authz/permission.h"
#include "authz/resource_type.h"
#include "gtest/gtest.h"

namespace authd::authz {
namespace {

constexpr Id kOrg = 0x00000000000000aa;
constexpr Id kUser = 0x00000000000000bb;
constexpr Id kOtherOrg = 0x00000000000000cc;
constexpr Id kOtherUser = 0x00000000000000dd;
constexpr Id kBucket = 0x0000000000000123;

// InfluxDB's 22 token-able types (every type but `instance`), in `AllResourceTypes` order.
const std::vector<std::string>& TokenTypeNames() {
  static const auto* const kNames = new std::vector<std::string>{
      "authorizations", "buckets",      "dashboards",        "orgs",
      "sources",        "tasks",        "telegrafs",         "users",
      "variables",      "scrapers",     "secrets",           "labels",
      "views",          "documents",    "notificationRules", "notificationEndpoints",
      "checks",         "dbrp",         "notebooks",         "annotations",
      "remotes",        "replications",
  };
  return *kNames;
}

std::vector<std::string> Strings(const std::vector<Permission>& permissions) {
  std::vector<std::string> out;
  out.reserve(permissions.size());
  for (const Permission& p : permissions) out.push_back(PermissionString(p));
  return out;
}

ResourceType TypeNamed(const std::string& name) {
  std::optional<ResourceType> type = ParseResourceType(name);
  EXPECT_TRUE(type.has_value()) << name;
  return type.value_or(ResourceType::kInstance);
}

TEST(OperatorPermissionsTest, IsReadThenWriteGlobalForEachOfTheTwentyTwoTypes) {
  ASSERT_EQ(TokenTypeNames().size(), 22u);
  std::vector<std::string> want_strings;
  std::vector<Permission> want;
  for (const std::string& name : TokenTypeNames()) {
    want_strings.push_back("read:" + name);
    want_strings.push_back("write:" + name);
    want.push_back(Permission{Action::kRead, Resource{TypeNamed(name), 0, 0}});
    want.push_back(Permission{Action::kWrite, Resource{TypeNamed(name), 0, 0}});
  }

  std::vector<Permission> got = OperatorPermissions();
  ASSERT_EQ(got.size(), 44u);
  EXPECT_EQ(Strings(got), want_strings);
  EXPECT_EQ(got, want);
}

TEST(OperatorPermissionsTest, NeverContainsInstanceOrScopedPermissions) {
  for (const Permission& p : OperatorPermissions()) {
    SCOPED_TRACE(PermissionString(p));
    EXPECT_NE(p.resource.type, ResourceType::kInstance);
    EXPECT_EQ(p.resource.org_id, 0u);
    EXPECT_EQ(p.resource.id, 0u);
  }
}

TEST(AllAccessPermissionsTest, MatchesInfluxCliAllAccessListForOneOrgAndUser) {
  const std::string org = FormatId(kOrg);
  const std::string user = FormatId(kUser);
  std::vector<std::string> want;
  for (const std::string& name : TokenTypeNames()) {
    if (name == "orgs") {
      want.push_back(absl::StrCat("read:orgs/", org));
    } else if (name == "users") {
      want.push_back(absl::StrCat("read:users/", user));
      want.push_back(absl::StrCat("write:users/", user));
    } else {
      want.push_back(absl::StrCat("read:orgs/", org, "/", name));
      want.push_back(absl::StrCat("write:orgs/", org, "/", name));
    }
  }
  ASSERT_EQ(want.size(), 43u);

  std::vector<Permission> got = AllAccessPermissions(kOrg, kUser);
  ASSERT_EQ(got.size(), 43u);
  EXPECT_EQ(Strings(got), want);
}

TEST(AllAccessPermissionsTest, ScopesEachTypeAsInfluxDbDoes) {
  int orgs = 0, users = 0, org_wide = 0;
  for (const Permission& p : AllAccessPermissions(kOrg, kUser)) {
    SCOPED_TRACE(PermissionString(p));
    ASSERT_NE(p.resource.type, ResourceType::kInstance);
    switch (p.resource.type) {
      case ResourceType::kOrgs:
        ++orgs;
        EXPECT_EQ(p.action, Action::kRead);
        EXPECT_EQ(p.resource.id, kOrg);
        EXPECT_EQ(p.resource.org_id, 0u);
        break;
      case ResourceType::kUsers:
        ++users;
        EXPECT_EQ(p.resource.id, kUser);
        EXPECT_EQ(p.resource.org_id, 0u);
        break;
      default:
        ++org_wide;
        EXPECT_EQ(p.resource.org_id, kOrg);
        EXPECT_EQ(p.resource.id, 0u);
        break;
    }
  }
  EXPECT_EQ(orgs, 1);
  EXPECT_EQ(users, 2);
  EXPECT_EQ(org_wide, 40);
}

TEST(AllAccessPermissionsTest, AllowsEverythingInItsOrgAndNothingOutsideIt) {
  std::vector<Permission> all = AllAccessPermissions(kOrg, kUser);
  // Inside the org.
  EXPECT_TRUE(
      AnyMatches(all, OrgIdPermission(Action::kWrite, ResourceType::kBuckets, kOrg, kBucket)));
  EXPECT_TRUE(AnyMatches(all, OrgPermission(Action::kWrite, ResourceType::kAuthorizations, kOrg)));
  EXPECT_TRUE(AnyMatches(all, IdPermission(Action::kRead, ResourceType::kOrgs, kOrg)));
  EXPECT_TRUE(AnyMatches(all, IdPermission(Action::kWrite, ResourceType::kUsers, kUser)));
  // Not writing its own org, not another org, not other users, nothing global, no instance.
  EXPECT_FALSE(AnyMatches(all, IdPermission(Action::kWrite, ResourceType::kOrgs, kOrg)));
  EXPECT_FALSE(AnyMatches(all, IdPermission(Action::kRead, ResourceType::kOrgs, kOtherOrg)));
  EXPECT_FALSE(AnyMatches(all, OrgPermission(Action::kRead, ResourceType::kBuckets, kOtherOrg)));
  EXPECT_FALSE(AnyMatches(all, IdPermission(Action::kRead, ResourceType::kUsers, kOtherUser)));
  EXPECT_FALSE(AnyMatches(all, GlobalPermission(Action::kRead, ResourceType::kBuckets)));
  EXPECT_FALSE(AnyMatches(all, IdPermission(Action::kRead, ResourceType::kBuckets, kBucket)));
  EXPECT_FALSE(AnyMatches(all, GlobalPermission(Action::kRead, ResourceType::kInstance)));
}

TEST(AllAccessPermissionsTest, UsesTheGivenOrgAndUser) {
  std::vector<Permission> a = AllAccessPermissions(kOrg, kUser);
  std::vector<Permission> b = AllAccessPermissions(kOtherOrg, kOtherUser);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_NE(a, b);
  EXPECT_TRUE(AnyMatches(b, IdPermission(Action::kRead, ResourceType::kOrgs, kOtherOrg)));
  EXPECT_TRUE(AnyMatches(b, IdPermission(Action::kWrite, ResourceType::kUsers, kOtherUser)));
  EXPECT_FALSE(AnyMatches(b, IdPermission(Action::kWrite, ResourceType::kUsers, kUser)));
}

TEST(MePermissionsTest, IsReadAndWriteOnTheUserById) {
  std::vector<Permission> got = MePermissions(kUser);
  std::vector<Permission> want = {
      Permission{Action::kRead, Resource{ResourceType::kUsers, kUser, 0}},
      Permission{Action::kWrite, Resource{ResourceType::kUsers, kUser, 0}},
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ(Strings(got), (std::vector<std::string>{"read:users/00000000000000bb",
                                                    "write:users/00000000000000bb"}));
}

TEST(InstanceOwnerPermissionsTest, IsReadAndWriteOnInstanceGlobally) {
  std::vector<Permission> got = InstanceOwnerPermissions();
  std::vector<Permission> want = {
      Permission{Action::kRead, Resource{ResourceType::kInstance, 0, 0}},
      Permission{Action::kWrite, Resource{ResourceType::kInstance, 0, 0}},
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ(Strings(got), (std::vector<std::string>{"read:instance", "write:instance"}));
}

TEST(InstanceOwnerPermissionsTest, CoversEveryOperatorPermission) {
  std::vector<Permission> owner = InstanceOwnerPermissions();
  for (const Permission& p : OperatorPermissions()) {
    SCOPED_TRACE(PermissionString(p));
    EXPECT_TRUE(AnyMatches(owner, p));
  }
}

}  // namespace
}  // namespace authd::authz
