// EtcdEventLog: the replicated event log (ADR 0005 step 2). etcd is the source of truth; this
// replica's RocksDB (storage::Db) holds its applied copy: the events, the projections, the
// checkpoint and the etcd revision applied through, written together in one synced WriteBatch per
// commit, exactly as RocksDbEventLog writes an append.
//
// Key layout in etcd, version 1, under `prefix` (default "/authd/"); every value is a protobuf
// with `format_version` (proto/authd/storage/v1/etcd_log.proto):
//
//   <prefix>v1/head                        -> LogHead {format_version = 1, last_sequence}
//   <prefix>v1/log/<first seq: 20 digits>  -> LogCommit {format_version = 1, repeated Event events}
//                                             (one commit = one Append; events at first seq, +1, ...)
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
// it did (success); anything else is another replica's commit (kAborted).
//
// The tailer thread watches `<prefix>v1/` from the applied revision + 1 and applies every
// LogCommit, this replica's own and the others' alike, in revision order: the first sequence must
// be applied + 1 (else kDataLoss, sticky: health() returns it and Append refuses). Then the index
// operations are published and Applied() advances. A head put that does not move the sequence (a
// fence) only updates R. A broken watch is reopened from where it stopped, with a bounded back-off;
// a compacted start revision is a sticky error: snapshots (ADR 0005 step 3) are not built yet.
//
// Raw tokens never go to etcd: an Append whose decision carries raw tokens (hashing off) is refused.
//
// Thread-safety: Append from one writer at a time; everything else from any thread. Shares the Db;
// borrows the index (retargetable), which must outlive the log. The destructor stops the tailer.
#ifndef AUTHD_STORAGE_ETCD_ETCD_EVENT_LOG_H_
#define AUTHD_STORAGE_ETCD_ETCD_EVENT_LOG_H_

#include <atomic>
#include <cstdint>
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
#include "storage/event_log.h"

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
};

class EtcdEventLog final : public EventLog {
 public:
  // Reads the local checkpoint and applied revision, starts the tailer, and returns once it has
  // applied etcd's head as read at open. Errors: kInvalidArgument (client options),
  // kFailedPrecondition (the Db holds events but no etcd revision: a RocksDB-mode data dir),
  // kDataLoss (a malformed local key, etcd's head behind this replica, a commit out of order,
  // compacted history), kUnavailable (etcd unreachable, or no catch-up within `open_timeout`).
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
  // From the local events column family.
  absl::StatusOr<std::vector<pb::Event>> Read(uint64_t from, size_t limit) override;

  void LockApplies() override ABSL_NO_THREAD_SAFETY_ANALYSIS { apply_mu_.Lock(); }
  void UnlockApplies() override ABSL_NO_THREAD_SAFETY_ANALYSIS { apply_mu_.Unlock(); }

  // Where published index operations go from now on.
  void RetargetIndex(authz::TokenIndex* index) { index_.store(index, std::memory_order_release); }

  // The etcd revision of the last commit applied here.
  int64_t applied_revision() const;

  // The keys (tests and tools).
  std::string HeadKey() const;
  std::string LogKey(uint64_t first_sequence) const;

 private:
  EtcdEventLog(std::shared_ptr<Db> db, authz::TokenIndex* index, EtcdEventLogOptions options,
               std::unique_ptr<EtcdClient> client, uint64_t applied, int64_t revision);

  void TailLoop();
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
  const std::unique_ptr<EtcdClient> client_;
  AppliedPosition applied_;

  // Held by the tailer while it applies a commit, by Append while it projects, and by deciders
  // (LockApplies).
  Mutex apply_mu_;
  // The etcd revision of the head this replica applied: R of the next append's compare.
  int64_t head_revision_ ABSL_GUARDED_BY(apply_mu_);

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

  std::thread tailer_;
};

}  // namespace authd::storage::etcd

#endif  // AUTHD_STORAGE_ETCD_ETCD_EVENT_LOG_H_
