#include "authz/session_table.h"

#include <atomic>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "authz/canned.h"
#include "authz/permission.h"
#include "authz/token.h"
#include "authz/token_hash.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "gtest/gtest.h"

namespace authd::authz {
namespace {

constexpr Id kUser = 0x0000000000000b01;
constexpr Id kOtherUser = 0x0000000000000b02;

class SessionTableTest : public ::testing::Test {
 protected:
  const absl::Time start_ = absl::FromUnixSeconds(1700000000);
  FakeClock clock_{start_};
  const absl::Duration ttl_ = absl::Hours(1);
};

TEST_F(SessionTableTest, CreateReturnsATokenWhoseDigestFindsTheSession) {
  SessionTable table(&clock_, ttl_);
  Session created;
  std::string token = table.Create(kUser, MePermissions(kUser), &created);

  EXPECT_EQ(token.size(), kGeneratedTokenLength);
  EXPECT_EQ(ClassifyToken(token), TokenShape::kPlausible);
  EXPECT_GE(created.id, 1000u);
  EXPECT_EQ(created.user_id, kUser);
  EXPECT_EQ(created.permissions, MePermissions(kUser));
  EXPECT_EQ(created.expires_at, start_ + ttl_);

  std::optional<Session> found = table.Find(DigestToken(token));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, created.id);
  EXPECT_EQ(found->user_id, kUser);
  EXPECT_EQ(found->permissions, MePermissions(kUser));
  EXPECT_EQ(found->expires_at, start_ + ttl_);
}

TEST_F(SessionTableTest, TtlIsTheConfiguredOne) {
  SessionTable table(&clock_, absl::Minutes(42));
  EXPECT_EQ(table.ttl(), absl::Minutes(42));
}

TEST_F(SessionTableTest, FindUnknownDigestReturnsNullopt) {
  SessionTable table(&clock_, ttl_);
  Session created;
  std::string token = table.Create(kUser, {}, &created);
  EXPECT_FALSE(table.Find(DigestToken("not-a-session")).has_value());
  EXPECT_FALSE(table.Find(DigestToken(token + "x")).has_value());
  // The stored key is the digest, never the plaintext's bytes.
  EXPECT_TRUE(table.Find(DigestToken(token)).has_value());
}

TEST_F(SessionTableTest, SessionsHaveDistinctTokensAndIds) {
  SessionTable table(&clock_, ttl_);
  absl::flat_hash_set<std::string> tokens;
  absl::flat_hash_set<Id> ids;
  for (int i = 0; i < 100; ++i) {
    Session s;
    tokens.insert(table.Create(kUser, {}, &s));
    ids.insert(s.id);
  }
  EXPECT_EQ(tokens.size(), 100u);
  EXPECT_EQ(ids.size(), 100u);
  for (const std::string& token : tokens) {
    EXPECT_TRUE(table.Find(DigestToken(token)).has_value());
  }
}

TEST_F(SessionTableTest, FindAfterTtlReturnsNullopt) {
  SessionTable table(&clock_, ttl_);
  Session created;
  std::string token = table.Create(kUser, MePermissions(kUser), &created);
  const TokenDigest digest = DigestToken(token);

  clock_.Advance(ttl_ - absl::Seconds(1));
  EXPECT_TRUE(table.Find(digest).has_value());

  clock_.Advance(absl::Seconds(1));  // Exactly at expires_at: expired.
  EXPECT_FALSE(table.Find(digest).has_value());

  clock_.Advance(absl::Hours(5));
  EXPECT_FALSE(table.Find(digest).has_value());
}

TEST_F(SessionTableTest, ExpiryIsPerSession) {
  SessionTable table(&clock_, ttl_);
  Session first, second;
  std::string t1 = table.Create(kUser, {}, &first);
  clock_.Advance(absl::Minutes(30));
  std::string t2 = table.Create(kOtherUser, {}, &second);
  EXPECT_EQ(second.expires_at, start_ + absl::Minutes(30) + ttl_);

  clock_.Advance(absl::Minutes(30));
  EXPECT_FALSE(table.Find(DigestToken(t1)).has_value());
  ASSERT_TRUE(table.Find(DigestToken(t2)).has_value());
  EXPECT_EQ(table.Find(DigestToken(t2))->user_id, kOtherUser);
}

TEST_F(SessionTableTest, EraseEndsTheSession) {
  SessionTable table(&clock_, ttl_);
  Session a, b;
  std::string ta = table.Create(kUser, {}, &a);
  std::string tb = table.Create(kUser, {}, &b);

  EXPECT_TRUE(table.Erase(DigestToken(ta)));
  EXPECT_FALSE(table.Find(DigestToken(ta)).has_value());
  EXPECT_TRUE(table.Find(DigestToken(tb)).has_value());
  EXPECT_FALSE(table.Erase(DigestToken(ta)));
  EXPECT_FALSE(table.Erase(DigestToken("never-created")));
}

TEST_F(SessionTableTest, FullTableEvictsTheSessionClosestToExpiry) {
  SessionTable table(&clock_, ttl_, /*max_sessions=*/3);
  std::vector<std::string> tokens;
  for (int i = 0; i < 4; ++i) {
    Session s;
    tokens.push_back(table.Create(kUser, {}, &s));
    clock_.Advance(absl::Seconds(1));
  }
  EXPECT_FALSE(table.Find(DigestToken(tokens[0])).has_value());
  EXPECT_TRUE(table.Find(DigestToken(tokens[1])).has_value());
  EXPECT_TRUE(table.Find(DigestToken(tokens[2])).has_value());
  EXPECT_TRUE(table.Find(DigestToken(tokens[3])).has_value());
}

TEST_F(SessionTableTest, FullTableStaysBoundedOverManyCreates) {
  SessionTable table(&clock_, ttl_, /*max_sessions=*/3);
  std::vector<std::string> tokens;
  for (int i = 0; i < 20; ++i) {
    Session s;
    tokens.push_back(table.Create(kUser, {}, &s));
    clock_.Advance(absl::Milliseconds(1));
  }
  int live = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    bool found = table.Find(DigestToken(tokens[i])).has_value();
    if (found) ++live;
    EXPECT_EQ(found, i >= tokens.size() - 3) << i;
  }
  EXPECT_EQ(live, 3);
}

TEST_F(SessionTableTest, FullTableDropsExpiredSessionsBeforeLiveOnes) {
  SessionTable table(&clock_, absl::Seconds(10), /*max_sessions=*/2);
  Session s;
  std::string expired = table.Create(kUser, {}, &s);
  clock_.Advance(absl::Seconds(5));
  std::string live = table.Create(kUser, {}, &s);
  clock_.Advance(absl::Seconds(6));  // `expired` is past its time but still stored.
  std::string fresh = table.Create(kUser, {}, &s);

  EXPECT_FALSE(table.Find(DigestToken(expired)).has_value());
  EXPECT_TRUE(table.Find(DigestToken(live)).has_value());
  EXPECT_TRUE(table.Find(DigestToken(fresh)).has_value());
}

TEST_F(SessionTableTest, InstanceOwnerSessionKeepsItsPermissions) {
  SessionTable table(&clock_, ttl_);
  std::vector<Permission> perms = InstanceOwnerPermissions();
  for (const Permission& p : MePermissions(kUser)) perms.push_back(p);
  Session created;
  std::string token = table.Create(kUser, perms, &created);
  std::optional<Session> found = table.Find(DigestToken(token));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->permissions, perms);
  EXPECT_TRUE(
      AnyMatches(found->permissions, GlobalPermission(Action::kWrite, ResourceType::kOrgs)));
}

// Sign-ins, look-ups and sign-outs at once, on a small table (so Create evicts) while the clock
// moves (so sessions expire). A look-up may miss a session (evicted, expired, signed out) but must
// never return another session's data, and the table never holds more than its bound. Run under
// ThreadSanitizer too (tag "tsan").
TEST_F(SessionTableTest, ConcurrentCreateFindEraseNeverMixSessions) {
  constexpr size_t kMaxSessions = 32;
  constexpr int kCreators = 2;
  constexpr int kReaders = 2;
  constexpr int kOps = 1500;
  constexpr int kTicks = 300;
  SessionTable table(&clock_, absl::Seconds(10), kMaxSessions);

  struct Known {
    TokenDigest digest;
    Session session;
  };
  Mutex known_mu;
  std::vector<Known> known;  // Guarded by known_mu.
  auto pick = [&](std::mt19937* rng, Known* out) {
    MutexLock lock(&known_mu);
    if (known.empty()) return false;
    *out = known[(*rng)() % known.size()];
    return true;
  };
  auto same = [](const Session& got, const Session& want) {
    return got.id == want.id && got.user_id == want.user_id &&
           got.permissions == want.permissions && got.expires_at == want.expires_at;
  };

  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kCreators; ++c) {
    threads.emplace_back([&, c] {
      std::mt19937 rng(300 + c);
      const Id user = c == 0 ? kUser : kOtherUser;
      for (int op = 0; op < kOps; ++op) {
        if (op % 4 == 3) {  // Sign one out; a session signed out by now is no longer found.
          Known k;
          if (pick(&rng, &k) && table.Erase(k.digest) && table.Find(k.digest).has_value()) {
            ++failures;
          }
          continue;
        }
        Session s;
        const std::string token = table.Create(user, MePermissions(user), &s);
        MutexLock lock(&known_mu);
        known.push_back({DigestToken(token), s});
      }
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      std::mt19937 rng(400 + r);
      for (int op = 0; op < kOps; ++op) {
        Known k;
        if (!pick(&rng, &k)) continue;
        std::optional<Session> found = table.Find(k.digest);
        if (found.has_value() && !same(*found, k.session)) ++failures;
      }
    });
  }
  threads.emplace_back([&] {
    for (int t = 0; t < kTicks; ++t) clock_.Advance(absl::Milliseconds(100));
  });
  for (std::thread& t : threads) t.join();

  EXPECT_EQ(failures.load(), 0);
  size_t live = 0;
  for (const Known& k : known) {
    std::optional<Session> found = table.Find(k.digest);
    if (!found.has_value()) continue;
    ++live;
    EXPECT_TRUE(same(*found, k.session));
  }
  EXPECT_GT(known.size(), kMaxSessions);
  EXPECT_LE(live, kMaxSessions);
}

}  // namespace
}  // namespace authd::authz
