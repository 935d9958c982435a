// LagTracker: a replica behind a head it has seen is behind by the age of the oldest such head; one
// that applies what it sees is never behind; losing etcd grows since_contact, not behind_for.
#include "storage/replication_lag.h"

#include <gtest/gtest.h>

#include "absl/time/time.h"

namespace authd::storage {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

absl::Time At(int ms) { return kT0 + absl::Milliseconds(ms); }

TEST(LagTrackerTest, FollowsTheOldestUnappliedObservation) {
  struct Step {
    enum Kind { kObserve, kStatus } kind;
    int at_ms;
    uint64_t head;     // kObserve
    uint64_t applied;
    int want_behind_ms;  // kStatus
  };
  const Step steps[] = {
      {Step::kStatus, 0, 0, 0, 0},          // nothing seen yet
      {Step::kObserve, 0, 10, 10, 0},       // caught up
      {Step::kStatus, 500, 0, 10, 0},
      {Step::kObserve, 1000, 15, 12, 0},    // 15 exists, 12 applied
      {Step::kStatus, 1200, 0, 12, 200},
      {Step::kObserve, 2000, 20, 13, 0},    // still below 15: 15's time stays
      {Step::kStatus, 2500, 0, 13, 1500},
      {Step::kStatus, 2500, 0, 15, 500},    // 15 applied: 20 (seen at 2000) is the oldest now
      {Step::kStatus, 2500, 0, 20, 0},      // everything seen is applied
      {Step::kObserve, 3000, 20, 20, 0},
      {Step::kStatus, 9000, 0, 20, 0},      // silence is not lag
  };
  LagTracker tracker;
  for (const Step& step : steps) {
    if (step.kind == Step::kObserve) {
      tracker.ObserveHead(step.head, step.applied, At(step.at_ms));
      continue;
    }
    const ReplicationStatus status = tracker.Status(step.applied, At(step.at_ms));
    EXPECT_TRUE(status.replicated);
    EXPECT_EQ(status.behind_for, absl::Milliseconds(step.want_behind_ms))
        << "at " << step.at_ms << " ms, applied " << step.applied;
    EXPECT_GE(status.known_head, status.applied);
  }
}

TEST(LagTrackerTest, LosingEtcdGrowsSinceContactButNotBehind) {
  LagTracker tracker;
  EXPECT_EQ(tracker.Status(0, At(0)).since_contact, absl::InfiniteDuration());
  tracker.ObserveHead(7, 7, At(0));
  const ReplicationStatus later = tracker.Status(7, At(30000));
  EXPECT_EQ(later.since_contact, absl::Seconds(30));
  EXPECT_EQ(later.behind_for, absl::ZeroDuration());
  EXPECT_EQ(later.known_head, 7u);
}

TEST(LagTrackerTest, KeepsAtMostMaxPendingObservationsAndTheOldestDecides) {
  LagTracker tracker;
  for (uint64_t i = 1; i <= 2 * LagTracker::kMaxPending; ++i) {
    tracker.ObserveHead(i, 0, At(static_cast<int>(i)));
  }
  EXPECT_EQ(tracker.Status(0, At(1000)).behind_for, absl::Milliseconds(999));
  EXPECT_EQ(tracker.Status(0, At(1000)).known_head, 2 * LagTracker::kMaxPending);
}

}  // namespace
}  // namespace authd::storage
