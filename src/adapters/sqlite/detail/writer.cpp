#include "adapters/sqlite/detail/writer.hpp"
#include <chrono>
#include <utility>

#include <sqlite3.h>

#include "adapters/sqlite/detail/checkpointer.hpp"
#include "adapters/sqlite/detail/connection.hpp"
#include "core/log.hpp"

namespace wl::detail {

Writer::Writer(std::unique_ptr<Connection> connection, AuditChainer chainer, AuditHead head,
               std::size_t max_batch, Checkpointer* checkpointer)
    : connection_(std::move(connection)),
      chainer_(std::move(chainer)),
      head_(std::move(head)),
      checkpointer_(checkpointer),
      queue_(
          "wl-store-writer", max_batch, [this](std::vector<WriteJob*>& batch) { run_batch(batch); },
          [this] {
            // Between batches, the checkpointer catches up when the WAL is over its
            // hard limit.
            if (checkpointer_ != nullptr) {
              checkpointer_->wait_for_catch_up();
            }
          }) {}

void Writer::run_batch(std::vector<WriteJob*>& batch) {
  const AuditHead head_before_batch = head_;
  sqlite3* database = connection_->handle();
  const sqlite3_int64 changes_before = sqlite3_total_changes64(database);
  std::chrono::microseconds commit_time{0};
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
    const auto commit_started = std::chrono::steady_clock::now();
    WL_TRY(connection_->execute("COMMIT", "commit write batch"));
    commit_time = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - commit_started);
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
  counters_.add_commit(
      static_cast<std::uint64_t>(sqlite3_total_changes64(database) - changes_before), commit_time);
  int pages = 0;
  int unused_highwater = 0;
  if (sqlite3_db_status(database, SQLITE_DBSTATUS_CACHE_WRITE, &pages, &unused_highwater, 0) ==
      SQLITE_OK) {
    pages_written_.store(static_cast<std::uint64_t>(pages), std::memory_order_relaxed);
  }
  for (WriteJob* job : batch) {
    job->on_committed();
  }
}

}  // namespace wl::detail
