// Tests of storage::GroupCommit: one sync covers every entry queued while the previous sync ran,
// publication follows log order and only after a sync, and a failed sync is sticky.
#include "storage/group_commit.h"

#include <atomic>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "gtest/gtest.h"

namespace authd::storage {
namespace {

// A one-shot latch on authd::Mutex (absl::Notification's uninstrumented mutex would hide the
// ordering from ThreadSanitizer).
class Latch {
 public:
  void Notify() {
    MutexLock lock(&mu_);
    done_ = true;
    cv_.SignalAll();
  }
  void WaitForNotification() {
    MutexLock lock(&mu_);
    while (!done_) cv_.Wait(&mu_);
  }

 private:
  Mutex mu_;
  CondVar cv_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

TEST(GroupCommitTest, AwaitSyncsOnceAndPublishes) {
  int syncs = 0;
  GroupCommit group([&] {
    ++syncs;
    return absl::OkStatus();
  });
  std::vector<uint64_t> published;
  group.Enqueue([&] { published.push_back(1); });
  EXPECT_TRUE(published.empty()) << "published before any sync";
  ASSERT_TRUE(group.AwaitDurable(1).ok());
  EXPECT_EQ(syncs, 1);
  EXPECT_EQ(published, std::vector<uint64_t>({1}));
  // Already durable: no second sync.
  ASSERT_TRUE(group.AwaitDurable(1).ok());
  EXPECT_EQ(syncs, 1);
}

TEST(GroupCommitTest, OneSyncCoversEverythingQueuedAndPublishesInOrder) {
  int syncs = 0;
  GroupCommit group([&] {
    ++syncs;
    return absl::OkStatus();
  });
  std::vector<uint64_t> published;
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    group.Enqueue([&published, seq] { published.push_back(seq); });
  }
  // Waiting for the LAST one syncs once and publishes all five, in order.
  ASSERT_TRUE(group.AwaitDurable(5).ok());
  EXPECT_EQ(syncs, 1);
  EXPECT_EQ(published, std::vector<uint64_t>({1, 2, 3, 4, 5}));
  // Waiting for an earlier one afterwards costs nothing.
  ASSERT_TRUE(group.AwaitDurable(2).ok());
  EXPECT_EQ(syncs, 1);
}

TEST(GroupCommitTest, WritersQueuedDuringASyncShareTheNextOne) {
  // The first sync blocks until three more writers have queued; the leader after it must cover
  // all three with ONE sync: 2 syncs for 4 writes, whatever the thread interleaving.
  Latch first_sync_started, release_first_sync;
  std::atomic<int> syncs{0};
  GroupCommit group([&] {
    if (syncs.fetch_add(1) == 0) {
      first_sync_started.Notify();
      release_first_sync.WaitForNotification();
    }
    return absl::OkStatus();
  });
  authd::Mutex order_mu;  // plays the writer lock: Enqueue in sequence order
  std::vector<uint64_t> published;
  auto publish = [&](uint64_t seq) {
    return [&published, seq] { published.push_back(seq); };
  };
  group.Enqueue(publish(1));
  std::thread leader([&] { EXPECT_TRUE(group.AwaitDurable(1).ok()); });
  first_sync_started.WaitForNotification();
  std::vector<std::thread> followers;
  for (uint64_t seq = 2; seq <= 4; ++seq) {
    {
      authd::MutexLock lock(&order_mu);
      group.Enqueue(publish(seq));
    }
    followers.emplace_back([&group, seq] { EXPECT_TRUE(group.AwaitDurable(seq).ok()); });
  }
  release_first_sync.Notify();
  leader.join();
  for (std::thread& t : followers) t.join();
  EXPECT_EQ(syncs.load(), 2);
  EXPECT_EQ(group.syncs(), 2u);
  EXPECT_EQ(published, std::vector<uint64_t>({1, 2, 3, 4}));
}

TEST(GroupCommitTest, FailedSyncIsStickyAndPublishesNothing) {
  bool fail = true;
  GroupCommit group([&] {
    return fail ? absl::DataLossError("EIO from fsync") : absl::OkStatus();
  });
  bool published = false;
  group.Enqueue([&] { published = true; });
  absl::Status s = group.AwaitDurable(1);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_NE(s.message().find("EIO from fsync"), absl::string_view::npos) << s;
  EXPECT_FALSE(published);
  // Even if a later sync would succeed, the in-doubt writes stay refused.
  fail = false;
  group.Enqueue([] {});
  EXPECT_EQ(group.AwaitDurable(2).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(group.health().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(published);
}

TEST(GroupCommitTest, DrainWaitsForEverythingQueued) {
  int syncs = 0;
  GroupCommit group([&] {
    ++syncs;
    return absl::OkStatus();
  });
  ASSERT_TRUE(group.Drain().ok());  // nothing queued: no sync
  EXPECT_EQ(syncs, 0);
  int published = 0;
  group.Enqueue([&] { ++published; });
  group.Enqueue([&] { ++published; });
  ASSERT_TRUE(group.Drain().ok());
  EXPECT_EQ(published, 2);
  EXPECT_EQ(syncs, 1);
}

TEST(GroupCommitTest, AnEntryAlreadyDurableStaysOkAfterALaterSyncFails) {
  int calls = 0;
  GroupCommit group([&] { return ++calls == 1 ? absl::OkStatus() : absl::UnavailableError("EIO"); });
  const uint64_t first = group.Enqueue([] {});
  ASSERT_TRUE(group.AwaitDurable(first).ok());
  const uint64_t second = group.Enqueue([] {});
  EXPECT_EQ(group.AwaitDurable(second).code(), absl::StatusCode::kUnavailable);
  // The first entry was covered by the sync that succeeded: still reported durable.
  EXPECT_TRUE(group.AwaitDurable(first).ok());
}

TEST(GroupCommitTest, TicketsIncreaseForTheLifeOfTheObject) {
  GroupCommit group([] { return absl::OkStatus(); });
  uint64_t last = 0;
  for (int i = 0; i < 5; ++i) {
    const uint64_t ticket = group.Enqueue([] {});
    EXPECT_GT(ticket, last);
    last = ticket;
    if (i % 2 == 0) {
      ASSERT_TRUE(group.Drain().ok());
    }
  }
}

}  // namespace
}  // namespace authd::storage
