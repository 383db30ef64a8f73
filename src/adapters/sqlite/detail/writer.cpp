#include "adapters/sqlite/detail/writer.hpp"
#include <utility>

#include <sqlite3.h>

#include "adapters/sqlite/detail/checkpointer.hpp"
#include "adapters/sqlite/detail/connection.hpp"
#include "core/log.hpp"
#include "core/thread_name.hpp"

namespace wl::detail {

Writer::Writer(std::unique_ptr<Connection> connection, AuditChainer chainer, AuditHead head,
               std::size_t max_batch, Checkpointer* checkpointer)
    : connection_(std::move(connection)),
      chainer_(std::move(chainer)),
      head_(std::move(head)),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      checkpointer_(checkpointer),
      thread_([this] {
        name_this_thread("wl-store-writer");
        run_thread();
      }) {}

Writer::~Writer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    paused_ = false;
  }
  work_ready_.notify_all();
  thread_.join();
}

void Writer::submit(WriteJob& job) {
  std::unique_lock lock(mutex_);
  if (stopping_) {
    lock.unlock();
    job.fail(Status(Code::kUnavailable, "store: shutting down"));
    return;
  }
  job.done_ = false;
  queue_.push_back(&job);
  work_ready_.notify_one();
  jobs_done_.wait(lock, [&job] { return job.done_; });
}

void Writer::submit_async(std::unique_ptr<WriteJob> job) {
  std::unique_lock lock(mutex_);
  if (stopping_) {
    lock.unlock();
    job->fail(Status(Code::kUnavailable, "store: shutting down"));
    job->complete();
    return;
  }
  job->is_async_ = true;
  queue_.push_back(job.release());
  work_ready_.notify_one();
}

void Writer::pause_for_test() {
  std::lock_guard lock(mutex_);
  paused_ = true;
}

void Writer::resume_for_test() {
  {
    std::lock_guard lock(mutex_);
    paused_ = false;
  }
  work_ready_.notify_all();
}

std::size_t Writer::queued_for_test() {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::uint64_t Writer::batches_for_test() {
  std::lock_guard lock(mutex_);
  return batches_;
}

void Writer::run_thread() {
  std::vector<WriteJob*> batch;
  batch.reserve(max_batch_);
  std::vector<std::unique_ptr<WriteJob>> owned_jobs;  // The batch's async jobs.
  owned_jobs.reserve(max_batch_);
  while (true) {
    if (checkpointer_ != nullptr) {
      checkpointer_->wait_for_catch_up();
    }
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [this] { return stopping_ || (!paused_ && !queue_.empty()); });
      if (queue_.empty()) {
        return;  // Stopping with nothing left to do.
      }
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    run_batch(batch);
    // Take the async jobs out first: once a waiting submitter is woken, its job (on
    // its stack) may be gone.
    for (WriteJob* job : batch) {
      if (job->is_async_) {
        owned_jobs.emplace_back(job);
      }
    }
    const bool has_waiters = owned_jobs.size() < batch.size();
    {
      std::lock_guard lock(mutex_);
      for (WriteJob* job : batch) {
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
    for (const std::unique_ptr<WriteJob>& job : owned_jobs) {
      job->complete();
    }
    owned_jobs.clear();
  }
}

void Writer::run_batch(std::vector<WriteJob*>& batch) {
  const AuditHead head_before_batch = head_;
  sqlite3* database = connection_->handle();
  auto batch_result = [&]() -> Result<void> {
    WL_TRY(connection_->execute("BEGIN IMMEDIATE", "begin write batch"));
    for (WriteJob* job : batch) {
      const AuditHead head_before_job = head_;
      WL_TRY(connection_->execute("SAVEPOINT job", "begin write"));
      WriteContext context{*connection_, chainer_, head_, nullptr};
      const Result<void> job_result = job->run(context);
      if (sqlite3_get_autocommit(database) != 0) {
        // SQLite rolled the whole transaction back (I/O error, disk full): every job
        // of the batch is lost, not just this one. Report the cause when the job saw it.
        if (!job_result && job_result.error().code() == Code::kUnavailable) {
          return std::unexpected(job_result.error());
        }
        return error(Code::kUnavailable, "store: write batch rolled back");
      }
      if (!job_result) {
        head_ = head_before_job;
        WL_TRY(connection_->execute("ROLLBACK TO job", "roll back write"));
      }
      WL_TRY(connection_->execute("RELEASE job", "end write"));
    }
    // With synchronous=FULL, this is the batch's one fsync of the WAL.
    WL_TRY(connection_->execute("COMMIT", "commit write batch"));
    return ok();
  }();

  if (!batch_result) {
    if (sqlite3_get_autocommit(database) == 0) {
      (void)connection_->execute("ROLLBACK", "roll back write batch");
    }
    head_ = head_before_batch;
    log::get("store")->error("write batch of {} failed: {}", batch.size(),
                             batch_result.error().to_string());
    for (WriteJob* job : batch) {
      job->fail(batch_result.error());
    }
    return;
  }
  for (WriteJob* job : batch) {
    job->on_committed();
  }
}

}  // namespace wl::detail
