#include "storage/applied_position.h"

#include "absl/strings/str_cat.h"

namespace authd::storage {

void AppliedPosition::Advance(uint64_t position) {
  uint64_t seen = applied_.load(std::memory_order_relaxed);
  while (seen < position &&
         !applied_.compare_exchange_weak(seen, position, std::memory_order_seq_cst)) {
  }
  // Dekker-style, all seq_cst: a waiter registers (waiters_) before it re-checks `applied_`, and
  // this stores `applied_` before it reads `waiters_`, so either the waiter sees the new value or
  // this sees the waiter. The signal under mu_ cannot slip between its check and its wait.
  if (waiters_.load(std::memory_order_seq_cst) > 0) {
    MutexLock lock(&mu_);
    advanced_.SignalAll();
  }
}

absl::Status AppliedPosition::Await(uint64_t position, absl::Time deadline) {
  if (get() >= position) return absl::OkStatus();
  if (waiters_.fetch_add(1, std::memory_order_seq_cst) >= kMaxWaiters) {
    waiters_.fetch_sub(1, std::memory_order_seq_cst);
    return absl::UnavailableError(absl::StrCat("position ", position,
                                               " is not applied here yet, and too many calls wait "
                                               "for a position already: retry"));
  }
  {
    MutexLock lock(&mu_);
    while (applied_.load(std::memory_order_seq_cst) < position) {
      if (advanced_.WaitWithDeadline(&mu_, deadline)) break;  // the deadline passed
    }
  }
  waiters_.fetch_sub(1, std::memory_order_seq_cst);
  const uint64_t applied = get();
  if (applied >= position) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat("position ", position,
                                             " is not applied here yet (applied through ",
                                             applied, "): retry, or ask another replica"));
}

}  // namespace authd::storage
