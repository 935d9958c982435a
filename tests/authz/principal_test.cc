#include "authz/principal.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "authz/canned.h"
#include "authz/id.h"
#include "authz/permission.h"
#include "gtest/gtest.h"

namespace authd::authz {
namespace {

constexpr Id kOrgA = 0x00000000000a0001;
constexpr Id kOrgB = 0x00000000000b0002;
constexpr Id kUser = 0x0000000000000777;
constexpr Id kOtherUser = 0x0000000000000888;
constexpr Id kBucket = 0x0000000000001111;

constexpr Action R = Action::kRead;
constexpr Action W = Action::kWrite;

Principal WithPermissions(std::vector<Permission> permissions, bool is_session = false) {
  Principal p;
  p.authorization_id = 0x0000000000000a11;
  p.user_id = kUser;
  p.org_id = is_session ? 0 : kOrgA;
  p.is_session = is_session;
  p.permissions = std::move(permissions);
  return p;
}

TEST(AllowedTest, TrueWhenAnyHeldPermissionMatches) {
  Principal p = WithPermissions({OrgPermission(R, ResourceType::kBuckets, kOrgA)});
  EXPECT_TRUE(Allowed(p, OrgIdPermission(R, ResourceType::kBuckets, kOrgA, kBucket)));
  EXPECT_FALSE(Allowed(p, OrgIdPermission(W, ResourceType::kBuckets, kOrgA, kBucket)));
  EXPECT_FALSE(Allowed(WithPermissions({}), GlobalPermission(R, ResourceType::kBuckets)));
}

struct RequireCase {
  std::string name;
  Permission requested;
  std::string want_message;  // Empty means allowed.
};

TEST(RequireTest, DeniesWithInfluxDbUnauthorizedMessage) {
  Principal p = WithPermissions({OrgPermission(R, ResourceType::kBuckets, kOrgA),
                                 IdPermission(W, ResourceType::kUsers, kUser)});
  const std::vector<RequireCase> cases = {
      {"allowed_org_wide", OrgPermission(R, ResourceType::kBuckets, kOrgA), ""},
      {"allowed_own_user", IdPermission(W, ResourceType::kUsers, kUser), ""},
      {"other_org", OrgPermission(R, ResourceType::kBuckets, kOrgB),
       "read:orgs/00000000000b0002/buckets is unauthorized"},
      {"write_in_org", OrgIdPermission(W, ResourceType::kBuckets, kOrgA, kBucket),
       "write:orgs/00000000000a0001/buckets/0000000000001111 is unauthorized"},
      {"id_only", IdPermission(R, ResourceType::kBuckets, kBucket),
       "read:buckets/0000000000001111 is unauthorized"},
      {"global", GlobalPermission(R, ResourceType::kBuckets), "read:buckets is unauthorized"},
      {"other_user", IdPermission(W, ResourceType::kUsers, kOtherUser),
       "write:users/0000000000000888 is unauthorized"},
  };
  for (const RequireCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::Status status = Require(p, c.requested);
    if (c.want_message.empty()) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
      EXPECT_EQ(std::string(status.message()), c.want_message);
    }
  }
}

TEST(IsOperatorTest, TrueForOperatorPermissions) {
  EXPECT_TRUE(IsOperator(WithPermissions(OperatorPermissions())));
}

TEST(IsOperatorTest, FalseWhenAnyOneOperatorPermissionIsMissing) {
  const std::vector<Permission> all = OperatorPermissions();
  ASSERT_EQ(all.size(), 44u);
  for (size_t i = 0; i < all.size(); ++i) {
    SCOPED_TRACE(PermissionString(all[i]));
    std::vector<Permission> missing_one = all;
    missing_one.erase(missing_one.begin() + i);
    EXPECT_FALSE(IsOperator(WithPermissions(missing_one)));
  }
}

TEST(IsOperatorTest, FalseWhenOnePermissionIsOnlyOrgScoped) {
  std::vector<Permission> perms = OperatorPermissions();
  perms[2] = OrgPermission(perms[2].action, perms[2].resource.type, kOrgA);
  EXPECT_FALSE(IsOperator(WithPermissions(perms)));
}

TEST(IsOperatorTest, TrueForInstanceOwnerSession) {
  EXPECT_TRUE(IsOperator(WithPermissions(InstanceOwnerPermissions(), /*is_session=*/true)));
  std::vector<Permission> session = InstanceOwnerPermissions();
  for (const Permission& p : MePermissions(kUser)) session.push_back(p);
  EXPECT_TRUE(IsOperator(WithPermissions(session, /*is_session=*/true)));
}

TEST(IsOperatorTest, FalseForOtherSets) {
  EXPECT_FALSE(IsOperator(WithPermissions({})));
  EXPECT_FALSE(IsOperator(WithPermissions(AllAccessPermissions(kOrgA, kUser))));
  EXPECT_FALSE(IsOperator(WithPermissions(MePermissions(kUser), /*is_session=*/true)));
  EXPECT_FALSE(IsOperator(WithPermissions({GlobalPermission(R, ResourceType::kInstance)})));
  EXPECT_FALSE(IsOperator(WithPermissions({GlobalPermission(W, ResourceType::kInstance)})));
}

struct GrantCase {
  std::string name;
  std::vector<Permission> held;
  std::vector<Permission> requested;
  std::string want_message;  // Empty means grantable.
};

std::vector<GrantCase> GrantCases() {
  const std::vector<Permission> org_buckets = {OrgPermission(R, ResourceType::kBuckets, kOrgA),
                                               OrgPermission(W, ResourceType::kBuckets, kOrgA)};
  return {
      {"org_wide_may_grant_bucket_id_in_its_org",
       org_buckets,
       {OrgIdPermission(R, ResourceType::kBuckets, kOrgA, kBucket)},
       ""},
      {"org_wide_may_grant_same_org_wide",
       org_buckets,
       {OrgPermission(W, ResourceType::kBuckets, kOrgA)},
       ""},
      {"nothing_requested", org_buckets, {}, ""},
      {"org_wide_may_not_grant_global",
       org_buckets,
       {GlobalPermission(R, ResourceType::kBuckets)},
       "permission read:buckets is not allowed"},
      {"org_wide_may_not_grant_id_only",
       org_buckets,
       {IdPermission(R, ResourceType::kBuckets, kBucket)},
       "permission read:buckets/0000000000001111 is not allowed"},
      {"org_wide_may_not_grant_other_org",
       org_buckets,
       {OrgPermission(R, ResourceType::kBuckets, kOrgB)},
       "permission read:orgs/00000000000b0002/buckets is not allowed"},
      {"org_wide_may_not_grant_other_type",
       org_buckets,
       {OrgPermission(R, ResourceType::kDashboards, kOrgA)},
       "permission read:orgs/00000000000a0001/dashboards is not allowed"},
      {"read_holder_may_not_grant_write",
       {OrgPermission(R, ResourceType::kBuckets, kOrgA)},
       {OrgIdPermission(W, ResourceType::kBuckets, kOrgA, kBucket)},
       "permission write:orgs/00000000000a0001/buckets/0000000000001111 is not allowed"},
      {"names_first_offender",
       org_buckets,
       {OrgIdPermission(R, ResourceType::kBuckets, kOrgA, kBucket),
        GlobalPermission(W, ResourceType::kBuckets), GlobalPermission(R, ResourceType::kUsers)},
       "permission write:buckets is not allowed"},
      {"global_holder_may_grant_global",
       {GlobalPermission(R, ResourceType::kBuckets)},
       {GlobalPermission(R, ResourceType::kBuckets)},
       ""},
      {"operator_may_grant_all_access", OperatorPermissions(),
       AllAccessPermissions(kOrgB, kOtherUser), ""},
      {"all_access_may_grant_itself", AllAccessPermissions(kOrgA, kUser),
       AllAccessPermissions(kOrgA, kUser), ""},
      {"all_access_may_not_grant_other_org", AllAccessPermissions(kOrgA, kUser),
       AllAccessPermissions(kOrgB, kUser),
       "permission read:orgs/00000000000b0002/authorizations is not allowed"},
      {"all_access_may_not_grant_other_user", AllAccessPermissions(kOrgA, kUser),
       AllAccessPermissions(kOrgA, kOtherUser),
       "permission read:users/0000000000000888 is not allowed"},
      {"all_access_may_not_grant_operator", AllAccessPermissions(kOrgA, kUser),
       OperatorPermissions(), "permission read:authorizations is not allowed"},
      {"instance_owner_may_grant_operator", InstanceOwnerPermissions(), OperatorPermissions(), ""},
  };
}

TEST(CheckGrantableTest, RefusesEscalationWithInfluxDbMessage) {
  for (const GrantCase& c : GrantCases()) {
    SCOPED_TRACE(c.name);
    absl::Status status = CheckGrantable(WithPermissions(c.held), c.requested);
    if (c.want_message.empty()) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
      EXPECT_EQ(std::string(status.message()), c.want_message);
    }
  }
}

}  // namespace
}  // namespace authd::authz
