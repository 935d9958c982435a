// EtcdEventLog: the replicated event log (ADR 0005 step 2). etcd is the source of truth; this
// replica's RocksDB (storage::Db) holds its applied copy: the events, the projections, the
// checkpoint and the etcd revision applied through, written together in one synced WriteBatch per
// commit, exactly as RocksDbEventLog writes an append.
//
// Key layout in etcd: storage/etcd/etcd_keys.h (head, log commits, snapshots), version 1; every
// value is a protobuf with `format_version` (proto/authd/storage/v1/etcd_log.proto).
//
// Append (one writer at a time) is ONE etcd Txn:
//   If   mod_revision(head) == R       R: the revision at which this replica applied `expected_head`
//                                         (0 for an empty log: the head key is absent)
//   Then put head {last_sequence = expected_head + n}, put log/<expected_head + 1> {events}
//   Else range head                    (how far to catch up before deciding again)
// A failed compare is kAborted, returned once the tailer has applied what etcd holds (bounded), so
// the caller's next decision sees the other replicas' commits. An "outcome unknown" error is
// settled with a fence: If mod_revision(head) == R Then put head {expected_head} (unchanged, but
// a new mod_revision, so the lost write can never land later) Else range log/<expected_head + 1>.
// The fence landing means the append did not (kUnavailable); the log key holding our bytes means
// it did (success); anything else is another replica's commit (kAborted). A fence etcd cannot take
// (no quorum, no member reachable) ends the settling at once with kUnknown: the append may still
// land when etcd recovers, and then every replica applies it.
//
// Catching up (Resync, at open, whenever a watch's start was compacted, and when a restore moved
// the head past every commit): read the head and the current snapshot at one revision X; when
// etcd no longer holds the commit at applied + 1 (deleted below a snapshot), install the snapshot
// (storage/etcd/etcd_snapshot.h) and reload the index; then read the log keys from applied + 1 at
// X, in pages, and apply them; the tailer then watches from X + 1. Reading keys instead of
// replaying history means a replica never depends on etcd history a compaction removed, and a gap
// is never skipped: every commit must start at applied + 1 (else kDataLoss), and a missing commit
// with no snapshot covering it is kDataLoss.
//
// The tailer thread watches [head, end of log/) from X + 1 and applies every LogCommit, this
// replica's own and the others' alike, in revision order (the first sequence must be applied + 1,
// else kDataLoss, sticky: health() returns it and Append refuses). Then the index operations are
// published and Applied() advances. A head put that does not move the sequence (a fence) only
// updates R. A broken watch is reopened from where it stopped, with a bounded back-off; a
// compacted start is a Resync. A key under the prefix that is not of the layout, or a value that
// does not decode, is never applied (kDataLoss for a log commit; a foreign key is logged once).
//
// Lag: a background read of etcd's head every `lag_check_interval` tells how long a position known
// to exist has gone unapplied here (Replication(), readiness); a watch that stays silent while that
// grows past `watch_stall_timeout` is reopened on the member the client last reached.
//
// Snapshots: when an append of this replica crosses a multiple of `snapshot_every` events, a
// background thread writes a snapshot from one RocksDB snapshot of this replica's applied state,
// deletes the log below it and compacts etcd (WriteSnapshot). So etcd's size follows the live
// state, not the history. Writing a snapshot never blocks writes or Authorize.
//
// Raw tokens never go to etcd: an Append whose decision carries raw tokens (hashing off) is refused.
//
// Thread-safety: Append from one writer at a time; everything else from any thread. Shares the Db;
// borrows the index (retargetable), which must outlive the log. The destructor stops the tailer.
#ifndef AUTHD_STORAGE_ETCD_ETCD_EVENT_LOG_H_
#define AUTHD_STORAGE_ETCD_ETCD_EVENT_LOG_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "authz/token_index.h"
#include "base/mutex.h"
#include "storage/applied_position.h"
#include "storage/db.h"
#include "storage/etcd/etcd_client.h"
#include "storage/etcd/etcd_keys.h"
#include "storage/event_log.h"
#include "storage/replication_lag.h"

namespace authd::storage::etcd {

struct EtcdEventLogOptions {
  // The cluster, TLS and credentials (storage/etcd/etcd_client.h). `client.endpoints` required.
  EtcdClientOptions client;
  // Every key of the log starts with this. Default: "/authd/".
  std::string prefix = "/authd/";
  // How long Open may take to catch up with etcd's head. Default: 30 s.
  absl::Duration open_timeout = absl::Seconds(30);
  // How long AwaitApplied and Drain wait for the tailer. Default: 30 s.
  absl::Duration apply_timeout = absl::Seconds(30);
  // Write a snapshot (and trim the log, compact etcd) each time the log crosses a multiple of this
  // many events (0: never). Default: 10000.
  uint64_t snapshot_every = 10000;
  // The most bytes of rows in one snapshot chunk (one etcd put). Default: 1 MiB.
  size_t snapshot_chunk_bytes = size_t{1} << 20;
  // How often a background read of etcd's head measures this replica's lag (Replication()).
  // Zero: never (Replication() then knows only what appends and catch-ups saw). Default: 1 s.
  absl::Duration lag_check_interval = absl::Seconds(1);
  // A watch that has delivered nothing while a known position stayed unapplied this long is taken
  // for stuck (a frozen or partitioned member keeps the stream open) and reopened, on the member
  // the client last reached. Default: 3 s.
  absl::Duration watch_stall_timeout = absl::Seconds(3);
  // Test-only: called by the tailer before it opens each watch (a test holds it to let etcd's
  // history be compacted under a live replica). Unset in the server.
  std::function<void()> before_watch;
};

// What the catch-up, snapshot and stall machinery did, for operators and tests.
struct EtcdLogStats {
  uint64_t written = 0;          // snapshots this replica wrote
  uint64_t loaded = 0;           // snapshots this replica installed (open or resync)
  uint64_t resyncs = 0;          // catch-ups by reading keys begun (open, compacted watches)
  uint64_t last_written_sequence = 0;
  int64_t last_compacted_revision = 0;
  uint64_t stalled_watches = 0;  // watches reopened because they stayed silent while behind
};

class EtcdEventLog final : public EventLog {
 public:
  // Reads the local checkpoint (an interrupted snapshot load is started over), catches up with
  // etcd (Resync: the snapshot when the log below this replica is gone, then the log keys), and
  // starts the tailer and the snapshot writer. Errors: kInvalidArgument (client options),
  // kFailedPrecondition (the Db holds events but no etcd revision: a RocksDB-mode data dir),
  // kDataLoss (a malformed local key, etcd's head behind this replica, a commit out of order, a
  // missing commit no snapshot covers, a damaged snapshot), kUnavailable (etcd unreachable, or no
  // catch-up within `open_timeout`).
  static absl::StatusOr<std::unique_ptr<EtcdEventLog>> Open(std::shared_ptr<Db> db,
                                                            authz::TokenIndex* index,
                                                            EtcdEventLogOptions options);
  ~EtcdEventLog() override;

  // The last position this replica has applied (the head as far as it knows).
  uint64_t Head() const override { return applied_.get(); }
  uint64_t Applied() const override { return applied_.get(); }
  absl::Status AwaitPosition(uint64_t position, absl::Time deadline) override {
    return applied_.Await(position, deadline);
  }
  // Errors: kFailedPrecondition (raw tokens: hashing off), kAborted (another replica appended
  // first), kUnavailable (not appended), kUnknown (etcd never settled whether it landed; the
  // tailer applies it if it did), kDataLoss (an event contradicts the projections), the sticky
  // health() error.
  absl::StatusOr<Appended> Append(uint64_t expected_head, std::vector<pb::Event> events,
                                  const Decision& decision) override;
  // Waits (at most `apply_timeout`) until the tailer applied the append. Errors: kUnavailable,
  // the sticky health() error.
  absl::Status AwaitApplied(const Appended& appended) override;
  // Waits (at most `apply_timeout`) until the tailer reached the last etcd revision this replica
  // learned of (its appends, conflicts, the head read at open).
  absl::Status Drain() override;
  absl::Status health() const override;
  ReplicationStatus Replication() const override;
  // From the local events column family.
  absl::StatusOr<std::vector<pb::Event>> Read(uint64_t from, size_t limit) override;

  void LockApplies() override ABSL_NO_THREAD_SAFETY_ANALYSIS { apply_mu_.Lock(); }
  void UnlockApplies() override ABSL_NO_THREAD_SAFETY_ANALYSIS { apply_mu_.Unlock(); }

  // Where published index operations go from now on.
  void RetargetIndex(authz::TokenIndex* index) { index_.store(index, std::memory_order_release); }

  // The etcd revision of the last commit applied here.
  int64_t applied_revision() const;

  // Writes a snapshot of this replica's applied state now (see WriteSnapshot), unless etcd has
  // one at or past it. Returns the sequence of etcd's current snapshot afterwards (0: none).
  // Errors: those of WriteSnapshot.
  absl::StatusOr<uint64_t> WriteSnapshotNow();
  // Makes `view` (a backup's store, brought up aside) every replica's state: WriteRestoreSnapshot
  // (storage/etcd/etcd_snapshot.h), then waits (at most `apply_timeout`) until this replica
  // installed it. Returns its position once it is in etcd, even if this replica has not installed
  // it in time (logged; min_position waits for it). Errors: those of WriteRestoreSnapshot.
  absl::StatusOr<uint64_t> PublishRestore(Db::PointInTime& view);
  EtcdLogStats stats() const;

  // The keys (tests and tools).
  const EtcdKeys& keys() const { return keys_; }
  std::string HeadKey() const { return keys_.Head(); }
  std::string LogKey(uint64_t first_sequence) const { return keys_.Log(first_sequence); }

 private:
  EtcdEventLog(std::shared_ptr<Db> db, authz::TokenIndex* index, EtcdEventLogOptions options,
               std::unique_ptr<EtcdClient> client, uint64_t applied, int64_t revision);

  void TailLoop();
  void SnapshotLoop();
  void LagLoop();
  // Catches up by reading keys (see the header comment); returns the revision X read at, from
  // which the watch resumes (X + 1). Called by Open before the tailer starts, and by the tailer.
  absl::StatusOr<int64_t> Resync();
  absl::StatusOr<int64_t> ResyncOnce(bool* retry);
  // Applies one watched event at `revision`. Errors stop the tailer (sticky).
  absl::Status ApplyPut(const KeyValue& kv);
  absl::Status ApplyCommit(const std::string& value, int64_t revision);
  void Fail(absl::Status status);
  // Records an etcd revision this replica knows exists (Drain waits for it).
  void Learned(int64_t revision);
  // Waits until the tailer has processed `revision`, or health fails, or `deadline`.
  absl::Status AwaitTailed(int64_t revision, absl::Time deadline);
  // After a failed compare: wait for the tailer to catch up with `head` (bounded), then kAborted.
  absl::Status Conflict(const RangeResult& head, uint64_t expected_head);
  // Settles an append whose outcome etcd left unknown (see the header comment).
  absl::StatusOr<bool> Settle(uint64_t expected_head, int64_t compare_revision,
                              const std::string& commit_bytes, const absl::Status& first_error);

  const std::shared_ptr<Db> db_;
  std::atomic<authz::TokenIndex*> index_;
  const EtcdEventLogOptions options_;
  const EtcdKeys keys_;
  const std::unique_ptr<EtcdClient> client_;
  AppliedPosition applied_;

  // Held by the tailer while it applies a commit, by Append while it projects, and by deciders
  // (LockApplies).
  Mutex apply_mu_;
  // The etcd revision of the head this replica applied: R of the next append's compare.
  int64_t head_revision_ ABSL_GUARDED_BY(apply_mu_);
  // The highest head sequence the tailer saw in the watch batch it is applying.
  uint64_t batch_head_ ABSL_GUARDED_BY(apply_mu_) = 0;

  mutable Mutex mu_;
  CondVar changed_;
  absl::Status health_ ABSL_GUARDED_BY(mu_);
  int64_t applied_revision_ ABSL_GUARDED_BY(mu_);
  // Every revision up to this one has been delivered to the tailer and processed.
  int64_t tailed_revision_ ABSL_GUARDED_BY(mu_);
  // The highest revision this replica knows etcd has.
  int64_t known_revision_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  EtcdWatch* watch_ ABSL_GUARDED_BY(mu_) = nullptr;
  // The revision the next watch starts at (set by Resync, advanced by the tailer).
  int64_t resume_revision_ ABSL_GUARDED_BY(mu_) = 1;
  // A snapshot is due once this position is applied here (0: none due).
  uint64_t snapshot_due_ ABSL_GUARDED_BY(mu_) = 0;
  bool foreign_key_logged_ ABSL_GUARDED_BY(mu_) = false;
  EtcdLogStats stats_ ABSL_GUARDED_BY(mu_);
  LagTracker lag_ ABSL_GUARDED_BY(mu_);

  // One snapshot write at a time (the background writer and WriteSnapshotNow).
  Mutex snapshot_mu_;

  std::thread tailer_;
  std::thread snapshotter_;
  std::thread lag_checker_;
};

}  // namespace authd::storage::etcd

#endif  // AUTHD_STORAGE_ETCD_ETCD_EVENT_LOG_H_
