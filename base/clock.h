// Clock: where authd reads the time. Injected everywhere so tests control time and never sleep.
// Implementations are thread-safe.
//
// Two readings of the wall clock exist: `Clock::Now()` (absl::Now, for event stamps and admin
// paths) and `CoarseNowNanos()` (CLOCK_REALTIME_COARSE through the vDSO: a few ns, at the kernel
// tick's resolution of ~4 ms), which the Authorize hot path reads for expiry and last use. Both
// add the process-wide test offset (`SetTestClockOffset`, 0 unless a test-only flag sets it), so a
// test can move authd's time forward without sleeping (docs/adr/0007).
#ifndef AUTHD_BASE_CLOCK_H_
#define AUTHD_BASE_CLOCK_H_

#include <time.h>

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/mutex.h"

namespace authd {

namespace clock_internal {
inline std::atomic<int64_t> test_offset_nanos{0};
}  // namespace clock_internal

// Test-only: shifts every RealClock and CoarseNowNanos reading by `nanos`.
inline void SetTestClockOffset(int64_t nanos) {
  clock_internal::test_offset_nanos.store(nanos, std::memory_order_relaxed);
}
inline int64_t TestClockOffset() {
  return clock_internal::test_offset_nanos.load(std::memory_order_relaxed);
}

// Unix nanoseconds at the coarse clock's resolution (plus the test offset). No allocation, no
// system call (vDSO).
inline int64_t CoarseNowNanos() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec + TestClockOffset();
}

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The wall clock (plus the test offset).
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now() + absl::Nanoseconds(TestClockOffset()); }
};

// A clock that moves only when told to (tests).
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace authd

#endif  // AUTHD_BASE_CLOCK_H_
