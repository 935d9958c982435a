// AppliedPosition: how far this process has applied the event log (events durable and in its
// projections and authz::TokenIndex), and a wait for a position to be reached. Read on the
// Authorize path when a caller asks for `min_position`: a position already reached costs one
// atomic load; only a caller that must wait takes the lock. Thread-safe.
#ifndef AUTHD_STORAGE_APPLIED_POSITION_H_
#define AUTHD_STORAGE_APPLIED_POSITION_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "base/mutex.h"

namespace authd::storage {

class AppliedPosition {
 public:
  explicit AppliedPosition(uint64_t start) : applied_(start) {}
  AppliedPosition(const AppliedPosition&) = delete;
  AppliedPosition& operator=(const AppliedPosition&) = delete;

  uint64_t get() const { return applied_.load(std::memory_order_acquire); }

  // Records that everything through `position` is applied (positions only grow: a lower value is
  // ignored) and wakes the waiters it satisfies.
  void Advance(uint64_t position);

  // Returns once `position` is applied, or at `deadline` with kUnavailable naming both positions
  // (this process lags: retry, or ask another replica). Never blocks for a position reached. At
  // most kMaxWaiters calls wait at once (a wait holds a server thread): past that, kUnavailable
  // at once.
  absl::Status Await(uint64_t position, absl::Time deadline);

  static constexpr int kMaxWaiters = 64;

  // Calls waiting in Await now.
  int waiting() const { return waiters_.load(std::memory_order_acquire); }

 private:
  std::atomic<uint64_t> applied_;
  std::atomic<int> waiters_{0};
  Mutex mu_;
  CondVar advanced_;
};

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_APPLIED_POSITION_H_
