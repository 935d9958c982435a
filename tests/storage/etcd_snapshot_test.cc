// Snapshots of the replicated log in etcd (ADR 0005 step 3, storage/etcd/etcd_snapshot.h) on a
// real 3-member etcd cluster: a snapshot trims the log below it and compacts etcd; a replica that
// starts after the compaction, one that was stopped across it, and a live one whose watch start
// was compacted all catch up from the snapshot and end with the writer's state digest; an
// interrupted load starts over; a damaged chunk is refused with nothing applied. Every wait is
// bounded and awaits an event; none sleeps.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "authd/storage/v1/etcd_log.pb.h"
#include "rocksdb/write_batch.h"
#include "storage/etcd/etcd_client.h"
#include "storage/etcd/etcd_event_log.h"
#include "storage/etcd/etcd_snapshot.h"
#include "storage/keys.h"
#include "tests/storage/etcd_replicas_fixture.h"

namespace authd::storage {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class EtcdSnapshotTest : public EtcdReplicasTest {
 protected:
  std::unique_ptr<etcd::EtcdClient> Client() {
    etcd::EtcdClientOptions options;
    options.endpoints = cluster_->endpoints();
    auto client = etcd::EtcdClient::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  // etcd's current snapshot header (last_sequence 0 when there is none).
  pb::SnapshotHeader CurrentSnapshot(etcd::EtcdClient& client) {
    etcd::EtcdKeys keys(log_options_.prefix);
    auto got = client.Range(keys.SnapshotCurrent());
    EXPECT_TRUE(got.ok()) << got.status();
    if (!got.ok() || got->kvs.empty()) return pb::SnapshotHeader();
    auto header = etcd::DecodeSnapshotHeader(got->kvs[0].value);
    EXPECT_TRUE(header.ok()) << header.status();
    return header.ok() ? *header : pb::SnapshotHeader();
  }

  // Waits (bounded) until etcd's current snapshot is at or past `sequence`; polls every 50 ms,
  // since the snapshot is written by a background thread of another replica.
  pb::SnapshotHeader AwaitSnapshot(etcd::EtcdClient& client, uint64_t sequence) {
    const absl::Time give_up = absl::Now() + kAwait;
    pb::SnapshotHeader header;
    while (absl::Now() < give_up) {
      header = CurrentSnapshot(client);
      if (header.last_sequence() >= sequence) return header;
      absl::SleepFor(absl::Milliseconds(50));
    }
    ADD_FAILURE() << "no snapshot at or past " << sequence << " within " << kAwait
                  << " (current: " << header.last_sequence() << ")";
    return header;
  }

  // How many log commits etcd still holds.
  int64_t LogKeys(etcd::EtcdClient& client) {
    etcd::EtcdKeys keys(log_options_.prefix);
    etcd::RangeOptions all;
    all.range_end = keys.LogEnd();
    auto got = client.Range(keys.Log(0), all);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? got->count : -1;
  }

  VerifyReport Verified(Replica& replica) {
    auto report = replica.store->Verify();
    EXPECT_TRUE(report.ok()) << report.status();
    if (!report.ok()) return VerifyReport();
    EXPECT_THAT(report->problems, IsEmpty());
    return *report;
  }

  // Creates `n` tokens on `replica`, each acknowledged; returns them.
  std::vector<std::string> CreateTokens(Replica& replica, absl::string_view tag, int n) {
    std::atomic<int> conflicts{0}, failures{0};
    std::vector<std::string> tokens;
    for (int i = 0; i < n; ++i) {
      tokens.push_back(TestToken(absl::StrCat(tag, "-", i)));
      EXPECT_TRUE(CreateWithRetries(replica, tokens.back(), &conflicts, &failures).has_value());
    }
    return tokens;
  }
};

TEST_F(EtcdSnapshotTest, SnapshotTrimsTheLogAndCompactsEtcdAndIsWrittenOncePerState) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  log_options_.snapshot_every = 0;  // by hand here
  log_options_.snapshot_chunk_bytes = 256;
  Bare a;
  ASSERT_NO_FATAL_FAILURE(OpenBare(&a));
  ASSERT_NO_FATAL_FAILURE(AppendOrgs(a, 20));
  auto client = Client();
  ASSERT_NE(client, nullptr);
  ASSERT_EQ(LogKeys(*client), 20);
  const int64_t early_revision = a.log->applied_revision();

  auto written = a.log->WriteSnapshotNow();
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(*written, 20u);
  const pb::SnapshotHeader header = CurrentSnapshot(*client);
  EXPECT_EQ(header.format_version(), 1u);
  EXPECT_EQ(header.last_sequence(), 20u);
  EXPECT_EQ(header.commit_revision(), early_revision);
  EXPECT_GT(header.chunk_count(), 1u) << "256-byte chunks: 20 orgs (2 rows each) need several";
  EXPECT_EQ(header.row_count(), 40u);
  EXPECT_EQ(header.state_digest().size(), 32u);
  // The log below the snapshot is gone, and so is etcd's history before the trim.
  EXPECT_EQ(LogKeys(*client), 0);
  etcd::RangeOptions old;
  old.revision = early_revision;
  EXPECT_EQ(client->Range(a.log->HeadKey(), old).status().code(), absl::StatusCode::kOutOfRange);
  const etcd::EtcdLogStats stats = a.log->stats();
  EXPECT_EQ(stats.written, 1u);
  EXPECT_GT(stats.last_compacted_revision, early_revision);

  // Nothing new: nothing written.
  ASSERT_TRUE(a.log->WriteSnapshotNow().ok());
  EXPECT_EQ(a.log->stats().written, 1u);

  // A later snapshot replaces the earlier one's chunks.
  ASSERT_NO_FATAL_FAILURE(AppendOrgs(a, 25));
  EXPECT_EQ(LogKeys(*client), 5);
  auto later = a.log->WriteSnapshotNow();
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(*later, 25u);
  etcd::EtcdKeys keys(log_options_.prefix);
  etcd::RangeOptions chunks;
  chunks.prefix = true;
  auto old_chunks = client->Range(keys.SnapshotChunks(20), chunks);
  ASSERT_TRUE(old_chunks.ok()) << old_chunks.status();
  EXPECT_EQ(old_chunks->count, 0);
  auto new_chunks = client->Range(keys.SnapshotChunks(25), chunks);
  ASSERT_TRUE(new_chunks.ok()) << new_chunks.status();
  EXPECT_EQ(new_chunks->count, CurrentSnapshot(*client).chunk_count());
  EXPECT_EQ(LogKeys(*client), 0);
  // And the writer goes on appending over a trimmed log.
  ASSERT_NO_FATAL_FAILURE(AppendOrgs(a, 27));
}

TEST_F(EtcdSnapshotTest, ReplicaStartedAfterCompactionLoadsTheSnapshotAndMatchesTheDigest) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  log_options_.snapshot_every = 10;
  log_options_.snapshot_chunk_bytes = 1024;
  Replica a;
  ASSERT_NO_FATAL_FAILURE(Open(&a));
  ASSERT_NO_FATAL_FAILURE(SetUpOperator(a));
  std::vector<std::string> tokens = CreateTokens(a, "before", 24);
  // State beyond creates: one token deleted, one deactivated, before the snapshot.
  auto listed = a.store->ListAuthorizations(0, 0);
  ASSERT_TRUE(listed.ok()) << listed.status();
  authz::Id deleted_id = 0, inactive_id = 0;
  for (const pb::AuthorizationRecord& auth : *listed) {
    if (auth.description().empty() && auth.id() != setup_.authorization.id()) {
      if (deleted_id == 0) {
        deleted_id = auth.id();
      } else if (inactive_id == 0) {
        inactive_id = auth.id();
      }
    }
  }
  ASSERT_NE(inactive_id, 0u);
  ASSERT_TRUE(a.store->DeleteAuthorization(actor_, deleted_id).ok());
  ASSERT_TRUE(a.store->UpdateAuthorization(actor_, inactive_id, false, std::nullopt).ok());
  ASSERT_GE(a.store->AppliedPosition(), 20u);
  auto client = Client();
  ASSERT_NE(client, nullptr);
  const pb::SnapshotHeader header = AwaitSnapshot(*client, 20);
  ASSERT_GE(header.last_sequence(), 20u);
  EXPECT_GT(header.chunk_count(), 1u);

  Replica b;
  ASSERT_NO_FATAL_FAILURE(Open(&b));
  ASSERT_TRUE(b.store->AwaitPosition(a.store->AppliedPosition(), absl::Now() + kAwait).ok());
  size_t allowed = 0;
  for (const std::string& token : tokens) allowed += Authorizes(b, token);
  EXPECT_EQ(allowed, tokens.size() - 2) << "all but the deleted and the deactivated token";
  EXPECT_TRUE(Authorizes(b, TestToken("operator")));
  auto inactive = b.store->GetAuthorization(inactive_id);
  ASSERT_TRUE(inactive.ok()) << inactive.status();
  EXPECT_EQ(b.store->GetAuthorization(deleted_id).status().code(), absl::StatusCode::kNotFound);

  const VerifyReport va = Verified(a);
  const VerifyReport vb = Verified(b);
  EXPECT_EQ(va.log_start, 1u);
  EXPECT_GT(vb.log_start, 1u) << "B holds the log from after the snapshot only";
  EXPECT_THAT(vb.notes, Not(IsEmpty()));
  ASSERT_EQ(va.checkpoint, vb.checkpoint);
  EXPECT_EQ(va.state_digest, vb.state_digest);
  EXPECT_EQ(va.state_digest.size(), 64u);

  // B writes, A sees it.
  std::vector<std::string> from_b = CreateTokens(b, "from-b", 2);
  ASSERT_TRUE(a.store->AwaitPosition(b.store->AppliedPosition(), absl::Now() + kAwait).ok());
  for (const std::string& token : from_b) EXPECT_TRUE(Authorizes(a, token));
}

TEST_F(EtcdSnapshotTest, StoppedReplicaWhoseLogWasTrimmedCatchesUpFromTheSnapshot) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  log_options_.snapshot_every = 10;
  Replica a, b;
  ASSERT_NO_FATAL_FAILURE(Open(&a));
  ASSERT_NO_FATAL_FAILURE(SetUpOperator(a));
  ASSERT_NO_FATAL_FAILURE(Open(&b));
  std::vector<std::string> tokens = CreateTokens(a, "early", 3);
  ASSERT_TRUE(b.store->AwaitPosition(a.store->AppliedPosition(), absl::Now() + kAwait).ok());
  const std::string b_dir = b.data_dir;
  b.store.reset();

  std::vector<std::string> later = CreateTokens(a, "while-b-was-down", 25);
  tokens.insert(tokens.end(), later.begin(), later.end());
  auto client = Client();
  ASSERT_NE(client, nullptr);
  AwaitSnapshot(*client, 20);
  EXPECT_LT(LogKeys(*client), 10) << "the log below the snapshot is trimmed";

  Replica reopened;
  ASSERT_NO_FATAL_FAILURE(Open(&reopened, b_dir));
  ASSERT_TRUE(reopened.store->AwaitPosition(a.store->AppliedPosition(), absl::Now() + kAwait).ok());
  for (const std::string& token : tokens) EXPECT_TRUE(Authorizes(reopened, token)) << token;
  const VerifyReport va = Verified(a);
  const VerifyReport vb = Verified(reopened);
  ASSERT_EQ(va.checkpoint, vb.checkpoint);
  EXPECT_EQ(va.state_digest, vb.state_digest);
  EXPECT_GT(vb.log_start, 1u);
}

// A test-held gate in front of the tailer's watches.
struct WatchGate {
  std::mutex mu;
  std::condition_variable cv;
  bool held = true;
  int waits = 0;

  void Pass() {
    std::unique_lock<std::mutex> lock(mu);
    ++waits;
    cv.notify_all();
    // Bounded: a test that forgets to open the gate still ends.
    cv.wait_for(lock, std::chrono::seconds(60), [&] { return !held; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu);
    held = false;
    cv.notify_all();
  }
  void AwaitWaiter() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(20), [&] { return waits > 0; });
  }
};

TEST_F(EtcdSnapshotTest, LiveReplicaWhoseWatchStartWasCompactedResyncsFromTheSnapshot) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  log_options_.snapshot_every = 10;
  Bare a;
  ASSERT_NO_FATAL_FAILURE(OpenBare(&a));
  ASSERT_NO_FATAL_FAILURE(AppendOrgs(a, 3));

  // B opens (catching up by reading keys), then its tailer is held before its first watch.
  auto gate = std::make_shared<WatchGate>();
  Bare b;
  log_options_.before_watch = [gate] { gate->Pass(); };
  ASSERT_NO_FATAL_FAILURE(OpenBare(&b));
  log_options_.before_watch = nullptr;
  EXPECT_EQ(b.log->Applied(), 3u);
  gate->AwaitWaiter();

  // Meanwhile A writes past two snapshots, trimming the log and compacting etcd past B's start.
  ASSERT_NO_FATAL_FAILURE(AppendOrgs(a, 25));
  auto client = Client();
  ASSERT_NE(client, nullptr);
  AwaitSnapshot(*client, 20);
  ASSERT_TRUE(a.log->WriteSnapshotNow().ok());  // compacts at the latest revision
  EXPECT_EQ(b.log->Applied(), 3u);

  gate->Open();
  ASSERT_TRUE(b.log->AwaitPosition(25, absl::Now() + kAwait).ok()) << b.log->health();
  EXPECT_TRUE(b.log->health().ok()) << b.log->health();
  const etcd::EtcdLogStats stats = b.log->stats();
  EXPECT_EQ(stats.loaded, 1u);
  EXPECT_GE(stats.resyncs, 2u) << "the open, then the compacted watch";
  for (uint64_t seq = 1; seq <= 25; ++seq) {
    EXPECT_TRUE(HasOrg(*b.db, 1000 + seq)) << "org " << seq;
  }
  // And it appends after the resync: its compare revision is right. A's trim of the log below
  // its last snapshot may land just after B's resync and move the revision B compares against;
  // then the append is ABORTED ("decide again"), which TokenStore::Execute retries, as here.
  Decision none;
  auto appended = b.log->Append(25, OrgCreated(26, 1026, "org26"), none);
  for (int attempt = 1; attempt < 5 && absl::IsAborted(appended.status()); ++attempt) {
    ASSERT_TRUE(b.log->AwaitPosition(25, absl::Now() + kAwait).ok());
    appended = b.log->Append(25, OrgCreated(26, 1026, "org26"), none);
  }
  ASSERT_TRUE(appended.ok()) << appended.status();
  ASSERT_TRUE(b.log->AwaitApplied(*appended).ok());
  ASSERT_TRUE(a.log->AwaitPosition(26, absl::Now() + kAwait).ok());
}

TEST_F(EtcdSnapshotTest, FreshReplicaStartsWhileTheLogBelowTheSnapshotIsNotTrimmedYet) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  log_options_.snapshot_every = 0;
  Bare a;
  ASSERT_NO_FATAL_FAILURE(OpenBare(&a));
  ASSERT_NO_FATAL_FAILURE(AppendOrgs(a, 12));
  auto client = Client();
  ASSERT_NE(client, nullptr);
  etcd::EtcdKeys keys(log_options_.prefix);
  etcd::RangeOptions log;
  log.range_end = keys.LogEnd();
  auto before = client->Range(keys.Log(10), log);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->kvs.size(), 3u);
  ASSERT_TRUE(a.log->WriteSnapshotNow().ok());
  // As if the writer had died between the header and the trim: commits 10..12 are still there.
  // (Put back while no replica watches; a watching one would take them for new commits.)
  a.log.reset();
  for (const etcd::KeyValue& kv : before->kvs) ASSERT_TRUE(client->Put(kv.key, kv.value).ok());
  ASSERT_NO_FATAL_FAILURE(OpenBare(&a));
  ASSERT_NO_FATAL_FAILURE(AppendOrgs(a, 14));

  Bare b;
  ASSERT_NO_FATAL_FAILURE(OpenBare(&b));
  EXPECT_EQ(b.log->Applied(), 14u);
  EXPECT_EQ(b.log->stats().loaded, 1u);
  EXPECT_TRUE(HasOrg(*b.db, 1014));
}

TEST_F(EtcdSnapshotTest, InterruptedSnapshotLoadStartsOverAtTheNextOpen) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  log_options_.snapshot_every = 0;
  Bare a;
  ASSERT_NO_FATAL_FAILURE(OpenBare(&a));
  ASSERT_NO_FATAL_FAILURE(AppendOrgs(a, 12));
  ASSERT_TRUE(a.log->WriteSnapshotNow().ok());
  ASSERT_NO_FATAL_FAILURE(AppendOrgs(a, 14));

  Bare b;
  ASSERT_NO_FATAL_FAILURE(OpenBare(&b));
  EXPECT_EQ(b.log->Applied(), 14u);
  EXPECT_EQ(b.log->stats().loaded, 1u);
  // As if B had crashed in the middle of a load: the mark is there, half the rows are not.
  b.log.reset();
  rocksdb::WriteBatch crash;
  crash.Put(b.db->cf(kMetaCf), std::string(kLoadingSnapshotKey), "");
  crash.Delete(b.db->cf(kTenantsCf), TaggedIdKey(kOrgTag, 1005));
  ASSERT_TRUE(b.db->Write(&crash, /*sync=*/true).ok());

  ASSERT_NO_FATAL_FAILURE(OpenBare(&b));
  EXPECT_EQ(b.log->Applied(), 14u);
  EXPECT_EQ(b.log->stats().loaded, 1u) << "loaded again from scratch";
  auto mark = b.db->Get(kMetaCf, kLoadingSnapshotKey);
  ASSERT_TRUE(mark.ok());
  EXPECT_FALSE(mark->has_value());
  EXPECT_TRUE(HasOrg(*b.db, 1005));
}

TEST_F(EtcdSnapshotTest, DamagedChunkIsRefusedWithDataLossAndNothingIsApplied) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  log_options_.snapshot_every = 0;
  log_options_.snapshot_chunk_bytes = 256;
  Bare a;
  ASSERT_NO_FATAL_FAILURE(OpenBare(&a));
  ASSERT_NO_FATAL_FAILURE(AppendOrgs(a, 12));
  ASSERT_TRUE(a.log->WriteSnapshotNow().ok());
  auto client = Client();
  ASSERT_NE(client, nullptr);
  etcd::EtcdKeys keys(log_options_.prefix);
  const pb::SnapshotHeader header = CurrentSnapshot(*client);
  ASSERT_GT(header.chunk_count(), 1u);
  ASSERT_TRUE(client->Put(keys.SnapshotChunk(12, header.writer(), 1), "not a chunk").ok());

  auto db = Db::Open(MakeTempDir() + "/db");
  ASSERT_TRUE(db.ok()) << db.status();
  std::shared_ptr<Db> shared(std::move(*db));
  authz::TokenIndex index;
  etcd::EtcdEventLogOptions options = log_options_;
  options.client.endpoints = cluster_->endpoints();
  auto late = etcd::EtcdEventLog::Open(shared, &index, options);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), absl::StatusCode::kDataLoss) << late.status();
  EXPECT_THAT(late.status().message(), HasSubstr("chunk 1: SHA-256 differs from the header's"));
  // Nothing of it is served: no org row is readable once the next open resets the load.
  EXPECT_EQ(index.size(), 0u);
  auto reset = etcd::ResetInterruptedLoad(*shared);
  ASSERT_TRUE(reset.ok()) << reset.status();
  EXPECT_TRUE(*reset);
  EXPECT_FALSE(HasOrg(*shared, 1001));
}

}  // namespace
}  // namespace authd::storage
