#include "authz/permission.h"

#include <string>
#include <vector>

#include "authz/id.h"
#include "authz/resource_type.h"
#include "gtest/gtest.h"

namespace authd::authz {
namespace {

constexpr Id kOrgA = 0x00000000000a0001;
constexpr Id kOrgB = 0x00000000000b0002;
constexpr Id kId1 = 0x0000000000001111;
constexpr Id kId2 = 0x0000000000002222;

constexpr Action R = Action::kRead;
constexpr Action W = Action::kWrite;
constexpr ResourceType kBuckets = ResourceType::kBuckets;
constexpr ResourceType kDashboards = ResourceType::kDashboards;
constexpr ResourceType kOrgs = ResourceType::kOrgs;
constexpr ResourceType kUsers = ResourceType::kUsers;
constexpr ResourceType kInstance = ResourceType::kInstance;

TEST(ActionTest, NamesAreInfluxDbs) {
  EXPECT_EQ(std::string(ActionName(Action::kRead)), "read");
  EXPECT_EQ(std::string(ActionName(Action::kWrite)), "write");
}

TEST(ActionTest, ParsesOnlyReadAndWrite) {
  EXPECT_EQ(ParseAction("read"), Action::kRead);
  EXPECT_EQ(ParseAction("write"), Action::kWrite);
  for (const char* bad : {"", "Read", "WRITE", "delete", "admin", "create", "read ", "rw", "*"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseAction(bad).has_value());
  }
}

TEST(PermissionConstructorsTest, SetOrgAndIdAsInfluxDbConstructorsDo) {
  Permission org = OrgPermission(W, kBuckets, kOrgA);
  EXPECT_EQ(org.action, W);
  EXPECT_EQ(org.resource.type, kBuckets);
  EXPECT_EQ(org.resource.org_id, kOrgA);
  EXPECT_EQ(org.resource.id, 0u);

  Permission id = IdPermission(R, kUsers, kId1);
  EXPECT_EQ(id.action, R);
  EXPECT_EQ(id.resource.type, kUsers);
  EXPECT_EQ(id.resource.org_id, 0u);
  EXPECT_EQ(id.resource.id, kId1);

  Permission global = GlobalPermission(R, kDashboards);
  EXPECT_EQ(global.action, R);
  EXPECT_EQ(global.resource.type, kDashboards);
  EXPECT_EQ(global.resource.org_id, 0u);
  EXPECT_EQ(global.resource.id, 0u);

  Permission both = OrgIdPermission(W, kBuckets, kOrgA, kId1);
  EXPECT_EQ(both.action, W);
  EXPECT_EQ(both.resource.type, kBuckets);
  EXPECT_EQ(both.resource.org_id, kOrgA);
  EXPECT_EQ(both.resource.id, kId1);
}

TEST(PermissionEqualityTest, ComparesActionTypeOrgAndId) {
  EXPECT_EQ(OrgIdPermission(R, kBuckets, kOrgA, kId1), OrgIdPermission(R, kBuckets, kOrgA, kId1));
  EXPECT_NE(OrgIdPermission(R, kBuckets, kOrgA, kId1), OrgIdPermission(W, kBuckets, kOrgA, kId1));
  EXPECT_NE(OrgIdPermission(R, kBuckets, kOrgA, kId1),
            OrgIdPermission(R, kDashboards, kOrgA, kId1));
  EXPECT_NE(OrgIdPermission(R, kBuckets, kOrgA, kId1), OrgIdPermission(R, kBuckets, kOrgB, kId1));
  EXPECT_NE(OrgIdPermission(R, kBuckets, kOrgA, kId1), OrgIdPermission(R, kBuckets, kOrgA, kId2));
}

struct MatchCase {
  std::string name;
  Permission held;
  Permission requested;
  bool want;
};

// InfluxDB `Permission.Matches` (matchesV1), rules 1-7, and their consequences.
std::vector<MatchCase> MatchCases() {
  return {
      // Rule 1: actions must be equal, in both directions.
      {"read_global_does_not_grant_write", GlobalPermission(R, kBuckets),
       GlobalPermission(W, kBuckets), false},
      {"write_global_does_not_grant_read", GlobalPermission(W, kBuckets),
       GlobalPermission(R, kBuckets), false},
      {"write_org_wide_does_not_grant_read_same_org", OrgPermission(W, kBuckets, kOrgA),
       OrgPermission(R, kBuckets, kOrgA), false},
      {"read_id_does_not_grant_write_same_id", IdPermission(R, kBuckets, kId1),
       IdPermission(W, kBuckets, kId1), false},
      {"read_instance_does_not_grant_write", GlobalPermission(R, kInstance),
       GlobalPermission(W, kBuckets), false},
      {"write_instance_does_not_grant_read", GlobalPermission(W, kInstance),
       GlobalPermission(R, kUsers), false},

      // Rule 2: a held instance permission matches any type, whatever the scope.
      {"instance_matches_global_buckets", GlobalPermission(R, kInstance),
       GlobalPermission(R, kBuckets), true},
      {"instance_matches_org_and_id_request", GlobalPermission(R, kInstance),
       OrgIdPermission(R, kBuckets, kOrgA, kId1), true},
      {"instance_matches_id_only_users", GlobalPermission(W, kInstance),
       IdPermission(W, kUsers, kId1), true},
      {"instance_matches_org_wide_dashboards", GlobalPermission(W, kInstance),
       OrgPermission(W, kDashboards, kOrgB), true},
      {"instance_matches_instance", GlobalPermission(W, kInstance), GlobalPermission(W, kInstance),
       true},
      {"org_scoped_instance_still_matches_other_org", OrgPermission(R, kInstance, kOrgA),
       OrgPermission(R, kBuckets, kOrgB), true},

      // Rule 3: otherwise types must be equal.
      {"global_type_mismatch", GlobalPermission(R, kBuckets), GlobalPermission(R, kDashboards),
       false},
      {"org_wide_type_mismatch", OrgPermission(R, kBuckets, kOrgA),
       OrgPermission(R, kDashboards, kOrgA), false},
      {"id_type_mismatch", IdPermission(R, kBuckets, kId1), IdPermission(R, kDashboards, kId1),
       false},
      {"global_buckets_does_not_grant_instance", GlobalPermission(W, kBuckets),
       GlobalPermission(W, kInstance), false},

      // Rule 4: a held global permission matches every scope of its type.
      {"global_matches_global", GlobalPermission(R, kBuckets), GlobalPermission(R, kBuckets), true},
      {"global_matches_org_wide", GlobalPermission(R, kBuckets), OrgPermission(R, kBuckets, kOrgA),
       true},
      {"global_matches_id_only", GlobalPermission(R, kBuckets), IdPermission(R, kBuckets, kId1),
       true},
      {"global_matches_org_and_id", GlobalPermission(W, kBuckets),
       OrgIdPermission(W, kBuckets, kOrgB, kId2), true},

      // Rule 5: a held org-wide permission needs the requested org set and equal.
      {"org_wide_matches_same_org", OrgPermission(R, kBuckets, kOrgA),
       OrgPermission(R, kBuckets, kOrgA), true},
      {"org_wide_does_not_match_other_org", OrgPermission(R, kBuckets, kOrgA),
       OrgPermission(R, kBuckets, kOrgB), false},
      {"org_wide_does_not_match_id_only_request", OrgPermission(R, kBuckets, kOrgA),
       IdPermission(R, kBuckets, kId1), false},
      {"org_wide_matches_org_and_id_in_same_org", OrgPermission(R, kBuckets, kOrgA),
       OrgIdPermission(R, kBuckets, kOrgA, kId1), true},
      {"org_wide_does_not_match_org_and_id_in_other_org", OrgPermission(R, kBuckets, kOrgA),
       OrgIdPermission(R, kBuckets, kOrgB, kId1), false},
      {"org_wide_does_not_match_global_request", OrgPermission(R, kBuckets, kOrgA),
       GlobalPermission(R, kBuckets), false},

      // Rule 6: a held id permission needs the requested id set and equal; the org is ignored.
      {"id_matches_same_id", IdPermission(R, kBuckets, kId1), IdPermission(R, kBuckets, kId1),
       true},
      {"id_matches_same_id_in_any_org", IdPermission(R, kBuckets, kId1),
       OrgIdPermission(R, kBuckets, kOrgB, kId1), true},
      {"id_does_not_match_org_wide_request", IdPermission(R, kBuckets, kId1),
       OrgPermission(R, kBuckets, kOrgA), false},
      {"id_does_not_match_other_id", IdPermission(R, kBuckets, kId1),
       IdPermission(R, kBuckets, kId2), false},
      {"id_does_not_match_other_id_in_same_org", IdPermission(R, kBuckets, kId1),
       OrgIdPermission(R, kBuckets, kOrgA, kId2), false},
      {"id_does_not_match_global_request", IdPermission(R, kBuckets, kId1),
       GlobalPermission(R, kBuckets), false},
      {"org_and_id_matches_same_id_in_other_org", OrgIdPermission(R, kBuckets, kOrgA, kId1),
       OrgIdPermission(R, kBuckets, kOrgB, kId1), true},
      {"org_and_id_matches_id_only_request", OrgIdPermission(R, kBuckets, kOrgA, kId1),
       IdPermission(R, kBuckets, kId1), true},
      {"org_and_id_does_not_match_org_wide_request_in_its_org",
       OrgIdPermission(R, kBuckets, kOrgA, kId1), OrgPermission(R, kBuckets, kOrgA), false},
      {"org_and_id_does_not_match_other_id_in_its_org", OrgIdPermission(R, kBuckets, kOrgA, kId1),
       OrgIdPermission(R, kBuckets, kOrgA, kId2), false},

      // Consequences used by the canned sets.
      {"read_orgs_id_matches_read_of_that_org", IdPermission(R, kOrgs, kOrgA),
       IdPermission(R, kOrgs, kOrgA), true},
      {"read_orgs_id_does_not_match_listing_all_orgs", IdPermission(R, kOrgs, kOrgA),
       GlobalPermission(R, kOrgs), false},
      {"users_id_does_not_match_other_user", IdPermission(W, kUsers, kId1),
       IdPermission(W, kUsers, kId2), false},
      {"users_id_does_not_match_global_users", IdPermission(W, kUsers, kId1),
       GlobalPermission(W, kUsers), false},
  };
}

TEST(PermissionMatchTest, FollowsInfluxDbMatchingRules) {
  std::vector<MatchCase> cases = MatchCases();
  ASSERT_GE(cases.size(), 25u);
  for (const MatchCase& c : cases) {
    SCOPED_TRACE(c.name + ": held " + PermissionString(c.held) + ", requested " +
                 PermissionString(c.requested));
    EXPECT_EQ(Matches(c.held, c.requested), c.want);
  }
}

TEST(PermissionMatchTest, OrgWideGrantDoesNotMatchIdOnlyRequest) {
  EXPECT_FALSE(Matches(OrgPermission(R, kUsers, kOrgA), IdPermission(R, kUsers, kId1)));
}

TEST(PermissionMatchTest, IdGrantMatchesSameIdWhateverTheRequestedOrg) {
  EXPECT_TRUE(Matches(OrgIdPermission(W, kBuckets, kOrgA, kId1),
                      OrgIdPermission(W, kBuckets, kOrgB, kId1)));
}

TEST(AnyMatchesTest, EmptySetMatchesNothing) {
  EXPECT_FALSE(AnyMatches({}, GlobalPermission(R, kBuckets)));
}

TEST(AnyMatchesTest, TrueWhenAnyHeldPermissionMatches) {
  std::vector<Permission> held = {GlobalPermission(R, kDashboards),
                                  OrgPermission(W, kBuckets, kOrgB),
                                  IdPermission(R, kBuckets, kId1)};
  EXPECT_TRUE(AnyMatches(held, OrgIdPermission(R, kBuckets, kOrgA, kId1)));
  EXPECT_TRUE(AnyMatches(held, OrgPermission(W, kBuckets, kOrgB)));
  EXPECT_TRUE(AnyMatches(held, OrgPermission(R, kDashboards, kOrgA)));
}

TEST(AnyMatchesTest, FalseWhenNoHeldPermissionMatches) {
  std::vector<Permission> held = {GlobalPermission(R, kDashboards),
                                  OrgPermission(W, kBuckets, kOrgB),
                                  IdPermission(R, kBuckets, kId1)};
  EXPECT_FALSE(AnyMatches(held, OrgPermission(R, kBuckets, kOrgB)));
  EXPECT_FALSE(AnyMatches(held, IdPermission(R, kBuckets, kId2)));
  EXPECT_FALSE(AnyMatches(held, GlobalPermission(W, kDashboards)));
}

struct StringCase {
  std::string name;
  Permission permission;
  std::string want;
};

TEST(PermissionStringTest, MatchesInfluxDbStringForm) {
  const std::vector<StringCase> cases = {
      {"org_and_id", OrgIdPermission(R, kBuckets, kOrgA, kId1),
       "read:orgs/00000000000a0001/buckets/0000000000001111"},
      {"org_only", OrgPermission(R, kBuckets, kOrgA), "read:orgs/00000000000a0001/buckets"},
      {"id_only", IdPermission(R, kBuckets, kId1), "read:buckets/0000000000001111"},
      {"global", GlobalPermission(R, kBuckets), "read:buckets"},
      {"write_global", GlobalPermission(W, kBuckets), "write:buckets"},
      {"write_org_and_id", OrgIdPermission(W, kDashboards, kOrgB, kId2),
       "write:orgs/00000000000b0002/dashboards/0000000000002222"},
      {"camel_case_type", OrgPermission(W, ResourceType::kNotificationRules, kOrgA),
       "write:orgs/00000000000a0001/notificationRules"},
      {"dbrp_singular", GlobalPermission(R, ResourceType::kDbrp), "read:dbrp"},
      {"orgs_by_id", IdPermission(R, kOrgs, kOrgA), "read:orgs/00000000000a0001"},
      {"instance", GlobalPermission(W, kInstance), "write:instance"},
  };
  for (const StringCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(PermissionString(c.permission), c.want);
  }
}

}  // namespace
}  // namespace authd::authz
