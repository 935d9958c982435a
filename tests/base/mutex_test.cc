// Behaviour of authd::Mutex, MutexLock, ReaderMutexLock and CondVar. Also run under
// ThreadSanitizer (tag "tsan"), where a lock that failed to order the threads' accesses is
// reported as a race even if the plain run happens to pass.
//
// Ordering is established without sleeps: a thread is known to be queued on a lock once
// /proc/self/task/<tid>/syscall shows it inside futex(2). Every wait is bounded (kPatience), so a
// broken lock fails the test instead of hanging it.
#include "base/mutex.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace authd {
namespace {

// How long a thread may take to reach a state that needs no time at all; only a broken lock
// gets near it.
constexpr absl::Duration kPatience = absl::Seconds(20);

pid_t ThisThreadId() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// Whether thread `tid` of this process is blocked in futex(2) (as a thread queued on a pthread lock
// or condition variable is).
bool InFutex(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
  long number = -1;
  in >> number;
  return in && number == SYS_futex;
}

// Polls until thread `*tid` (published by that thread, 0 until then) is blocked in futex(2), or
// kPatience passes. Returns whether it got there.
bool AwaitBlocked(const std::atomic<pid_t>* tid) {
  const absl::Time give_up = absl::Now() + kPatience;
  while (absl::Now() < give_up) {
    const pid_t t = tid->load();
    if (t != 0 && InFutex(t)) return true;
    std::this_thread::yield();
  }
  return false;
}

// Polls until `*flag` is true or kPatience passes. Returns `*flag`.
bool AwaitFlag(const std::atomic<bool>* flag) {
  const absl::Time give_up = absl::Now() + kPatience;
  while (!flag->load() && absl::Now() < give_up) std::this_thread::yield();
  return flag->load();
}

TEST(MutexTest, WritersExcludeEachOther) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 20000;
  Mutex mu;
  int64_t counter = 0;  // Plain: only the lock keeps the increments whole.
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        MutexLock lock(&mu);
        ++counter;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  MutexLock lock(&mu);
  EXPECT_EQ(counter, int64_t{kThreads} * kIncrements);
}

TEST(MutexTest, ReadersHoldTheLockTogether) {
  Mutex mu;
  std::atomic<bool> first_in{false};
  std::atomic<bool> second_in{false};
  std::atomic<bool> met_first{false};
  std::atomic<bool> met_second{false};
  // Each reader waits, inside its reader lock, for the other to be inside too.
  std::thread first([&] {
    ReaderMutexLock lock(&mu);
    first_in = true;
    met_first = AwaitFlag(&second_in);
  });
  std::thread second([&] {
    ReaderMutexLock lock(&mu);
    second_in = true;
    met_second = AwaitFlag(&first_in);
  });
  first.join();
  second.join();
  EXPECT_TRUE(met_first);
  EXPECT_TRUE(met_second);
}

TEST(MutexTest, ReaderWaitsForTheWriter) {
  Mutex mu;
  int value = 0;
  std::atomic<pid_t> reader_tid{0};
  int seen = -1;

  mu.Lock();
  value = 1;
  std::thread reader([&] {
    reader_tid = ThisThreadId();
    ReaderMutexLock lock(&mu);
    seen = value;
  });
  EXPECT_TRUE(AwaitBlocked(&reader_tid)) << "the reader never queued behind the writer";
  value = 2;  // The reader is queued: it may only see what the writer leaves at Unlock.
  mu.Unlock();
  reader.join();
  EXPECT_EQ(seen, 2);
}

// absl::Mutex's policy, kept on purpose (see mutex.h): once a writer waits, new readers queue
// behind it, so readers that keep arriving cannot starve a writer.
TEST(MutexTest, QueuedWriterGoesBeforeLaterReaders) {
  Mutex mu;
  Mutex order_mu;
  std::vector<std::string> order;
  std::atomic<pid_t> writer_tid{0};
  std::atomic<pid_t> late_reader_tid{0};
  std::atomic<bool> late_reader_in{false};

  mu.ReaderLock();
  std::thread writer([&] {
    writer_tid = ThisThreadId();
    MutexLock lock(&mu);
    MutexLock o(&order_mu);
    order.push_back("writer");
  });
  EXPECT_TRUE(AwaitBlocked(&writer_tid)) << "the writer never queued behind the reader";

  std::thread late_reader([&] {
    late_reader_tid = ThisThreadId();
    ReaderMutexLock lock(&mu);
    late_reader_in = true;
    MutexLock o(&order_mu);
    order.push_back("late reader");
  });
  // Either the late reader queues (writer preference) or it gets in beside us (reader preference).
  const absl::Time give_up = absl::Now() + kPatience;
  while (!late_reader_in && !(late_reader_tid != 0 && InFutex(late_reader_tid)) &&
         absl::Now() < give_up) {
    std::this_thread::yield();
  }
  mu.ReaderUnlock();
  writer.join();
  late_reader.join();
  EXPECT_EQ(order, (std::vector<std::string>{"writer", "late reader"}));
}

TEST(CondVarTest, SignalWakesAWaiterThatSeesTheChange) {
  Mutex mu;
  CondVar cv;
  bool ready = false;
  int payload = 0;
  bool timed_out = true;
  int got = 0;
  std::atomic<pid_t> waiter_tid{0};
  std::thread waiter([&] {
    waiter_tid = ThisThreadId();
    MutexLock lock(&mu);
    const absl::Time give_up = absl::Now() + kPatience;
    timed_out = false;
    while (!ready && !timed_out) timed_out = cv.WaitWithDeadline(&mu, give_up);
    got = payload;
  });
  EXPECT_TRUE(AwaitBlocked(&waiter_tid)) << "the waiter never waited";
  {
    MutexLock lock(&mu);
    payload = 42;
    ready = true;
    cv.Signal();
  }
  waiter.join();
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(got, 42);
}

TEST(CondVarTest, SignalAllWakesEveryWaiter) {
  constexpr int kWaiters = 4;
  Mutex mu;
  CondVar cv;
  bool go = false;
  int waiting = 0;
  int woken = 0;
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&] {
      MutexLock lock(&mu);
      ++waiting;
      cv.SignalAll();  // Tells the main thread (waiting on the same CondVar) one more arrived.
      const absl::Time give_up = absl::Now() + kPatience;
      bool timed_out = false;
      while (!go && !timed_out) timed_out = cv.WaitWithDeadline(&mu, give_up);
      if (go) ++woken;
    });
  }
  {
    MutexLock lock(&mu);
    const absl::Time give_up = absl::Now() + kPatience;
    bool timed_out = false;
    while (waiting < kWaiters && !timed_out) timed_out = cv.WaitWithDeadline(&mu, give_up);
    ASSERT_EQ(waiting, kWaiters);
    go = true;
    cv.SignalAll();
  }
  for (std::thread& t : waiters) t.join();
  MutexLock lock(&mu);
  EXPECT_EQ(woken, kWaiters);
}

// Waits with no end (or one past the steady clock's range) take their own path, with no clock
// arithmetic to overflow; they still wake on a Signal, and never report a timeout.
TEST(CondVarTest, EndlessWaitsWakeOnSignal) {
  struct Case {
    std::string name;
    bool use_deadline;
    absl::Duration timeout;  // Ignored with use_deadline (InfiniteFuture).
  };
  const std::vector<Case> cases = {
      {"deadline_infinite_future", true, absl::ZeroDuration()},
      {"timeout_infinite", false, absl::InfiniteDuration()},
      {"timeout_thousand_years", false, absl::Hours(24 * 365 * 1000)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Mutex mu;
    CondVar cv;
    bool ready = false;
    bool any_timed_out = false;
    std::atomic<pid_t> waiter_tid{0};
    std::thread waiter([&] {
      waiter_tid = ThisThreadId();
      MutexLock lock(&mu);
      while (!ready) {
        any_timed_out |= c.use_deadline ? cv.WaitWithDeadline(&mu, absl::InfiniteFuture())
                                        : cv.WaitWithTimeout(&mu, c.timeout);
      }
    });
    EXPECT_TRUE(AwaitBlocked(&waiter_tid));
    {
      MutexLock lock(&mu);
      ready = true;
      cv.Signal();
    }
    waiter.join();
    EXPECT_FALSE(any_timed_out);
  }
}

// Nobody signals: each wait must end by reporting a timeout (a spurious wake-up may come first,
// so each case may take a few rounds), with the lock held again.
TEST(CondVarTest, UnsignalledWaitsReportTimeout) {
  struct Case {
    std::string name;
    bool use_deadline;
    absl::Duration offset;  // Timeout, or deadline minus now.
  };
  const std::vector<Case> cases = {
      {"timeout_zero", false, absl::ZeroDuration()},
      {"timeout_negative", false, -absl::Seconds(1)},
      {"timeout_one_ms", false, absl::Milliseconds(1)},
      {"timeout_minus_infinity", false, -absl::InfiniteDuration()},
      {"deadline_past", true, -absl::Seconds(1)},
      {"deadline_now", true, absl::ZeroDuration()},
      {"deadline_in_one_ms", true, absl::Milliseconds(1)},
      {"deadline_infinite_past", true, -absl::InfiniteDuration()},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Mutex mu;
    CondVar cv;
    int guarded = 0;
    MutexLock lock(&mu);
    bool timed_out = false;
    for (int round = 0; round < 100 && !timed_out; ++round) {
      timed_out = c.use_deadline ? cv.WaitWithDeadline(&mu, absl::Now() + c.offset)
                                 : cv.WaitWithTimeout(&mu, c.offset);
    }
    EXPECT_TRUE(timed_out);
    ++guarded;  // Still ours: the wait re-took the lock.
    EXPECT_EQ(guarded, 1);
  }
}

}  // namespace
}  // namespace authd
