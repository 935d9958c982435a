// Replication lag: how long a replica has been behind a log position it knows exists, which is
// what readiness (services/server.cc: NOT_SERVING past --max-replica-lag) and the stalled-watch
// check of storage/etcd/etcd_event_log.h act on.
//
// LagTracker is fed every successful read of etcd's head (`ObserveHead`) and asked with the
// applied position. `behind_for` is the age of the oldest observed head this replica has not yet
// applied: a replica that applies what it sees within the check interval is never behind, one
// whose watch is stuck grows behind by wall time, and one that cannot reach etcd at all is not
// "behind" (nothing newer is known) but `since_contact` grows: Authorize keeps answering from
// memory, and the log says how stale it may be. Pure (times are arguments); thread-compatible: the
// owner locks.
#ifndef AUTHD_STORAGE_REPLICATION_LAG_H_
#define AUTHD_STORAGE_REPLICATION_LAG_H_

#include <cstdint>
#include <deque>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace authd::storage {

// What a log says about its replication (EventLog::Replication).
struct ReplicationStatus {
  // False for the embedded log: never behind, nothing to contact.
  bool replicated = false;
  uint64_t applied = 0;
  // The highest log position this replica knows exists (>= applied once observed).
  uint64_t known_head = 0;
  // How long a position known to exist has gone unapplied here (zero: caught up).
  absl::Duration behind_for = absl::ZeroDuration();
  // Since etcd last answered a read of its head (infinite: never).
  absl::Duration since_contact = absl::InfiniteDuration();
  // Replication stopped for good (the log's sticky error, e.g. a commit that does not apply):
  // this replica will not catch up until restarted. OK while replicating.
  absl::Status stopped;
};

class LagTracker {
 public:
  // Observations kept while unapplied; past this the newest is dropped (the oldest decides).
  static constexpr size_t kMaxPending = 64;

  // etcd answered, at `now`, that its log ends at `head`; this replica had applied `applied`.
  void ObserveHead(uint64_t head, uint64_t applied, absl::Time now);
  ReplicationStatus Status(uint64_t applied, absl::Time now) const;

 private:
  uint64_t known_head_ = 0;
  // (head, when first seen), heads increasing; entries at or below the applied position are stale.
  std::deque<std::pair<uint64_t, absl::Time>> pending_;
  absl::Time last_contact_ = absl::InfinitePast();
};

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_REPLICATION_LAG_H_
