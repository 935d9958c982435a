// Replication lag on a real 3-member etcd cluster (storage/replication_lag.h, EtcdEventLog's lag
// check and stalled-watch reopen): a replica whose watch sits on a frozen (SIGSTOPped) member does
// not wait for that member: the lag check reaches another member, sees positions this replica has
// not applied, and the watch is reopened there, so the replica catches up while the member is
// still frozen. Bounded waits only; none sleeps for ordering.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "storage/etcd/etcd_event_log.h"
#include "storage/replication_lag.h"
#include "tests/storage/etcd_replicas_fixture.h"

namespace authd::storage {
namespace {

class EtcdLagTest : public EtcdReplicasTest {
 protected:
  // A bare replica whose client tries `endpoints` in this order (the first one is where its
  // reads and its watch go while it answers).
  void OpenBareOn(Bare* bare, std::vector<std::string> endpoints,
                  const etcd::EtcdEventLogOptions& base) {
    auto db = Db::Open(MakeTempDir() + "/db");
    ASSERT_TRUE(db.ok()) << db.status();
    bare->db = std::move(*db);
    etcd::EtcdEventLogOptions options = base;
    options.client.endpoints = std::move(endpoints);
    auto log = etcd::EtcdEventLog::Open(bare->db, &bare->index, options);
    ASSERT_TRUE(log.ok()) << log.status();
    bare->log = std::move(*log);
  }
};

TEST_F(EtcdLagTest, ReplicaWatchingAFrozenMemberIsMeasuredBehindAndReopensElsewhere) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  auto leader = cluster_->WaitForLeader(absl::Seconds(20));
  ASSERT_TRUE(leader.ok()) << leader.status();
  const int frozen = (*leader + 1) % 3;  // a follower: the cluster keeps its quorum without it
  const int other = (*leader + 2) % 3;

  etcd::EtcdEventLogOptions options;
  options.snapshot_every = 0;
  options.lag_check_interval = absl::Milliseconds(200);
  options.watch_stall_timeout = absl::Seconds(1);
  Bare writer, reader;
  ASSERT_NO_FATAL_FAILURE(OpenBareOn(
      &writer, {cluster_->endpoint(*leader), cluster_->endpoint(other)}, options));
  ASSERT_NO_FATAL_FAILURE(OpenBareOn(&reader,
                                     {cluster_->endpoint(frozen), cluster_->endpoint(*leader),
                                      cluster_->endpoint(other)},
                                     options));
  ASSERT_NO_FATAL_FAILURE(AppendOrgs(writer, 3));
  ASSERT_TRUE(reader.log->AwaitPosition(3, absl::Now() + kAwait).ok());
  EXPECT_EQ(reader.log->Replication().behind_for, absl::ZeroDuration());

  // The member under the reader's watch stops answering, with its connections left open.
  ASSERT_TRUE(cluster_->Stop(frozen).ok());
  ASSERT_NO_FATAL_FAILURE(AppendOrgs(writer, 8));

  // Measured behind at some point (polled: the lag check runs every 200 ms)...
  bool seen_behind = false;
  const absl::Time give_up = absl::Now() + kAwait;
  while (!seen_behind && reader.log->Applied() < 8 && absl::Now() < give_up) {
    const ReplicationStatus status = reader.log->Replication();
    if (status.behind_for > absl::ZeroDuration() && status.known_head == 8) seen_behind = true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  // ... and caught up while the member is still frozen.
  ASSERT_TRUE(reader.log->AwaitPosition(8, absl::Now() + kAwait).ok())
      << "applied " << reader.log->Applied() << "; " << reader.log->health();
  EXPECT_TRUE(cluster_->running(frozen));
  EXPECT_TRUE(seen_behind) << "the lag check never saw position 8 unapplied";
  ASSERT_TRUE(reader.log->Drain().ok());
  EXPECT_GE(reader.log->stats().stalled_watches, 1u)
      << "caught up by another way than reopening the stalled watch (gRPC keepalive, 15 s?)";
  const ReplicationStatus after = reader.log->Replication();
  EXPECT_EQ(after.applied, 8u);
  EXPECT_TRUE(after.stopped.ok()) << after.stopped;
  ASSERT_TRUE(cluster_->Cont(frozen).ok());
}

}  // namespace
}  // namespace authd::storage
