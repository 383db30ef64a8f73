#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace wl::api {

// Threads for blocking service calls (store reads and writes, Argon2id), so io
// threads never block. Writers that block here together are what lets the store
// group-commit: N threads waiting on one fsync. Thread-safe.
class WorkPool {
 public:
  // queue_limit bounds waiting tasks; past it try_submit refuses (callers answer
  // "unavailable, retry").
  WorkPool(std::size_t threads, std::size_t queue_limit);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Queues task. Returns false, queuing nothing, if the queue is full or stopping.
  bool try_submit(std::function<void()> task);

  // Counts an asynchronous operation (a store write that completes on the store's
  // thread), so that stop() waits for its completion too. Call try_begin_async()
  // before starting it, and end_async() as its completion's last step. Returns false,
  // counting nothing, once stop() has begun: the caller must then not start it.
  [[nodiscard]] bool try_begin_async();
  void end_async();

  // Runs what is queued, joins the threads, then waits for the asynchronous
  // operations begun. Idempotent.
  void stop();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;  // GUARDED_BY(mutex_)
  bool stopping_ = false;                    // GUARDED_BY(mutex_)
  std::size_t in_flight_ = 0;                // GUARDED_BY(mutex_): begun, not ended.
  std::condition_variable idle_;             // Signalled when in_flight_ drops to 0.
  std::size_t queue_limit_;
  std::vector<std::thread> threads_;
};

}  // namespace wl::api
