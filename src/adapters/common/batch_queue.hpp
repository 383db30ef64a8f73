#pragma once

// The group commit both store adapters share: jobs queued by any thread, taken by one
// writer thread in batches, each batch run as one transaction by the adapter
// (sqlite/detail/writer.cpp, postgres/detail/writer.cpp), then handed back: a blocking
// submitter is woken, an asynchronous job completes. What a batch does inside its
// transaction (savepoints, retries, the audit head) is the adapter's; the queue, its
// ownership rules and its shutdown are here, once. Internal to the adapters.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/status.hpp"
#include "core/thread_name.hpp"
#include "ports/write.hpp"

namespace wl::detail {

template <typename Context>
class BatchQueue;

// One write submitted to a BatchQueue. A blocking submitter owns its job and waits in
// submit() until the batch is done; an asynchronous job is owned by the queue.
template <typename Context>
class BatchJob {
 public:
  BatchJob() = default;
  BatchJob(const BatchJob&) = delete;
  BatchJob& operator=(const BatchJob&) = delete;
  virtual ~BatchJob() = default;

  // Runs the write inside its own savepoint on the writer thread. An error rolls back
  // the savepoint only: the other jobs of the batch are unaffected. May run again (an
  // adapter may rerun a whole batch), so it starts from a clean state each time.
  virtual Result<void> run(Context& context) = 0;
  // The job's write, or the whole batch, failed to commit: its result becomes `status`.
  virtual void fail(const Status& status) = 0;
  // The batch is durable: calls the job's CommitHook if it succeeded with events.
  virtual void on_committed() = 0;
  // For jobs given to submit_async: hands the result over, on the writer thread after
  // the batch (or on the submitting thread if the queue has stopped). Must not block.
  virtual void complete() {}

 private:
  friend class BatchQueue<Context>;
  bool done_ = false;      // Guarded by BatchQueue::mutex_.
  bool is_async_ = false;  // Owned by the queue once queued; set before queuing.
  // When a job that may wait (submit_async's max_wait) must run at the latest; unset
  // for a job that runs in the next batch. Set before queuing.
  std::optional<std::chrono::steady_clock::time_point> due_;
  bool ahead_ = false;  // Queued ahead of the jobs in turn. Set before queuing.
};

// The queue and its writer thread. The thread takes everything queued (at most
// max_batch jobs), calls run_batch (which runs, commits and then calls on_committed or
// fail on every job), then wakes the batch's submitters and completes its async jobs.
// before_batch, if set, runs on the writer thread before each wait for work.
//
// A job submitted with a max_wait does not start a batch by itself: it waits until
// another job starts one (and then commits in it) or until max_wait has passed. At a
// light load that lets a write nobody waits on (a delivery receipt) share the next
// write's commit and fsync instead of paying for its own; at a heavy load batches
// form anyway and nothing waits.
//
// A job submitted `ahead` joins the queue before every job that was not, after those
// that were: work whose deadline has come (a fired timer) runs in the next batch
// instead of behind a full load of messages. Such jobs are few and bounded by their
// submitter (two timer claims at a time), so the jobs in turn are delayed, not starved.
//
// Thread-safe. The destructor finishes every queued job, then joins the thread; a
// member of the adapter's writer, it is declared last so that it stops first.
template <typename Context>
class BatchQueue {
 public:
  using Job = BatchJob<Context>;
  using RunBatch = std::function<void(std::vector<Job*>& batch)>;

  BatchQueue(std::string thread_name, std::size_t max_batch, RunBatch run_batch,
             std::function<void()> before_batch = {})
      : max_batch_(max_batch == 0 ? 1 : max_batch),
        run_batch_(std::move(run_batch)),
        before_batch_(std::move(before_batch)),
        thread_([this, name = std::move(thread_name)] {
          name_this_thread(name);
          run_thread();
        }) {}
  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  ~BatchQueue() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      paused_ = false;
    }
    work_ready_.notify_all();
    thread_.join();
  }

  // Runs `job` in the next batch and returns once its batch is committed or failed.
  // After shutdown began, fails the job with Unavailable without running it.
  void submit(Job& job, bool ahead = false) {
    std::unique_lock lock(mutex_);
    if (stopping_) {
      lock.unlock();
      job.fail(Status(Code::kUnavailable, "store: shutting down"));
      return;
    }
    job.done_ = false;
    job.ahead_ = ahead;
    ++ready_;
    enqueue(&job);
    work_ready_.notify_one();
    jobs_done_.wait(lock, [&job] { return job.done_; });
  }

  // Queues `job` for the next batch and returns at once. The queue calls
  // job->complete() after the batch has committed or failed, then destroys the job.
  // After shutdown began, fails and completes the job on the calling thread. May be
  // called from a completion (on the writer thread). With a max_wait above zero, the
  // job waits for another to start a batch, at most that long (see the class); a job
  // `ahead` never waits.
  void submit_async(std::unique_ptr<Job> job,
                    std::chrono::milliseconds max_wait = std::chrono::milliseconds(0),
                    bool ahead = false) {
    std::unique_lock lock(mutex_);
    if (stopping_) {
      lock.unlock();
      job->fail(Status(Code::kUnavailable, "store: shutting down"));
      job->complete();
      return;
    }
    job->is_async_ = true;
    job->ahead_ = ahead;
    if (max_wait.count() > 0 && !ahead) {
      job->due_ = std::chrono::steady_clock::now() + max_wait;
      queue_.push_back(job.release());
      // The writer is told only if it must now wake earlier than it planned.
      if (!next_due_ || *queue_.back()->due_ < *next_due_) {
        next_due_ = queue_.back()->due_;
        work_ready_.notify_one();
      }
      return;
    }
    ++ready_;
    enqueue(job.release());
    work_ready_.notify_one();
  }

  // Test hooks: while paused, submitted jobs queue up and run as one batch on resume.
  void pause_for_test() {
    std::lock_guard lock(mutex_);
    paused_ = true;
  }
  void resume_for_test() {
    {
      std::lock_guard lock(mutex_);
      paused_ = false;
    }
    work_ready_.notify_all();
  }
  // Jobs waiting for a batch, not counting the batch being written (for /metrics and
  // tests).
  std::size_t queued() {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }
  std::uint64_t batches_for_test() {
    std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  void run_thread() {
    std::vector<Job*> batch;
    batch.reserve(max_batch_);
    std::vector<std::unique_ptr<Job>> owned_jobs;  // The batch's async jobs.
    owned_jobs.reserve(max_batch_);
    while (true) {
      if (before_batch_) {
        before_batch_();
      }
      {
        std::unique_lock lock(mutex_);
        while (!stopping_ && (paused_ || !has_work_due())) {
          if (!paused_ && next_due_) {
            work_ready_.wait_until(lock, *next_due_);
          } else {
            work_ready_.wait(lock);
          }
        }
        if (queue_.empty()) {
          return;  // Stopping with nothing left to do.
        }
        while (!queue_.empty() && batch.size() < max_batch_) {
          Job* job = queue_.front();
          queue_.pop_front();
          if (!job->due_) {
            --ready_;
          }
          if (job->ahead_) {
            --ahead_;
          }
          batch.push_back(job);
        }
        next_due_.reset();
        for (Job* waiting : queue_) {
          if (waiting->due_ && (!next_due_ || *waiting->due_ < *next_due_)) {
            next_due_ = waiting->due_;
          }
        }
      }
      run_batch_(batch);
      // Take the async jobs out first: once a waiting submitter is woken, its job (on
      // its stack) may be gone.
      for (Job* job : batch) {
        if (job->is_async_) {
          owned_jobs.emplace_back(job);
        }
      }
      const bool has_waiters = owned_jobs.size() < batch.size();
      {
        std::lock_guard lock(mutex_);
        for (Job* job : batch) {
          if (!job->is_async_) {
            job->done_ = true;
          }
        }
        ++batches_;
      }
      batch.clear();
      if (has_waiters) {
        jobs_done_.notify_all();
      }
      for (const std::unique_ptr<Job>& job : owned_jobs) {
        job->complete();
      }
      owned_jobs.clear();
    }
  }

  // Queues a job that does not wait: after the jobs ahead if it is one of them, else
  // last. Under mutex_.
  void enqueue(Job* job) {
    if (job->ahead_) {
      queue_.insert(queue_.begin() + static_cast<std::ptrdiff_t>(ahead_), job);
      ++ahead_;
    } else {
      queue_.push_back(job);
    }
  }

  // Whether a batch should start now: a job that does not wait is queued, or the
  // earliest waiting job is due. Under mutex_.
  bool has_work_due() const {
    return ready_ > 0 || (next_due_ && std::chrono::steady_clock::now() >= *next_due_);
  }

  const std::size_t max_batch_;
  const RunBatch run_batch_;
  const std::function<void()> before_batch_;

  std::mutex mutex_;
  std::condition_variable work_ready_;  // Signalled on submit, resume and stop.
  std::condition_variable jobs_done_;   // Signalled after each batch.
  std::deque<Job*> queue_;              // Guarded by mutex_.
  std::size_t ready_ = 0;               // Queued jobs without a due time. Guarded.
  std::size_t ahead_ = 0;               // Queued jobs ahead, at the front. Guarded.
  // The earliest due time of the queued jobs that may wait. Guarded by mutex_.
  std::optional<std::chrono::steady_clock::time_point> next_due_;
  bool stopping_ = false;      // Guarded by mutex_.
  bool paused_ = false;        // Guarded by mutex_.
  std::uint64_t batches_ = 0;  // Guarded by mutex_.
  std::thread thread_;         // Last: starts once the rest is ready.
};

// A write that runs `body` on the writer thread and keeps its result for the caller.
// The events the body created get their recipients (with_recipients, found by
// argument-dependent lookup on the adapter's connection type) before the commit, for
// the hook.
template <typename T, typename Body, typename Context>
class TypedBatchJob final : public BatchJob<Context> {
 public:
  TypedBatchJob(Body& body, const CommitHook* hook) : body_(body), hook_(hook) {}

  Result<void> run(Context& context) override {
    events_.clear();
    committed_.clear();
    context.events = &events_;
    result_.emplace(body_(context));
    if (*result_ && hook_ != nullptr && *hook_ && !events_.empty()) {
      auto committed = with_recipients(context.connection, events_);
      if (committed) {
        committed_ = std::move(*committed);
      } else {
        result_.emplace(std::unexpected(committed.error()));
      }
    }
    if (!*result_) {
      committed_.clear();
      return std::unexpected(result_->error());
    }
    return ok();
  }

  void fail(const Status& status) override {
    committed_.clear();
    result_.emplace(std::unexpected(status));
  }

  void on_committed() override {
    if (hook_ != nullptr && *hook_ && result_ && *result_ && !committed_.empty()) {
      (*hook_)(std::span<const CommittedEvent>(committed_));
    }
  }

  Result<T> take() {
    if (!result_) {
      return error(Code::kInternal, "store: write did not run");
    }
    return std::move(*result_);
  }

 private:
  Body& body_;
  const CommitHook* hook_;
  std::optional<Result<T>> result_;
  std::vector<Event> events_;              // What the write created, for its result.
  std::vector<CommittedEvent> committed_;  // The same with recipients, for the hook.
};

// An asynchronous write: owns its body, hook and completion. The queue destroys it
// after complete().
template <typename T, typename Body, typename Context>
class AsyncBatchJob final : public BatchJob<Context> {
 public:
  AsyncBatchJob(Body body, CommitHook hook, WriteDone<T> done)
      : body_(std::move(body)),
        hook_(std::move(hook)),
        done_(std::move(done)),
        job_(body_, hook_ ? &hook_ : nullptr) {}

  Result<void> run(Context& context) override { return job_.run(context); }
  void fail(const Status& status) override { job_.fail(status); }
  void on_committed() override { job_.on_committed(); }
  void complete() override { done_(job_.take()); }

 private:
  Body body_;
  CommitHook hook_;
  WriteDone<T> done_;
  TypedBatchJob<T, Body, Context> job_;  // Last: refers to body_ and hook_.
};

}  // namespace wl::detail
