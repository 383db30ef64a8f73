#include "adapters/postgres/detail/writer.hpp"

#include <chrono>
#include <thread>
#include <utility>

#include "adapters/postgres/detail/connection.hpp"
#include "adapters/postgres/detail/rows.hpp"
#include "core/log.hpp"

namespace wl::detail::pg {

Writer::Writer(std::unique_ptr<PgConnection> connection, AuditChainer chainer,
               std::int64_t audit_chain, std::size_t max_batch, int max_attempts,
               std::chrono::milliseconds horizon_wait)
    : connection_(std::move(connection)),
      chainer_(std::move(chainer)),
      audit_chain_(audit_chain),
      max_attempts_(max_attempts < 1 ? 1 : max_attempts),
      horizon_wait_(horizon_wait),
      queue_("wl-pg-writer", max_batch,
             [this](std::vector<WriteJob*>& batch) { run_batch(batch); }) {}

Result<void> Writer::try_batch(std::vector<WriteJob*>& batch, bool& retry, bool& gate_first) {
  retry = false;
  if (!connection_->is_healthy()) {
    WL_TRY(connection_->reconnect());
    // The claim on the chain ended with the old session.
    WL_TRY(reclaim_audit_chain(*connection_, audit_chain_));
  }
  const std::uint64_t rows_before = connection_->rows_changed();
  WL_TRY(connection_->execute("BEGIN", "begin write batch"));
  bool gate = false;
  if (gate_first) {
    WL_TRY(lock_stream(*connection_));
    gate = true;
  }
  std::optional<AuditHead> head;
  for (WriteJob* job : batch) {
    const std::optional<AuditHead> head_before_job = head;
    const bool gate_before_job = gate;
    WL_TRY(connection_->execute("SAVEPOINT job", "begin write"));
    WriteContext context{*connection_, chainer_, audit_chain_, head, gate};
    connection_->clear_last_sqlstate();
    const Result<void> job_result = job->run(context);
    if (!job_result) {
      if (!connection_->is_healthy()) {
        return error(Code::kUnavailable, "store: the database connection was lost");
      }
      if (context.rerun || is_retryable(connection_->last_sqlstate())) {
        // Another store holds what this batch needs, or wrote a thread first with a
        // later transaction id: start the batch again, as a whole, in a new
        // transaction, since the locks taken by the jobs before this one are part of it.
        (void)connection_->execute("ROLLBACK", "roll back write batch");
        retry = true;
        gate_first = gate_first || context.rerun;
        return std::unexpected(job_result.error());
      }
      head = head_before_job;
      gate = gate_before_job;
      WL_TRY(connection_->execute("ROLLBACK TO SAVEPOINT job", "roll back write"));
    }
    WL_TRY(connection_->execute("RELEASE SAVEPOINT job", "end write"));
  }
  // The transaction's id, if it wrote anything: its events' epoch (wait_for_horizon).
  const PgResult written = WL_TRY(connection_->query(
      "SELECT pg_current_xact_id_if_assigned()::text::bigint", "commit write batch"));
  const std::optional<std::int64_t> epoch =
      written.rows() == 1 ? written.optional_int64(0, 0) : std::nullopt;
  WL_TRY(written.check());
  WL_TRY(connection_->execute("COMMIT", "commit write batch"));
  counters_.add_commit(connection_->rows_changed() - rows_before);
  if (epoch) {
    wait_for_horizon(*epoch);
  }
  return ok();
}

void Writer::wait_for_horizon(std::int64_t epoch) {
  const auto deadline = std::chrono::steady_clock::now() + horizon_wait_;
  while (true) {
    const Result<PgResult> horizon = connection_->query(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint", "read stream horizon");
    if (horizon && horizon->rows() == 1 && horizon->int64(0, 0) > epoch && horizon->check()) {
      return;
    }
    if (!horizon || std::chrono::steady_clock::now() >= deadline) {
      // The batch is durable either way: its hooks run, and a reader that resumes from
      // one of its positions may miss what the lagging transaction commits below it.
      log::get("store")->warn("stream horizon did not pass a committed batch within {} ms",
                              horizon_wait_.count());
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void Writer::run_batch(std::vector<WriteJob*>& batch) {
  Result<void> batch_result = ok();
  bool gate_first = false;
  for (int attempt = 1; attempt <= max_attempts_; ++attempt) {
    bool retry = false;
    batch_result = try_batch(batch, retry, gate_first);
    if (batch_result || !retry) {
      break;
    }
  }
  if (!batch_result) {
    if (connection_->is_healthy()) {
      (void)connection_->execute("ROLLBACK", "roll back write batch");
    }
    // A rerun budget spent, or a lost connection: the caller should retry the call.
    const Status status = batch_result.error().code() == Code::kUnavailable
                              ? batch_result.error()
                              : Status(Code::kUnavailable, "store: write batch failed");
    log::get("store")->error("write batch of {} failed: {}", batch.size(),
                             batch_result.error().to_string());
    for (WriteJob* job : batch) {
      job->fail(status);
    }
    return;
  }
  for (WriteJob* job : batch) {
    job->on_committed();
  }
}

}  // namespace wl::detail::pg
