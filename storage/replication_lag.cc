#include "storage/replication_lag.h"

#include <algorithm>

namespace authd::storage {

void LagTracker::ObserveHead(uint64_t head, uint64_t applied, absl::Time now) {
  last_contact_ = now;
  known_head_ = std::max(known_head_, head);
  while (!pending_.empty() && pending_.front().first <= applied) pending_.pop_front();
  if (head <= applied) return;
  if (!pending_.empty() && pending_.back().first >= head) return;  // seen earlier: older time kept
  if (pending_.size() < kMaxPending) pending_.emplace_back(head, now);
}

ReplicationStatus LagTracker::Status(uint64_t applied, absl::Time now) const {
  ReplicationStatus status;
  status.replicated = true;
  status.applied = applied;
  status.known_head = std::max(known_head_, applied);
  for (const auto& [head, seen] : pending_) {
    if (head > applied) {
      status.behind_for = std::max(absl::ZeroDuration(), now - seen);
      break;
    }
  }
  if (last_contact_ != absl::InfinitePast()) {
    status.since_contact = std::max(absl::ZeroDuration(), now - last_contact_);
  }
  return status;
}

}  // namespace authd::storage
