#include "adapters/postgres/detail/writer.hpp"

#include <algorithm>
#include <chrono>
#include <string_view>
#include <thread>
#include <utility>

#include "adapters/postgres/detail/connection.hpp"
#include "adapters/postgres/detail/rows.hpp"
#include "core/log.hpp"

namespace wl::detail::pg {
namespace {

constexpr std::string_view kCommitOperation = "commit write batch";
constexpr std::string_view kHorizonOperation = "read stream horizon";

}  // namespace

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
  // BEGIN, each SAVEPOINT and RELEASE, and the jobs' statements whose rows nobody reads
  // are deferred: they reach the server in one pipeline with the next query
  // (PgConnection::defer), a few round trips per job instead of one per statement.
  connection_->defer_command("BEGIN", "begin write batch");
  bool gate = false;
  if (gate_first) {
    WL_TRY(lock_stream(*connection_));
    gate = true;
  }
  std::optional<AuditHead> head;
  std::vector<ThreadId> locked_threads;
  // The transaction's id, once a job has written an event: its events' epoch.
  std::optional<std::int64_t> epoch;
  for (WriteJob* job : batch) {
    const std::optional<AuditHead> head_before_job = head;
    const bool gate_before_job = gate;
    const std::size_t locked_before_job = locked_threads.size();
    connection_->defer_command("SAVEPOINT job", "begin write");
    WriteContext context{*connection_, chainer_, audit_chain_, head, gate, locked_threads};
    connection_->clear_last_sqlstate();
    Result<void> job_result = job->run(context);
    if (job_result) {
      // The job's deferred statements and its RELEASE, in one round trip: a failure of
      // either leaves the savepoint in place, and fails the job alone.
      connection_->defer_command("RELEASE SAVEPOINT job", "end write");
      job_result = connection_->flush();
      if (!job_result) {
        job->fail(job_result.error());
      } else if (context.events != nullptr) {
        for (const Event& event : *context.events) {
          epoch = std::max(epoch.value_or(0), event.epoch);
        }
      }
    }
    if (!job_result) {
      const bool rerun = context.rerun || is_retryable(connection_->last_sqlstate());
      // What the job deferred still runs (and is undone with its savepoint): a rollback
      // sent behind a failing statement in one pipeline would be skipped.
      (void)connection_->flush();
      if (!connection_->is_healthy()) {
        return error(Code::kUnavailable, "store: the database connection was lost");
      }
      if (rerun) {
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
      locked_threads.resize(locked_before_job);
      WL_TRY(connection_->execute("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job",
                                  "roll back write"));
    }
  }
  if (head && head->seq != head->stored_seq) {
    connection_->defer("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = $3",
                       Params().add(head->seq).add_bytes(head->hash).add(audit_chain_),
                       "append audit entry");
  }
  connection_->defer_command("COMMIT", kCommitOperation);
  const auto commit_started = std::chrono::steady_clock::now();
  if (epoch) {
    // The first look at the horizon goes in one pipeline with the COMMIT.
    WL_TRY(wait_for_horizon(*epoch));
  } else {
    WL_TRY(connection_->flush());
  }
  counters_.add_commit(connection_->rows_changed() - rows_before,
                       std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::steady_clock::now() - commit_started));
  return ok();
}

Result<void> Writer::wait_for_horizon(std::int64_t epoch) {
  const auto deadline = std::chrono::steady_clock::now() + horizon_wait_;
  while (true) {
    const Result<PgResult> horizon = connection_->query(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint", kHorizonOperation);
    if (!horizon && connection_->last_failed_operation() != kHorizonOperation) {
      return std::unexpected(horizon.error());  // The COMMIT, or what went before it, failed.
    }
    if (horizon && horizon->rows() == 1 && horizon->int64(0, 0) > epoch && horizon->check()) {
      return ok();
    }
    if (!horizon || std::chrono::steady_clock::now() >= deadline) {
      // The batch is durable either way: its hooks run, and a reader that resumes from
      // one of its positions may miss what the lagging transaction commits below it.
      log::get("store")->warn("stream horizon did not pass a committed batch within {} ms",
                              horizon_wait_.count());
      return ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void Writer::run_batch(std::vector<WriteJob*>& batch) {
  run_attempts(batch);
  // Published for stats(): the connection itself is the writer thread's alone.
  statements_.store(connection_->statements_sent(), std::memory_order_relaxed);
  round_trips_.store(connection_->round_trips(), std::memory_order_relaxed);
}

void Writer::run_attempts(std::vector<WriteJob*>& batch) {
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
    (void)connection_->flush();
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
