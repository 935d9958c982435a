// Clock: where authd reads the time. Injected everywhere so tests control time and never sleep.
// Implementations are thread-safe.
#ifndef AUTHD_BASE_CLOCK_H_
#define AUTHD_BASE_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/mutex.h"

namespace authd {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The wall clock.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
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
