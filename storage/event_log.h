// EventLog: the ordered, append-only log of authd's events, the one source of truth every
// projection and index is derived from (docs/adr/0005-event-log-seam-and-etcd.md).
//
// Positions are the events' gap-free sequence numbers, from 1. An append is a compare-and-swap on
// the head: it lands only if no event was appended since the head the command was decided
// against. Once AwaitApplied returns OK the events are durable (an fsync, or a quorum) AND applied
// to this process's projections and authz::TokenIndex, in log order: a write is acknowledged only
// then (read-your-writes). Implementations: RocksDbEventLog (storage/rocksdb_event_log.h, the
// embedded default); EtcdEventLog (storage/etcd/etcd_event_log.h, ADR 0005 step 2), where other
// replicas' appends reach the projections through a tailer, outside Append.
//
// Threading: Append is called by one writer at a time (TokenStore's writer lock); everything else
// is thread-safe.
#ifndef AUTHD_STORAGE_EVENT_LOG_H_
#define AUTHD_STORAGE_EVENT_LOG_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/record_codec.h"
#include "storage/commands.h"
#include "storage/replication_lag.h"

namespace authd::storage {

// What Append did: the positions of the events, a ticket for AwaitApplied, and the state of the
// decision's result keys after the events (nullopt: the row is absent).
struct Appended {
  uint64_t first_position = 0;
  uint64_t last_position = 0;
  uint64_t ticket = 0;
  std::vector<std::optional<std::string>> results;
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  // The position of the last event appended (0: empty log).
  virtual uint64_t Head() const = 0;
  // The position through which events are durable and applied in this process (<= Head()).
  virtual uint64_t Applied() const = 0;
  // Returns once Applied() >= `position`, or at `deadline` with kUnavailable (this process lags).
  virtual absl::Status AwaitPosition(uint64_t position, absl::Time deadline) = 0;

  // Appends `events`, stamped with positions expected_head + 1 ..., with the decision's raw tokens
  // (where the log keeps them locally). Errors: kAborted (the head is no longer `expected_head`:
  // decide again), kDataLoss (an event contradicts the projections), kUnavailable /
  // kResourceExhausted (storage; nothing appended), or the sticky error of a failed sync.
  virtual absl::StatusOr<Appended> Append(uint64_t expected_head, std::vector<pb::Event> events,
                                          const Decision& decision) = 0;
  // Blocks until the append is durable and applied. Errors: kUnavailable (a sync that would have
  // covered it failed).
  virtual absl::Status AwaitApplied(const Appended& appended) = 0;
  // Blocks until every append so far is durable and applied.
  virtual absl::Status Drain() = 0;
  // OK, or the sticky error that stops appends.
  virtual absl::Status health() const = 0;
  // How far behind the log's source of truth this process is (storage/replication_lag.h).
  // Default: not replicated (the embedded log is its own truth).
  virtual ReplicationStatus Replication() const {
    ReplicationStatus status;
    status.applied = Applied();
    status.known_head = Head();
    return status;
  }

  // Events with position >= `from`, at most `limit`, in order.
  virtual absl::StatusOr<std::vector<pb::Event>> Read(uint64_t from, size_t limit) = 0;

  // Between these two nothing but Append changes the projections, so a command decides against
  // one applied state, the one at Head() (use ApplyHold). Not reentrant; never call Append while
  // holding it. Default: nothing to hold (RocksDbEventLog: only Append writes).
  virtual void LockApplies() {}
  virtual void UnlockApplies() {}
};

// Holds `log`'s applies (EventLog::LockApplies) for its scope.
class ApplyHold {
 public:
  explicit ApplyHold(EventLog& log) : log_(log) { log_.LockApplies(); }
  ~ApplyHold() { log_.UnlockApplies(); }
  ApplyHold(const ApplyHold&) = delete;
  ApplyHold& operator=(const ApplyHold&) = delete;

 private:
  EventLog& log_;
};

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_EVENT_LOG_H_
