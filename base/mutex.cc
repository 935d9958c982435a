#include "base/mutex.h"

#include <chrono>

namespace authd {
namespace {

// What std::condition_variable_any needs of a lock (BasicLockable), kept off Mutex's own surface
// so callers cannot bypass the annotated Lock/Unlock with std::lock_guard and friends.
class Relock {
 public:
  explicit Relock(Mutex* mu) : mu_(mu) {}
  void lock() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_->Lock(); }
  void unlock() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_->Unlock(); }

 private:
  Mutex* const mu_;
};

}  // namespace

void CondVar::Wait(Mutex* mu) {
  Relock lock(mu);
  cv_.wait(lock);
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) {
    Wait(mu);
    return false;
  }
  Relock lock(mu);
  return cv_.wait_until(lock, absl::ToChronoTime(deadline)) == std::cv_status::timeout;
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  if (timeout == absl::InfiniteDuration()) {
    Wait(mu);
    return false;
  }
  if (timeout <= absl::ZeroDuration()) return true;  // Also keeps now + timeout from underflowing.
  const auto now = std::chrono::steady_clock::now();
  const std::chrono::nanoseconds wait = absl::ToChronoNanoseconds(timeout);  // Saturates.
  if (wait > std::chrono::steady_clock::time_point::max() - now) {  // Past the clock's range.
    Wait(mu);
    return false;
  }
  Relock lock(mu);
  return cv_.wait_until(lock, now + wait) == std::cv_status::timeout;
}

}  // namespace authd
