#include "authz/decision.h"

#include <optional>
#include <string>
#include <vector>

#include "authz/permission.h"
#include "gtest/gtest.h"

namespace authd::authz {
namespace {

// Every decision here is taken at this instant (unix ns); expiry cases set their own times.
constexpr int64_t kNow = int64_t{1800000000} * 1000000000;

constexpr Id kAuthId = 0x0000000000000a11;
constexpr Id kUserId = 0x0000000000000b22;
constexpr Id kOrgId = 0x0000000000000c33;
constexpr Id kBucketId = 0x0000000000000d44;

TokenGrant MakeGrant(bool active, std::vector<Permission> permissions) {
  TokenGrant grant;
  grant.authorization_id = kAuthId;
  grant.user_id = kUserId;
  grant.org_id = kOrgId;
  grant.active = active;
  grant.permissions = std::move(permissions);
  return grant;
}

const Permission kReadBucketsInOrg = OrgPermission(Action::kRead, ResourceType::kBuckets, kOrgId);
const Permission kReadOneBucket =
    OrgIdPermission(Action::kRead, ResourceType::kBuckets, kOrgId, kBucketId);
const Permission kWriteOneBucket =
    OrgIdPermission(Action::kWrite, ResourceType::kBuckets, kOrgId, kBucketId);

struct DecideCase {
  std::string name;
  std::optional<TokenGrant> grant;  // nullopt: unknown token.
  bool user_active;
  Permission requested;
  bool want_allowed;
  DenyReason want_reason;
};

std::vector<DecideCase> DecideCases() {
  return {
      {"unknown_token", std::nullopt, true, kReadOneBucket, false, DenyReason::kUnknownToken},
      {"unknown_token_user_inactive", std::nullopt, false, kReadOneBucket, false,
       DenyReason::kUnknownToken},
      {"inactive_token", MakeGrant(false, {kReadBucketsInOrg}), true, kReadOneBucket, false,
       DenyReason::kInactiveToken},
      {"inactive_token_without_permission", MakeGrant(false, {kReadBucketsInOrg}), true,
       kWriteOneBucket, false, DenyReason::kInactiveToken},
      {"inactive_user", MakeGrant(true, {kReadBucketsInOrg}), false, kReadOneBucket, false,
       DenyReason::kInactiveUser},
      {"inactive_user_without_permission", MakeGrant(true, {kReadBucketsInOrg}), false,
       kWriteOneBucket, false, DenyReason::kInactiveUser},
      {"no_permission_wrong_action", MakeGrant(true, {kReadBucketsInOrg}), true, kWriteOneBucket,
       false, DenyReason::kNoPermission},
      {"no_permission_empty_set", MakeGrant(true, {}), true, kReadOneBucket, false,
       DenyReason::kNoPermission},
      {"no_permission_org_wide_vs_id_only", MakeGrant(true, {kReadBucketsInOrg}), true,
       IdPermission(Action::kRead, ResourceType::kBuckets, kBucketId), false,
       DenyReason::kNoPermission},
      {"allowed_org_wide", MakeGrant(true, {kReadBucketsInOrg}), true, kReadOneBucket, true,
       DenyReason::kNone},
      {"allowed_by_second_permission",
       MakeGrant(true, {GlobalPermission(Action::kRead, ResourceType::kUsers), kWriteOneBucket}),
       true, kWriteOneBucket, true, DenyReason::kNone},
      {"allowed_by_instance",
       MakeGrant(true, {GlobalPermission(Action::kWrite, ResourceType::kInstance)}), true,
       kWriteOneBucket, true, DenyReason::kNone},
  };
}

TEST(DecideTest, DecidesInOrderAndFillsIdsForKnownTokens) {
  for (const DecideCase& c : DecideCases()) {
    SCOPED_TRACE(c.name);
    const TokenGrant* grant = c.grant.has_value() ? &*c.grant : nullptr;
    Decision d = Decide(grant, c.user_active, c.requested, kNow);
    EXPECT_EQ(d.allowed, c.want_allowed);
    EXPECT_EQ(d.reason, c.want_reason);
    if (grant == nullptr) {
      EXPECT_EQ(d.authorization_id, 0u);
      EXPECT_EQ(d.user_id, 0u);
      EXPECT_EQ(d.org_id, 0u);
    } else {
      EXPECT_EQ(d.authorization_id, kAuthId);
      EXPECT_EQ(d.user_id, kUserId);
      EXPECT_EQ(d.org_id, kOrgId);
    }
  }
}

// InfluxDB's authentication middleware checks the user (403 "User is inactive") before any
// permission check can report "token is inactive" (401), so a deactivated token of a deactivated
// user is refused as an inactive user.
// DISABLED: authz/decision.cc checks the token's status before the user's (see the test report).
TEST(DecideTest, InactiveUserReportedBeforeInactiveToken) {
  TokenGrant grant = MakeGrant(false, {kReadBucketsInOrg});
  Decision d = Decide(&grant, /*user_active=*/false, kReadOneBucket, kNow);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, DenyReason::kInactiveUser);
}

TEST(DecisionTest, DefaultIsDeniedAsUnknownToken) {
  Decision d;
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, DenyReason::kUnknownToken);
  EXPECT_EQ(d.authorization_id, 0u);
}

TEST(DenyReasonTest, ValuesMirrorTheProtoEnum) {
  EXPECT_EQ(static_cast<int>(DenyReason::kNone), 0);
  EXPECT_EQ(static_cast<int>(DenyReason::kUnknownToken), 1);
  EXPECT_EQ(static_cast<int>(DenyReason::kInactiveToken), 2);
  EXPECT_EQ(static_cast<int>(DenyReason::kInactiveUser), 3);
  EXPECT_EQ(static_cast<int>(DenyReason::kNoPermission), 4);
  EXPECT_EQ(static_cast<int>(DenyReason::kExpired), 5);
}

TokenGrant Expiring(bool active, int64_t expires_at) {
  TokenGrant g = MakeGrant(active, {kReadBucketsInOrg});
  g.expires_at_ns = expires_at;
  return g;
}

// Expiry comes right after the lookup: an expired token is refused as expired whatever else
// holds, and a token is expired from its expiry instant on (not one nanosecond later).
TEST(DecideTest, ExpiryTable) {
  struct Case {
    std::string name;
    TokenGrant grant;
    bool user_active;
    Permission requested;
    DenyReason want;
  };
  const std::vector<Case> cases = {
      {"never_expires", Expiring(true, 0), true, kReadOneBucket, DenyReason::kNone},
      {"expires_later", Expiring(true, kNow + 1), true, kReadOneBucket, DenyReason::kNone},
      {"expires_now", Expiring(true, kNow), true, kReadOneBucket, DenyReason::kExpired},
      {"expired_long_ago", Expiring(true, 1), true, kReadOneBucket, DenyReason::kExpired},
      {"expired_and_inactive", Expiring(false, kNow - 1), true, kReadOneBucket,
       DenyReason::kExpired},
      {"expired_user_inactive", Expiring(true, kNow - 1), false, kReadOneBucket,
       DenyReason::kExpired},
      {"expired_without_permission", Expiring(true, kNow - 1), true, kWriteOneBucket,
       DenyReason::kExpired},
      {"valid_inactive", Expiring(false, kNow + 1), true, kReadOneBucket,
       DenyReason::kInactiveToken},
      {"valid_without_permission", Expiring(true, kNow + 1), true, kWriteOneBucket,
       DenyReason::kNoPermission},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Decision d = Decide(&c.grant, c.user_active, c.requested, kNow);
    EXPECT_EQ(d.reason, c.want);
    EXPECT_EQ(d.allowed, c.want == DenyReason::kNone);
    EXPECT_EQ(d.authorization_id, kAuthId);  // known, so named
    EXPECT_EQ(Expired(c.grant, kNow), c.want == DenyReason::kExpired);
  }
}

TEST(TokenGrantTest, MarkUsedKeepsTheLatestSecondAndCopiesSnapshotIt) {
  EXPECT_EQ(sizeof(TokenGrant), 64u);
  TokenGrant g = MakeGrant(true, {kReadBucketsInOrg});
  g.SetRecordedUse(kNow / 1000000000 - 10);
  EXPECT_EQ(g.use_pending.load(), 0);
  g.MarkUsed(kNow);
  EXPECT_EQ(g.last_used_s.load(), kNow / 1000000000);
  EXPECT_EQ(g.use_pending.load(), 1);
  g.use_pending.store(0);
  g.MarkUsed(kNow - 5 * int64_t{1000000000});  // an older reading never moves it back
  EXPECT_EQ(g.last_used_s.load(), kNow / 1000000000);
  EXPECT_EQ(g.use_pending.load(), 0) << "no newer second, nothing to flush";
  g.MarkUsed(kNow + 2 * int64_t{1000000000});
  EXPECT_EQ(g.last_used_s.load(), kNow / 1000000000 + 2);
  const TokenGrant copy = g;
  EXPECT_EQ(copy.last_used_s.load(), g.last_used_s.load());
  EXPECT_EQ(copy.use_pending.load(), 1);
  EXPECT_EQ(copy.permissions, g.permissions);
  // Seconds are unsigned 32-bit: clamped, never wrapped.
  EXPECT_EQ(TokenGrant::ClampSeconds(-1), 0u);
  EXPECT_EQ(TokenGrant::ClampSeconds(int64_t{1} << 40), UINT32_MAX);
}

TEST(TokenGrantTest, DefaultIsActiveWithNoPermissions) {
  TokenGrant grant;
  EXPECT_TRUE(grant.active);
  EXPECT_TRUE(grant.permissions.empty());
  Decision d = Decide(&grant, true, kReadOneBucket, kNow);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, DenyReason::kNoPermission);
}

}  // namespace
}  // namespace authd::authz
