#include "authz/token_index.h"

#include <atomic>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "authz/decision.h"
#include "authz/permission.h"
#include "authz/token_hash.h"
#include "gtest/gtest.h"

namespace authd::authz {
namespace {

// Every decision here is taken at this instant (unix ns); expiry cases set their own times.
constexpr int64_t kNow = int64_t{1800000000} * 1000000000;

constexpr Id kOrg = 0x0000000000000c01;
constexpr Id kUser = 0x0000000000000b01;
constexpr Id kOtherUser = 0x0000000000000b02;
constexpr Id kBucket = 0x0000000000000d01;

const Permission kReadBuckets = OrgPermission(Action::kRead, ResourceType::kBuckets, kOrg);
const Permission kWriteBuckets = OrgPermission(Action::kWrite, ResourceType::kBuckets, kOrg);
const Permission kReadBucket =
    OrgIdPermission(Action::kRead, ResourceType::kBuckets, kOrg, kBucket);
const Permission kWriteBucket =
    OrgIdPermission(Action::kWrite, ResourceType::kBuckets, kOrg, kBucket);

TokenGrant Grant(Id authorization_id, Id user_id, bool active, std::vector<Permission> perms) {
  TokenGrant g;
  g.authorization_id = authorization_id;
  g.user_id = user_id;
  g.org_id = kOrg;
  g.active = active;
  g.permissions = std::move(perms);
  return g;
}

void ExpectSameGrant(const TokenGrant& got, const TokenGrant& want) {
  EXPECT_EQ(got.authorization_id, want.authorization_id);
  EXPECT_EQ(got.user_id, want.user_id);
  EXPECT_EQ(got.org_id, want.org_id);
  EXPECT_EQ(got.active, want.active);
  EXPECT_EQ(got.permissions, want.permissions);
}

class TokenIndexTest : public ::testing::Test {
 protected:
  const TokenDigest digest_ = DigestToken("authd_token-one");
  const TokenDigest other_digest_ = DigestToken("authd_token-two");
  TokenIndex index_;
};

TEST_F(TokenIndexTest, EmptyIndexKnowsNoToken) {
  EXPECT_EQ(index_.size(), 0u);
  EXPECT_FALSE(index_.Find(digest_).has_value());
  EXPECT_FALSE(index_.UserActive(kUser));
  Decision d = index_.Authorize(digest_, kReadBucket, kNow);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, DenyReason::kUnknownToken);
  EXPECT_EQ(d.authorization_id, 0u);
}

TEST_F(TokenIndexTest, FindReturnsThePutGrant) {
  TokenGrant grant = Grant(101, kUser, true, {kReadBuckets, kWriteBucket});
  index_.Put(digest_, grant);
  EXPECT_EQ(index_.size(), 1u);
  std::optional<TokenGrant> got = index_.Find(digest_);
  ASSERT_TRUE(got.has_value());
  ExpectSameGrant(*got, grant);
  EXPECT_FALSE(index_.Find(other_digest_).has_value());
}

struct AuthorizeCase {
  std::string name;
  bool token_active;
  bool user_active;
  Permission requested;
  bool want_allowed;
  DenyReason want_reason;
};

TEST_F(TokenIndexTest, AuthorizeReportsReasonsAndIds) {
  const std::vector<AuthorizeCase> cases = {
      {"allowed", true, true, kReadBucket, true, DenyReason::kNone},
      {"no_permission", true, true, kWriteBucket, false, DenyReason::kNoPermission},
      {"inactive_user", true, false, kReadBucket, false, DenyReason::kInactiveUser},
      {"inactive_token", false, true, kReadBucket, false, DenyReason::kInactiveToken},
  };
  for (const AuthorizeCase& c : cases) {
    SCOPED_TRACE(c.name);
    TokenIndex index;
    index.Put(digest_, Grant(101, kUser, c.token_active, {kReadBuckets}));
    index.SetUserActive(kUser, c.user_active);
    Decision d = index.Authorize(digest_, c.requested, kNow);
    EXPECT_EQ(d.allowed, c.want_allowed);
    EXPECT_EQ(d.reason, c.want_reason);
    EXPECT_EQ(d.authorization_id, 101u);
    EXPECT_EQ(d.user_id, kUser);
    EXPECT_EQ(d.org_id, kOrg);

    Decision unknown = index.Authorize(other_digest_, c.requested, kNow);
    EXPECT_FALSE(unknown.allowed);
    EXPECT_EQ(unknown.reason, DenyReason::kUnknownToken);
    EXPECT_EQ(unknown.authorization_id, 0u);
  }
}

TEST_F(TokenIndexTest, UserMustBeMarkedActive) {
  index_.Put(digest_, Grant(101, kUser, true, {kReadBuckets}));
  EXPECT_EQ(index_.Authorize(digest_, kReadBucket, kNow).reason, DenyReason::kInactiveUser);

  index_.SetUserActive(kOtherUser, true);
  EXPECT_EQ(index_.Authorize(digest_, kReadBucket, kNow).reason, DenyReason::kInactiveUser);

  index_.SetUserActive(kUser, true);
  EXPECT_TRUE(index_.UserActive(kUser));
  EXPECT_TRUE(index_.Authorize(digest_, kReadBucket, kNow).allowed);

  index_.SetUserActive(kUser, false);
  EXPECT_FALSE(index_.UserActive(kUser));
  EXPECT_TRUE(index_.UserActive(kOtherUser));
  EXPECT_EQ(index_.Authorize(digest_, kReadBucket, kNow).reason, DenyReason::kInactiveUser);
}

TEST_F(TokenIndexTest, PutReplacesTheGrantForTheSameDigest) {
  index_.SetUserActive(kUser, true);
  index_.Put(digest_, Grant(101, kUser, true, {kReadBuckets}));
  EXPECT_TRUE(index_.Authorize(digest_, kReadBucket, kNow).allowed);
  EXPECT_FALSE(index_.Authorize(digest_, kWriteBucket, kNow).allowed);

  TokenGrant replacement = Grant(101, kUser, true, {kWriteBuckets});
  index_.Put(digest_, replacement);
  EXPECT_EQ(index_.size(), 1u);
  ExpectSameGrant(*index_.Find(digest_), replacement);
  EXPECT_EQ(index_.Authorize(digest_, kReadBucket, kNow).reason, DenyReason::kNoPermission);
  EXPECT_TRUE(index_.Authorize(digest_, kWriteBucket, kNow).allowed);

  index_.Put(digest_, Grant(101, kUser, false, {kWriteBuckets}));
  EXPECT_EQ(index_.Authorize(digest_, kWriteBucket, kNow).reason, DenyReason::kInactiveToken);
}

TEST_F(TokenIndexTest, EraseRemovesOnlyThatDigest) {
  index_.SetUserActive(kUser, true);
  index_.Put(digest_, Grant(101, kUser, true, {kReadBuckets}));
  index_.Put(other_digest_, Grant(102, kUser, true, {kReadBuckets}));
  ASSERT_EQ(index_.size(), 2u);

  index_.Erase(digest_);
  EXPECT_EQ(index_.size(), 1u);
  EXPECT_FALSE(index_.Find(digest_).has_value());
  EXPECT_EQ(index_.Authorize(digest_, kReadBucket, kNow).reason, DenyReason::kUnknownToken);
  EXPECT_TRUE(index_.Authorize(other_digest_, kReadBucket, kNow).allowed);
  EXPECT_EQ(index_.Find(other_digest_)->authorization_id, 102u);

  index_.Erase(digest_);  // Absent: a no-op.
  EXPECT_EQ(index_.size(), 1u);
}

TEST_F(TokenIndexTest, ClearDropsTokensAndUsers) {
  index_.SetUserActive(kUser, true);
  index_.Put(digest_, Grant(101, kUser, true, {kReadBuckets}));
  index_.Put(other_digest_, Grant(102, kUser, true, {kReadBuckets}));

  index_.Clear();
  EXPECT_EQ(index_.size(), 0u);
  EXPECT_FALSE(index_.Find(digest_).has_value());
  EXPECT_FALSE(index_.UserActive(kUser));
  EXPECT_EQ(index_.Authorize(digest_, kReadBucket, kNow).reason, DenyReason::kUnknownToken);

  // Usable again after a reload.
  index_.Put(digest_, Grant(103, kUser, true, {kReadBuckets}));
  index_.SetUserActive(kUser, true);
  EXPECT_TRUE(index_.Authorize(digest_, kReadBucket, kNow).allowed);
}

TEST_F(TokenIndexTest, BucketOrgsAreSetErasedClearedAndSwapped) {
  authz::TokenIndex index;
  EXPECT_EQ(index.BucketOrg(0xb1), 0u);
  index.SetBucketOrg(0xb1, 0x0a);
  index.SetBucketOrg(0xb2, 0x0b);
  EXPECT_EQ(index.BucketOrg(0xb1), 0x0au);
  EXPECT_EQ(index.BucketOrg(0xb2), 0x0bu);
  index.SetBucketOrg(0xb2, 0);  // deleted
  EXPECT_EQ(index.BucketOrg(0xb2), 0u);
  authz::TokenIndex fresh;
  fresh.SetBucketOrg(0xb3, 0x0c);
  index.SwapContents(&fresh);
  EXPECT_EQ(index.BucketOrg(0xb1), 0u);
  EXPECT_EQ(index.BucketOrg(0xb3), 0x0cu);
  index.Clear();
  EXPECT_EQ(index.BucketOrg(0xb3), 0u);
}

TEST_F(TokenIndexTest, SizeCountsTokensAcrossShards) {
  std::vector<TokenDigest> digests;
  for (int i = 0; i < 1000; ++i) digests.push_back(DigestToken("token-" + std::to_string(i)));
  for (size_t i = 0; i < digests.size(); ++i) {
    index_.Put(digests[i], Grant(1000 + i, kUser, true, {kReadBuckets}));
  }
  EXPECT_EQ(index_.size(), 1000u);
  for (size_t i = 0; i < digests.size(); ++i) {
    std::optional<TokenGrant> got = index_.Find(digests[i]);
    ASSERT_TRUE(got.has_value()) << i;
    EXPECT_EQ(got->authorization_id, 1000 + i);
  }
  for (size_t i = 0; i < digests.size(); i += 2) index_.Erase(digests[i]);
  EXPECT_EQ(index_.size(), 500u);
}

TEST_F(TokenIndexTest, DigestsSharingTheShardByteAreDistinct) {
  TokenDigest a{};
  TokenDigest b{};
  b[31] = 1;  // Same byte 8 (same shard), different digest.
  index_.SetUserActive(kUser, true);
  index_.Put(a, Grant(201, kUser, true, {kReadBuckets}));
  EXPECT_EQ(index_.Authorize(b, kReadBucket, kNow).reason, DenyReason::kUnknownToken);
  index_.Put(b, Grant(202, kUser, true, {kWriteBuckets}));
  EXPECT_EQ(index_.size(), 2u);
  EXPECT_EQ(index_.Find(a)->authorization_id, 201u);
  EXPECT_EQ(index_.Find(b)->authorization_id, 202u);
}

// Readers call Authorize while a writer Puts, replaces and Erases. Each reader checks that every
// decision is one the writer could have published; there is no timing or sleeping involved.
TEST_F(TokenIndexTest, ConcurrentAuthorizeSeesOnlyPublishedStates) {
  constexpr int kWriterIterations = 3000;
  constexpr int kReaders = 3;
  constexpr int kReaderIterations = 3000;

  const TokenDigest stable = DigestToken("stable");
  const TokenDigest churn = DigestToken("churn");
  const TokenDigest flip = DigestToken("flip");
  index_.SetUserActive(kUser, true);
  index_.Put(stable, Grant(1, kUser, true, {kReadBuckets}));
  index_.Put(flip, Grant(3, kUser, true, {kReadBuckets}));

  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      for (int i = 0; i < kReaderIterations; ++i) {
        Decision s = index_.Authorize(stable, kReadBucket, kNow);
        if (!s.allowed || s.authorization_id != 1) ++failures;

        Decision c = index_.Authorize(churn, kReadBucket, kNow);
        bool churn_ok =
            (c.allowed && c.authorization_id == 2) ||
            (!c.allowed && c.reason == DenyReason::kUnknownToken && c.authorization_id == 0);
        if (!churn_ok) ++failures;

        // `flip` alternates between a read grant (id 3) and a write grant (id 4).
        Decision f = index_.Authorize(flip, kReadBucket, kNow);
        bool flip_ok =
            (f.allowed && f.authorization_id == 3) ||
            (!f.allowed && f.reason == DenyReason::kNoPermission && f.authorization_id == 4);
        if (!flip_ok) ++failures;
      }
    });
  }

  for (int i = 0; i < kWriterIterations; ++i) {
    if (i % 2 == 0) {
      index_.Put(churn, Grant(2, kUser, true, {kReadBuckets}));
      index_.Put(flip, Grant(4, kUser, true, {kWriteBuckets}));
    } else {
      index_.Erase(churn);
      index_.Put(flip, Grant(3, kUser, true, {kReadBuckets}));
    }
    index_.Put(DigestToken("other-" + std::to_string(i % 50)), Grant(5, kUser, true, {}));
  }
  for (std::thread& t : readers) t.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_FALSE(index_.Find(churn).has_value());  // Last writer step was an Erase.
  EXPECT_EQ(index_.Find(flip)->authorization_id, 3u);
  EXPECT_EQ(index_.size(), 2u + 50u);
}

// Everything at once, as in production: writers publish and erase (Put/Erase), a reloader swaps in
// freshly built indexes (SwapContents, as a restore or rebuild does), a user is switched off and
// on, and readers Authorize and Find throughout. Each digest's grants carry the digest's number in
// their ID and a permission that follows their version's parity, so a reader can tell a torn or
// misplaced entry from a published one. Run under ThreadSanitizer too (tag "tsan"), which checks
// that every access is ordered by a lock, whatever the interleaving this run happened to get.
TEST(TokenIndexConcurrencyTest, WritersReloadsAndReadersKeepInvariants) {
  constexpr int kDigests = 256;  // Over all 64 shards.
  constexpr int kWriters = 2;
  constexpr int kReaders = 2;
  constexpr int kWriterOps = 4000;
  constexpr int kReaderOps = 4000;
  constexpr int kReloads = 40;
  constexpr Id kFlipUser = 0x0000000000000b09;  // Owns the digests numbered 0 mod 8.

  std::vector<TokenDigest> digests;
  for (int i = 0; i < kDigests; ++i) digests.push_back(DigestToken("token-" + std::to_string(i)));
  auto owner = [](int i) { return i % 8 == 0 ? kFlipUser : kUser; };
  // Version v of digest i: ID (i + 1) * 100000 + v (never 0, which means "no token");
  // even versions read buckets, odd ones write them.
  auto grant = [&](int i, int version) {
    return Grant(static_cast<Id>(i + 1) * 100000 + version, owner(i), true,
                 {version % 2 == 0 ? kReadBuckets : kWriteBuckets});
  };
  // Whether `g` could have been published for digest i.
  auto consistent = [&](int i, const TokenGrant& g) {
    const int version = static_cast<int>(g.authorization_id % 100000);
    return g.authorization_id / 100000 == static_cast<Id>(i + 1) && g.user_id == owner(i) &&
           g.org_id == kOrg && g.active && g.permissions.size() == 1 &&
           g.permissions[0] == (version % 2 == 0 ? kReadBuckets : kWriteBuckets);
  };

  TokenIndex index;
  index.SetUserActive(kUser, true);
  index.SetUserActive(kFlipUser, true);
  for (int i = 0; i < kDigests; ++i) index.Put(digests[i], grant(i, 0));

  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 rng(100 + w);
      for (int op = 1; op <= kWriterOps; ++op) {
        const int i = w + kWriters * static_cast<int>(rng() % (kDigests / kWriters));  // Ours.
        if (rng() % 4 == 0) {
          index.Erase(digests[i]);
        } else {
          index.Put(digests[i], grant(i, op));
        }
      }
    });
  }
  threads.emplace_back([&] {  // The reloader.
    for (int r = 0; r < kReloads; ++r) {
      TokenIndex fresh;
      fresh.SetUserActive(kUser, true);
      fresh.SetUserActive(kFlipUser, true);
      for (int i = r % 2; i < kDigests; i += 2) fresh.Put(digests[i], grant(i, 2 * r));
      index.SwapContents(&fresh);
      // `fresh` now holds what the index held: every entry must still be a published one.
      for (int i = 0; i < kDigests; ++i) {
        std::optional<TokenGrant> g = fresh.Find(digests[i]);
        if (g.has_value() && !consistent(i, *g)) ++failures;
      }
      if (!fresh.UserActive(kUser)) ++failures;
    }
  });
  threads.emplace_back([&] {  // Switches kFlipUser off and on; kUser stays active throughout.
    for (int k = 0; k < kWriterOps; ++k) index.SetUserActive(kFlipUser, k % 2 == 1);
  });
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      std::mt19937 rng(200 + r);
      for (int op = 0; op < kReaderOps; ++op) {
        const int i = static_cast<int>(rng() % kDigests);
        Decision d = index.Authorize(digests[i], kReadBucket, kNow);
        const int version = static_cast<int>(d.authorization_id % 100000);
        bool ok;
        if (d.authorization_id == 0) {
          ok = !d.allowed && d.reason == DenyReason::kUnknownToken;
        } else if (d.authorization_id / 100000 != static_cast<Id>(i + 1) || d.user_id != owner(i) ||
                   d.org_id != kOrg) {
          ok = false;
        } else {
          // An inactive user is judged first; kUser is active in every index swapped in.
          const bool user_may_be_off = owner(i) == kFlipUser;
          const bool want_allowed = version % 2 == 0;
          ok = (d.allowed == want_allowed &&
                d.reason == (want_allowed ? DenyReason::kNone : DenyReason::kNoPermission)) ||
               (user_may_be_off && !d.allowed && d.reason == DenyReason::kInactiveUser);
        }
        if (!ok) ++failures;

        std::optional<TokenGrant> g = index.Find(digests[(i + 1) % kDigests]);
        if (g.has_value() && !consistent((i + 1) % kDigests, *g)) ++failures;
        if (index.size() > static_cast<size_t>(kDigests)) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();

  EXPECT_EQ(failures.load(), 0);
  size_t found = 0;
  for (int i = 0; i < kDigests; ++i) {
    std::optional<TokenGrant> g = index.Find(digests[i]);
    if (!g.has_value()) continue;
    ++found;
    EXPECT_TRUE(consistent(i, *g)) << i;
  }
  EXPECT_EQ(index.size(), found);
  EXPECT_TRUE(index.UserActive(kUser));
  EXPECT_TRUE(index.UserActive(kFlipUser));  // The switcher's last step turned it on.
}

// ---- Lifecycle: use marks and the expiry queues.

constexpr int64_t kSecond = 1000000000;

TEST_F(TokenIndexTest, AuthorizeMarksAcceptedTokensUsedAndTakeUsageCollectsOnce) {
  index_.SetUserActive(kUser, true);
  index_.Put(digest_, Grant(101, kUser, true, {kReadBuckets}));
  index_.Put(other_digest_, Grant(102, kUser, false, {kReadBuckets}));
  EXPECT_TRUE(index_.TakeUsage(10).empty());

  EXPECT_TRUE(index_.Authorize(digest_, kReadBucket, kNow).allowed);
  // Denied only for lack of permission: the token was still presented and accepted.
  EXPECT_EQ(index_.Authorize(digest_, kWriteBucket, kNow + kSecond).reason,
            DenyReason::kNoPermission);
  // An inactive token is not a use.
  EXPECT_FALSE(index_.Authorize(other_digest_, kReadBucket, kNow).allowed);

  std::vector<Usage> used = index_.TakeUsage(10);
  ASSERT_EQ(used.size(), 1u);
  EXPECT_EQ(used[0].authorization_id, 101u);
  EXPECT_EQ(used[0].last_used_s, kNow / kSecond + 1);
  EXPECT_TRUE(index_.TakeUsage(10).empty()) << "a use is collected once";

  // Given back (the append failed): collected again.
  index_.RestoreUsage(used);
  EXPECT_EQ(index_.TakeUsage(10).size(), 1u);
}

TEST_F(TokenIndexTest, TakeUsageReturnsAtMostMaxAndTheRestLater) {
  index_.SetUserActive(kUser, true);
  std::vector<TokenDigest> digests;
  for (int i = 0; i < 100; ++i) {
    digests.push_back(DigestToken("authd_max-" + std::to_string(i)));
    index_.Put(digests.back(), Grant(static_cast<Id>(300 + i), kUser, true, {kReadBuckets}));
    ASSERT_TRUE(index_.Authorize(digests.back(), kReadBucket, kNow).allowed);
  }
  absl::flat_hash_set<Id> seen;
  for (int call = 0; call < 10; ++call) {
    std::vector<Usage> used = index_.TakeUsage(10);
    EXPECT_EQ(used.size(), 10u) << "call " << call;
    for (const Usage& u : used) EXPECT_TRUE(seen.insert(u.authorization_id).second);
  }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_TRUE(index_.TakeUsage(10).empty());
}

TEST_F(TokenIndexTest, GrantsOfOneAuthorizationShareTheirUsageSlot) {
  index_.SetUserActive(kUser, true);
  TokenGrant current = Grant(101, kUser, true, {kReadBuckets});
  TokenGrant previous = current;
  previous.previous_secret = true;
  previous.expires_at_ns = kNow + 3600 * kSecond;
  index_.Put(digest_, current);
  index_.Put(other_digest_, previous);
  EXPECT_TRUE(index_.Authorize(other_digest_, kReadBucket, kNow).allowed);
  EXPECT_TRUE(index_.Authorize(digest_, kReadBucket, kNow + kSecond).allowed);
  // One entry per authorization, with the latest use over both secrets.
  std::vector<Usage> used = index_.TakeUsage(10);
  ASSERT_EQ(used.size(), 1u);
  EXPECT_EQ(used[0].authorization_id, 101u);
  EXPECT_EQ(used[0].last_used_s, kNow / kSecond + 1);
  // The previous secret goes with an unflushed use: that use is still collected.
  EXPECT_TRUE(index_.Authorize(other_digest_, kReadBucket, kNow + 2 * kSecond).allowed);
  index_.Erase(other_digest_);
  used = index_.TakeUsage(10);
  ASSERT_EQ(used.size(), 1u);
  EXPECT_EQ(used[0].last_used_s, kNow / kSecond + 2);
  // Replacing the grant (an update) keeps an unflushed use; a stored use counts as flushed.
  EXPECT_TRUE(index_.Authorize(digest_, kReadBucket, kNow + 3 * kSecond).allowed);
  index_.Put(digest_, current);
  used = index_.TakeUsage(10);
  ASSERT_EQ(used.size(), 1u);
  EXPECT_EQ(used[0].last_used_s, kNow / kSecond + 3);
  TokenGrant updated = current;
  updated.SetRecordedUse(kNow / kSecond + 100);
  index_.Put(digest_, updated);
  EXPECT_EQ(index_.Find(digest_)->last_used_s.load(), kNow / kSecond + 100);
  EXPECT_TRUE(index_.TakeUsage(10).empty()) << "a use the log already holds is not flushed again";
  // API calls mark uses too; an index that does not record uses marks nothing.
  index_.MarkUsed(digest_, kNow + 200 * kSecond);
  EXPECT_EQ(index_.TakeUsage(10).size(), 1u);
  TokenIndex quiet(/*record_usage=*/false);
  quiet.SetUserActive(kUser, true);
  quiet.Put(digest_, current);
  EXPECT_TRUE(quiet.Authorize(digest_, kReadBucket, kNow).allowed);
  quiet.MarkUsed(digest_, kNow);
  EXPECT_TRUE(quiet.TakeUsage(10).empty());
}

TEST_F(TokenIndexTest, DueExpiriesListsPassedUnrecordedExpiriesSoonestFirst) {
  TokenGrant later = Grant(101, kUser, true, {});
  later.expires_at_ns = kNow + 10;
  TokenGrant sooner = Grant(102, kUser, true, {});
  sooner.expires_at_ns = kNow - 10;
  sooner.previous_secret = true;
  TokenGrant never = Grant(103, kUser, true, {});
  const TokenDigest third = DigestToken("authd_token-three");
  index_.Put(digest_, later);
  index_.Put(other_digest_, sooner);
  index_.Put(third, never);

  EXPECT_TRUE(index_.DueExpiries(kNow - 11, 10).empty());
  std::vector<DueExpiry> due = index_.DueExpiries(kNow + 10, 10);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].authorization_id, 102u);
  EXPECT_TRUE(due[0].previous_secret);
  EXPECT_EQ(due[1].authorization_id, 101u);
  EXPECT_EQ(index_.DueExpiries(kNow + 10, 1).size(), 1u) << "bounded by max";

  // Recorded (the sweeper's event projected): no longer due. Extended: due later.
  later.expiry_recorded = true;
  index_.Put(digest_, later);
  sooner.expires_at_ns = kNow + 1000;
  index_.Put(other_digest_, sooner);
  EXPECT_TRUE(index_.DueExpiries(kNow + 10, 10).empty());
  EXPECT_EQ(index_.DueExpiries(kNow + 1000, 10).size(), 1u);
  index_.Erase(other_digest_);
  EXPECT_TRUE(index_.DueExpiries(kNow + 1000, 10).empty());
}

TEST_F(TokenIndexTest, ExpiredBeforeListsRecordedExpiriesOfCurrentSecretsOnly) {
  TokenGrant recorded = Grant(101, kUser, true, {});
  recorded.expires_at_ns = kNow - 100;
  recorded.expiry_recorded = true;
  TokenGrant pending = Grant(102, kUser, true, {});
  pending.expires_at_ns = kNow - 200;
  TokenGrant previous = Grant(103, kUser, true, {});
  previous.expires_at_ns = kNow - 300;
  previous.expiry_recorded = true;
  previous.previous_secret = true;
  const TokenDigest third = DigestToken("authd_token-three");
  index_.Put(digest_, recorded);
  index_.Put(other_digest_, pending);
  index_.Put(third, previous);
  EXPECT_TRUE(index_.ExpiredBefore(kNow - 101, 10).empty());
  EXPECT_EQ(index_.ExpiredBefore(kNow, 10), std::vector<Id>{101});
  // Extended: no longer expired.
  recorded.expires_at_ns = kNow + 100;
  recorded.expiry_recorded = false;
  index_.Put(digest_, recorded);
  EXPECT_TRUE(index_.ExpiredBefore(kNow, 10).empty());
  recorded.expiry_recorded = true;
  index_.Put(digest_, recorded);
  EXPECT_EQ(index_.ExpiredBefore(kNow + 100, 10), std::vector<Id>{101});
  index_.Erase(digest_);
  EXPECT_TRUE(index_.ExpiredBefore(kNow + 100, 10).empty());
}

TEST_F(TokenIndexTest, SwapContentsCarriesUsesSeenMeanwhile) {
  index_.SetUserActive(kUser, true);
  index_.Put(digest_, Grant(101, kUser, true, {kReadBuckets}));
  EXPECT_TRUE(index_.Authorize(digest_, kReadBucket, kNow).allowed);
  TokenIndex reloaded;
  reloaded.SetUserActive(kUser, true);
  reloaded.Put(digest_, Grant(101, kUser, true, {kReadBuckets}));
  index_.SwapContents(&reloaded);
  std::vector<Usage> used = index_.TakeUsage(10);
  ASSERT_EQ(used.size(), 1u);
  EXPECT_EQ(used[0].last_used_s, kNow / kSecond);
}

// Readers marking uses, a flusher taking them, a writer replacing and erasing grants, all at once
// (tagged tsan): no use a reader made before the last flush is lost, none is reported twice, and
// every reported second is one a reader used.
TEST(TokenIndexConcurrencyTest, UsesMarkedWhileFlushedAndReplacedAreCollectedOnce) {
  TokenIndex index;
  index.SetUserActive(kUser, true);
  constexpr int kTokens = 16;
  std::vector<TokenDigest> digests;
  for (int i = 0; i < kTokens; ++i) {
    digests.push_back(DigestToken("authd_usage-" + std::to_string(i)));
    index.Put(digests.back(), Grant(static_cast<Id>(200 + i), kUser, true, {kReadBuckets}));
  }
  std::atomic<bool> stop{false};
  // Bounds on the latest use: `attempted` is raised before a reader's Authorize (no flushed use
  // can be later), `accepted` after one that allowed (the final flush must reach it).
  std::atomic<int64_t> attempted{0};
  std::atomic<int64_t> accepted{0};
  auto raise = [](std::atomic<int64_t>& a, int64_t v) {
    int64_t seen = a.load();
    while (seen < v && !a.compare_exchange_weak(seen, v)) {
    }
  };
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      for (int64_t n = 1; n <= 20000 && !stop.load(); ++n) {
        const int64_t second = kNow / kSecond + n;
        raise(attempted, second);
        const Decision d = index.Authorize(digests[(n + r) % kTokens], kReadBucket, second * kSecond);
        if (d.allowed) raise(accepted, second);  // not allowed: erased for a moment
      }
    });
  }
  std::thread writer([&] {
    for (int n = 0; n < 2000 && !stop.load(); ++n) {
      const int i = n % kTokens;
      if (n % 7 == 0) {
        index.Erase(digests[i]);
        index.Put(digests[i], Grant(static_cast<Id>(200 + i), kUser, true, {kReadBuckets}));
      } else {
        index.Put(digests[i], Grant(static_cast<Id>(200 + i), kUser, true, {kReadBuckets}));
      }
    }
  });
  int64_t reported_max = 0;
  for (int round = 0; round < 200; ++round) {
    for (const Usage& u : index.TakeUsage(1000)) {
      EXPECT_GE(u.authorization_id, 200u);
      EXPECT_LT(u.authorization_id, 200u + kTokens);
      EXPECT_LE(u.last_used_s, attempted.load());
      reported_max = std::max(reported_max, u.last_used_s);
    }
  }
  for (std::thread& t : readers) t.join();
  stop = true;
  writer.join();
  for (const Usage& u : index.TakeUsage(1000)) reported_max = std::max(reported_max, u.last_used_s);
  // The latest accepted use was seen by its grant (or kept aside when its grant went) and flushed.
  EXPECT_GE(reported_max, accepted.load());
  EXPECT_LE(reported_max, attempted.load());
  EXPECT_TRUE(index.TakeUsage(1000).empty()) << "nothing is reported twice";
}

}  // namespace
}  // namespace authd::authz
