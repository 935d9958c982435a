// authd's lock types: `Mutex` (a reader-writer lock), the scoped `MutexLock` and
// `ReaderMutexLock`, and `CondVar`. They keep absl::Mutex's shape and its thread-safety
// annotations (so `ABSL_GUARDED_BY(mu_)` and friends keep working under clang's -Wthread-safety)
// but sit on the C library's pthread_rwlock_t and the standard library's
// std::condition_variable_any.
//
// Why they exist: Debian's Abseil, gRPC and RocksDB are prebuilt without ThreadSanitizer
// instrumentation, so the happens-before edges absl::Mutex creates (its own futex/spinlock code,
// not pthread) are invisible to a TSan build of our code, which then reports races that are not
// there. TSan intercepts pthread, so locks built on it are understood. Use these types in authd's
// own code instead of absl::Mutex / absl::CondVar / absl::Notification.
//
// Mutex differs from std::shared_mutex in one way on purpose: it prefers writers, as absl::Mutex
// does. glibc's default rwlock (the one under std::shared_mutex) lets new readers in while a writer
// waits, so a steady stream of Authorize readers could keep a writer (a token publish, a sign-in)
// waiting indefinitely. The price, also absl::Mutex's: a thread must not take a reader lock it
// already holds (it deadlocks once a writer is queued). Neither lock is reentrant.
//
// Thread-safety: all of these are for use from many threads; a Mutex must outlive its users.
#ifndef AUTHD_BASE_MUTEX_H_
#define AUTHD_BASE_MUTEX_H_

#include <pthread.h>

#include <condition_variable>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

namespace authd {

// A reader-writer lock that prefers writers. Not reentrant. constexpr-constructible, so a global
// `ABSL_CONST_INIT Mutex` is safe to use from other translation units' static initializers.
class ABSL_LOCKABLE Mutex {
 public:
  constexpr Mutex() = default;
  ~Mutex() { pthread_rwlock_destroy(&rw_); }
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // Exclusive (writer) lock.
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { pthread_rwlock_wrlock(&rw_); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { pthread_rwlock_unlock(&rw_); }
  // Takes the lock exclusively if it is free; true when taken.
  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) {
    return pthread_rwlock_trywrlock(&rw_) == 0;
  }

  // Shared (reader) lock: many readers at once, none while a writer holds or awaits the lock.
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() { pthread_rwlock_rdlock(&rw_); }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { pthread_rwlock_unlock(&rw_); }

 private:
  pthread_rwlock_t rw_ = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
};

// Holds `mu` exclusively for its scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// Holds `mu` exclusively from construction until Release() or the end of its scope, whichever
// comes first (a writer that must not keep the lock while it waits for something else).
class ABSL_SCOPED_LOCKABLE ReleasableMutexLock {
 public:
  explicit ReleasableMutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
  }
  ~ReleasableMutexLock() ABSL_UNLOCK_FUNCTION() {
    if (mu_ != nullptr) mu_->Unlock();
  }
  void Release() ABSL_UNLOCK_FUNCTION() {
    mu_->Unlock();
    mu_ = nullptr;
  }
  ReleasableMutexLock(const ReleasableMutexLock&) = delete;
  ReleasableMutexLock& operator=(const ReleasableMutexLock&) = delete;

 private:
  Mutex* mu_;
};

// Holds `mu` shared for its scope.
class ABSL_SCOPED_LOCKABLE ReaderMutexLock {
 public:
  explicit ReaderMutexLock(Mutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->ReaderLock();
  }
  ~ReaderMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->ReaderUnlock(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable for a Mutex held exclusively, with absl::CondVar's contract: each Wait
// releases `mu` while blocked and holds it again on return; a return may be spurious, so wait in
// a loop that re-checks the condition. A Signal from a thread that changed the condition while
// holding `mu` is never lost.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // As Wait, but gives up at `deadline` (wall clock; absl::InfiniteFuture() waits forever).
  // Returns true if it returned because the deadline passed, false if woken.
  bool WaitWithDeadline(Mutex* mu, absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // As Wait, but gives up after `timeout` (steady clock; absl::InfiniteDuration() waits forever).
  // Returns true if it returned because the timeout elapsed, false if woken.
  bool WaitWithTimeout(Mutex* mu, absl::Duration timeout) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  // Wakes one waiter / every waiter, if any.
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable_any cv_;
};

}  // namespace authd

#endif  // AUTHD_BASE_MUTEX_H_
