#include "http/worker_pool.h"

#include <atomic>
#include <future>

#include "gtest/gtest.h"

namespace authd::http {
namespace {

TEST(WorkerPoolTest, RunsTasksAndRefusesPastTheQueueBound) {
  WorkerPool pool(1, 2);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.Submit([&] {
    started.set_value();
    gate.wait();
    ++ran;
  }));
  started.get_future().wait();  // the one worker is busy; the queue is empty
  EXPECT_TRUE(pool.Submit([&] { ++ran; }));
  EXPECT_TRUE(pool.Submit([&] { ++ran; }));
  EXPECT_FALSE(pool.Submit([&] { ++ran; }));  // queue full: refused, not queued
  release.set_value();
  std::promise<void> last;
  // Wait (bounded) until the queue has room again and a marker task ran.
  bool queued = false;
  for (int i = 0; i < 1000 && !queued; ++i) {
    queued = pool.Submit([&] { last.set_value(); });
    if (!queued) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(queued);
  ASSERT_EQ(last.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(ran.load(), 3);
}

TEST(WorkerPoolTest, ShutdownDropsQueuedTasksAndRefusesNewOnes) {
  std::atomic<int> ran{0};
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  WorkerPool pool(1, 4);
  ASSERT_TRUE(pool.Submit([&] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();
  ASSERT_TRUE(pool.Submit([&] { ++ran; }));
  std::thread stopper([&] { pool.Shutdown(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  release.set_value();
  stopper.join();
  EXPECT_EQ(ran.load(), 0);
  EXPECT_FALSE(pool.Submit([&] { ++ran; }));
}

}  // namespace
}  // namespace authd::http
