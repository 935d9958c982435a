// GroupCommit: makes many unsynced log writes durable with one fsync, and publishes their in-memory
// effects in log order once (and only once) they are durable.
//
// The writer (TokenStore, holding its writer lock) appends a batch WITHOUT syncing, then calls
// `Enqueue(publish)` in log order, which returns a ticket, and releases the lock. Each caller then
// waits in `AwaitDurable(ticket)`: the first waiter to find no sync in flight becomes the leader and runs ONE
// `sync()` for everything enqueued so far; the writes that arrive meanwhile are covered by the next
// leader's sync. Once a sync covers an entry, the entries up to it are published in sequence order
// (whoever gets there first runs the `publish` callbacks), so the in-memory index never reorders a
// create and a delete, and never shows a change that is not durable.
//
// A failed sync is sticky: what the OS did with the unsynced pages is unknown (the PostgreSQL
// fsync lesson), so every waiter and every later write gets kUnavailable until the process restarts
// and RocksDB recovers the log from what really reached the disk.
//
// Owns the queue of unpublished entries; borrows nothing. Thread-safe.
#ifndef AUTHD_STORAGE_GROUP_COMMIT_H_
#define AUTHD_STORAGE_GROUP_COMMIT_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <utility>

#include "absl/status/status.h"
#include "base/mutex.h"

namespace authd::storage {

class GroupCommit {
 public:
  // `sync` makes every write that returned before the call durable (Db::SyncWal), or is a no-op
  // returning OK when writes need no syncing.
  explicit GroupCommit(std::function<absl::Status()> sync) : sync_(std::move(sync)) {}

  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Records that a write has been appended (unsynced) and returns its ticket. Calls must come in
  // log order (the caller's writer lock guarantees it). Tickets increase for the life of the
  // object, whatever happens to the store's sequence numbers (a restore may shorten the log).
  // `publish` runs once, after every earlier entry's, when a sync has covered the entry; it must be
  // quick and not call back.
  uint64_t Enqueue(std::function<void()> publish);

  // Blocks until the entry of `ticket` is durable and published. Errors: kUnavailable when a sync
  // that would have covered it failed (now or earlier); an entry already durable stays OK.
  absl::Status AwaitDurable(uint64_t ticket);

  // Blocks until everything enqueued so far is durable and published (a writer holding its lock
  // calls this before swapping or reloading what the callbacks write into).
  absl::Status Drain();

  // OK, or the sticky error of a failed sync.
  absl::Status health() const;

  // Syncs performed so far (each covers one or more entries): for tests and benchmarks.
  uint64_t syncs() const;

 private:
  struct Entry {
    uint64_t ticket;
    std::function<void()> publish;
  };

  // Runs the callbacks of the queued entries with ticket <= durable_, in order.
  void PublishDurableLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::function<absl::Status()> sync_;
  mutable authd::Mutex mu_;
  authd::CondVar changed_;
  std::deque<Entry> pending_ ABSL_GUARDED_BY(mu_);
  uint64_t enqueued_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t durable_ ABSL_GUARDED_BY(mu_) = 0;
  bool syncing_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t syncs_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_GROUP_COMMIT_H_
