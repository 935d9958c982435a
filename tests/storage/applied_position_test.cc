// storage/applied_position: a reached position never waits; a waiter is woken by the Advance that
// reaches its position (and not by one that does not); the deadline gives kUnavailable naming both
// positions; past kMaxWaiters a new waiter is refused at once. Tagged "tsan".
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "storage/applied_position.h"

namespace authd::storage {
namespace {

TEST(AppliedPositionTest, AReachedPositionReturnsAtOnceEvenPastItsDeadline) {
  AppliedPosition applied(7);
  EXPECT_EQ(applied.get(), 7u);
  EXPECT_TRUE(applied.Await(0, absl::InfinitePast()).ok());
  EXPECT_TRUE(applied.Await(7, absl::InfinitePast()).ok());
  applied.Advance(5);  // never backwards
  EXPECT_EQ(applied.get(), 7u);
}

TEST(AppliedPositionTest, TheDeadlineGivesUnavailableNamingBothPositions) {
  AppliedPosition applied(3);
  absl::Status s = applied.Await(9, absl::Now() + absl::Milliseconds(20));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(s.message(), "position 9")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "applied through 3")) << s;
}

TEST(AppliedPositionTest, AWaiterReturnsOnlyOnceItsPositionIsApplied) {
  AppliedPosition applied(0);
  std::atomic<bool> returned{false};
  absl::Status got;
  std::thread waiter([&] {
    got = applied.Await(10, absl::Now() + absl::Seconds(60));
    returned.store(true);
  });
  for (uint64_t p = 1; p < 10; ++p) applied.Advance(p);
  // Every Advance below 10 has happened; the waiter must still be waiting. (A waiter that returned
  // early would have set `returned` with an OK status for a position not applied.)
  EXPECT_FALSE(returned.load() && got.ok() && applied.get() < 10);
  applied.Advance(10);
  waiter.join();
  EXPECT_TRUE(got.ok()) << got;
  EXPECT_EQ(applied.get(), 10u);
}

TEST(AppliedPositionTest, PastMaxWaitersANewWaiterIsRefusedAtOnce) {
  AppliedPosition applied(0);
  std::vector<std::thread> waiters;
  std::atomic<int> ok{0};
  for (int i = 0; i < AppliedPosition::kMaxWaiters; ++i) {
    waiters.emplace_back([&] {
      if (applied.Await(1, absl::Now() + absl::Seconds(60)).ok()) ++ok;
    });
  }
  // Until every waiter waits (bounded, yielding), then one more is refused without waiting.
  for (int attempt = 0; attempt < 10000000 && applied.waiting() < AppliedPosition::kMaxWaiters;
       ++attempt) {
    std::this_thread::yield();
  }
  ASSERT_EQ(applied.waiting(), AppliedPosition::kMaxWaiters);
  absl::Status extra = applied.Await(1, absl::InfiniteFuture());
  EXPECT_EQ(extra.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(extra.message(), "too many calls wait")) << extra;
  applied.Advance(1);
  for (auto& t : waiters) t.join();
  EXPECT_EQ(ok.load(), AppliedPosition::kMaxWaiters);
}

}  // namespace
}  // namespace authd::storage
