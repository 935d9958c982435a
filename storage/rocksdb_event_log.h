// RocksDbEventLog: the embedded event log, authd's default (ADR 0001, ADR 0005). The log is the
// `events` column family of the same RocksDB that holds the projections, so an append writes the
// events, their projection rows (storage/applier.h), raw tokens while hashing is off, and the
// checkpoint in ONE WriteBatch: appended == applied, atomically. The batch goes to the WAL
// unsynced; a group commit (storage/group_commit.h) fsyncs for every writer queued meanwhile, and
// only then are the index operations published, in log order. A failed append changes nothing;
// a failed fsync is sticky (every later append fails with it until restart).
//
// Shares the Db (kept alive by the shared_ptr); borrows the index, which must outlive it or be
// retargeted. Append: one writer at a time (the caller's writer lock); the rest is thread-safe.
#ifndef AUTHD_STORAGE_ROCKSDB_EVENT_LOG_H_
#define AUTHD_STORAGE_ROCKSDB_EVENT_LOG_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "authz/token_index.h"
#include "rocksdb/iterator.h"
#include "storage/applied_position.h"
#include "storage/db.h"
#include "storage/event_log.h"
#include "storage/group_commit.h"

namespace authd::storage {

class RocksDbEventLog final : public EventLog {
 public:
  // Reads the head (the events column family's last key). `sync_writes` false skips the fsync
  // (throughput tests only). Errors: kDataLoss (a malformed key), kUnavailable.
  static absl::StatusOr<std::unique_ptr<RocksDbEventLog>> Open(std::shared_ptr<Db> db,
                                                               bool sync_writes,
                                                               authz::TokenIndex* index);

  uint64_t Head() const override { return head_.load(std::memory_order_acquire); }
  // Advanced as each group commit publishes, in log order.
  uint64_t Applied() const override { return applied_.get(); }
  absl::Status AwaitPosition(uint64_t position, absl::Time deadline) override {
    return applied_.Await(position, deadline);
  }
  absl::StatusOr<Appended> Append(uint64_t expected_head, std::vector<pb::Event> events,
                                  const Decision& decision) override;
  absl::Status AwaitApplied(const Appended& appended) override;
  absl::Status Drain() override { return group_.Drain(); }
  absl::Status health() const override { return group_.health(); }
  absl::StatusOr<std::vector<pb::Event>> Read(uint64_t from, size_t limit) override;

  // Where published index operations go from now on. Only with nothing pending (after Drain,
  // under the writer lock).
  void RetargetIndex(authz::TokenIndex* index) { index_.store(index, std::memory_order_release); }

  // Visits the events of `it` (an iterator over the events column family, live or of a
  // Db::PointInTime) from position `from` to the end, checking each sits at the next position
  // under its own key. Stops at the first error of `visit`. Errors: kDataLoss naming the first
  // gap, malformed key, undecodable event or event under a wrong key; kUnavailable from RocksDB.
  static absl::Status Walk(rocksdb::Iterator* it, uint64_t from,
                           const std::function<absl::Status(const pb::Event&)>& visit);

 private:
  RocksDbEventLog(std::shared_ptr<Db> db, bool sync_writes, authz::TokenIndex* index, uint64_t head);

  const std::shared_ptr<Db> db_;
  std::atomic<authz::TokenIndex*> index_;
  std::atomic<uint64_t> head_;
  AppliedPosition applied_;
  GroupCommit group_;
};

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_ROCKSDB_EVENT_LOG_H_
