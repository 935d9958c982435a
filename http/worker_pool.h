// WorkerPool: a fixed number of threads running submitted tasks in order, behind a bounded queue.
// Submit refuses (returns false) instead of queueing past the bound, so a burst costs the caller
// an immediate "busy" answer, never unbounded memory. Thread-safe. Shutdown (or the destructor)
// drops tasks not yet started and waits for the running ones.
#ifndef AUTHD_HTTP_WORKER_POOL_H_
#define AUTHD_HTTP_WORKER_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace authd::http {

class WorkerPool {
 public:
  WorkerPool(int threads, int max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false when the queue is full or the pool is shutting down.
  bool Submit(std::function<void()> task);
  void Shutdown();

 private:
  void Run();

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace authd::http

#endif  // AUTHD_HTTP_WORKER_POOL_H_
