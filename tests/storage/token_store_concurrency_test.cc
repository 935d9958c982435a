// TokenStore under concurrent writers with synced writes (the group commit): every acknowledged
// write is durable and visible to Authorize, sequence numbers stay gap-free, and uniqueness checks
// hold across writers that share one fsync. Tagged "tsan": .ci/run runs it under ThreadSanitizer.
#include <stdlib.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "authz/permission.h"
#include "authz/resource_type.h"
#include "authz/token_hash.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "gtest/gtest.h"
#include "storage/token_store.h"

namespace authd::storage {
namespace {

using authz::Action;
using authz::Permission;
using authz::ResourceType;

std::string MakeTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                      "/token_store_concurrency_test.XXXXXX";
  EXPECT_NE(mkdtemp(templ.data()), nullptr);
  return templ;
}

std::string TestToken(absl::string_view tag) {
  return absl::StrCat("tok-", tag, "-Zq8Xv3Kp9Lm2Nw7Rt5Yb");
}

TEST(TokenStoreConcurrencyTest, ConcurrentWritersAreAllDurableGapFreeAndUniquenessHolds) {
  TokenStoreOptions options;
  options.data_dir = MakeTempDir() + "/data";
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  authz::TokenIndex index;
  auto opened = TokenStore::Open(options, &clock, &index);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<TokenStore> store = std::move(*opened);

  SetupCommand setup;
  setup.username = "alice";
  setup.org = "acme";
  setup.bucket = "metrics";
  setup.token = TestToken("operator");
  auto r = store->Setup(setup);
  ASSERT_TRUE(r.ok()) << r.status();
  const Actor actor{r->authorization.id(), r->user.id()};
  const Permission p = authz::OrgPermission(Action::kRead, ResourceType::kBuckets, r->org.id());
  auto authorize = [&](const std::string& token) {
    return index.Authorize(authz::DigestToken(token), p, CoarseNowNanos()).allowed;
  };

  constexpr int kThreads = 8;
  constexpr int kPerThread = 20;
  const uint64_t before = store->LastSequence();
  std::vector<std::thread> threads;
  std::atomic<int> created{0}, same_name_ok{0}, same_name_taken{0}, other{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        NewAuthorization req;
        req.org_id = r->org.id();
        req.user_id = r->user.id();
        req.permissions = {p};
        req.token = TestToken(absl::StrCat("t", t, "-", i));
        auto auth = store->CreateAuthorization(actor, req);
        // Acknowledged => durable and published: the token authorizes at once.
        if (auth.ok() && authorize(req.token)) {
          ++created;
        } else {
          ++other;
        }
      }
      // Every thread races for the same org name: exactly one may win.
      auto org = store->CreateOrg(actor, "contested", "");
      if (org.ok()) {
        ++same_name_ok;
      } else if (absl::IsAlreadyExists(org.status())) {
        ++same_name_taken;
      } else {
        ++other;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(created.load(), kThreads * kPerThread);
  EXPECT_EQ(same_name_ok.load(), 1);
  EXPECT_EQ(same_name_taken.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(store->LastSequence(), before + kThreads * kPerThread + 1);

  // Everything acknowledged survives a reopen into a fresh index, and the store verifies.
  store.reset();
  authz::TokenIndex fresh;
  auto reopened = TokenStore::Open(options, &clock, &fresh);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      EXPECT_TRUE(
          fresh.Authorize(authz::DigestToken(TestToken(absl::StrCat("t", t, "-", i))), p, CoarseNowNanos()).allowed)
          << t << "/" << i;
    }
  }
  auto report = (*reopened)->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
}

}  // namespace
}  // namespace authd::storage
