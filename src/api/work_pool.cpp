#include "api/work_pool.hpp"

#include "core/thread_name.hpp"
namespace wl::api {

WorkPool::WorkPool(std::size_t threads, std::size_t queue_limit) : queue_limit_(queue_limit) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      name_this_thread("wl-pool");
      run();
    });
  }
}

WorkPool::~WorkPool() { stop(); }

bool WorkPool::try_submit(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || tasks_.size() >= queue_limit_) {
      return false;
    }
    tasks_.push_back(std::move(task));
  }
  ready_.notify_one();
  return true;
}

bool WorkPool::try_begin_async() {
  std::lock_guard lock(mutex_);
  if (stopping_) {
    return false;
  }
  ++in_flight_;
  return true;
}

void WorkPool::end_async() {
  bool idle = false;
  {
    std::lock_guard lock(mutex_);
    idle = --in_flight_ == 0;
  }
  if (idle) {
    idle_.notify_all();
  }
}

void WorkPool::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return;
    }
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& thread : threads_) {
    thread.join();
  }
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return in_flight_ == 0; });
}

void WorkPool::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) {
        return;
      }
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace wl::api
