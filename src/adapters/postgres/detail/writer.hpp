#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/common/batch_queue.hpp"
#include "adapters/common/writer_counters.hpp"
#include "core/status.hpp"
#include "ports/store.hpp"

namespace wl::detail::pg {

class PgConnection;

// The end of the audit chain, as read (and row-locked) in the current transaction.
// The row is written once, at the end of the batch (Writer::try_batch): a row updated
// in every write's savepoint would leave hundreds of versions of itself, each locked by
// another subtransaction, for every later statement to step through.
struct AuditHead {
  std::int64_t seq = 0;
  std::string hash;         // 32 zero bytes before the first entry.
  std::int64_t stored_seq;  // The seq the row holds (when it was locked).
};

// What a write job sees while it runs on the writer thread, inside its savepoint.
struct WriteContext {
  PgConnection& connection;
  const AuditChainer& chainer;
  std::int64_t audit_chain;  // The chain this store appends to (claim_audit_chain).
  // Unset until the transaction's first audit entry locks the chain head; restored by
  // the writer if the job fails (its savepoint also releases the lock it took).
  std::optional<AuditHead>& audit_head;
  // Whether the transaction holds the stream gate (lock_stream); restored likewise.
  bool& holds_gate;
  // The threads whose rows the transaction has locked (lock_thread); cut back likewise.
  std::vector<ThreadId>& locked_threads;
  std::vector<Event>* events = nullptr;  // Set by the job: the events it created.
  // Set by a job that found a thread already written by a later transaction
  // (lock_thread): the writer reruns the batch in a new transaction.
  bool rerun = false;
};

// One write submitted to the Writer (adapters/common/batch_queue.hpp). It may run
// again when its batch is rerun after a deadlock.
using WriteJob = BatchJob<WriteContext>;

// The writer thread of a PostgresStore: group commit over its one connection.
// Submitters enqueue a job and block; the thread takes everything queued (at most
// max_batch jobs), runs each in a SAVEPOINT of ONE transaction, commits, calls the
// batch's CommitHooks in commit order, then wakes the submitters. Within one process
// hooks therefore run in commit order; other processes writing the same database
// are ordered by the stream's positions (docs/storage.md, "PostgreSQL"). Before the
// hooks run, the writer waits for the stream horizon to pass the batch's transaction
// (wait_for_horizon), so live fan-out never hands out a position that a transaction
// of another store could still commit behind.
//
// A deadlock or serialization failure (another store holding rows this batch needs)
// reruns the whole batch, up to max_attempts times; past that, and when the
// connection is lost, every job of the batch fails with Unavailable.
//
// Thread-safe. The destructor finishes every queued job, then joins the thread.
class Writer {
 public:
  // `connection` holds the claim on `audit_chain` (claim_audit_chain); the writer claims
  // it again after a reconnect.
  Writer(std::unique_ptr<PgConnection> connection, AuditChainer chainer, std::int64_t audit_chain,
         std::size_t max_batch, int max_attempts, std::chrono::milliseconds horizon_wait);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer() = default;

  // Runs `job` in the next batch and returns once its batch is committed or failed
  // (BatchQueue::submit).
  void submit(WriteJob& job, bool ahead = false) { queue_.submit(job, ahead); }
  // Queues `job` for the next batch, or to wait up to `max_wait` for one, and returns
  // at once (BatchQueue::submit_async).
  void submit_async(std::unique_ptr<WriteJob> job,
                    std::chrono::milliseconds max_wait = std::chrono::milliseconds(0),
                    bool ahead = false) {
    queue_.submit_async(std::move(job), max_wait, ahead);
  }

  // Test hooks: while paused, submitted jobs queue up and run as one batch on resume.
  void pause_for_test() { queue_.pause_for_test(); }
  void resume_for_test() { queue_.resume_for_test(); }
  std::size_t queued_for_test() { return queue_.queued(); }
  // Writes waiting for a batch (BatchQueue::queued). Any thread.
  std::size_t queued() { return queue_.queued(); }
  std::uint64_t batches_for_test() { return queue_.batches_for_test(); }

  // Committed batches and the rows their statements changed (the committed attempt's
  // only). Any thread.
  const WriterCounters& counters() const { return counters_; }
  // Statements and round trips of the writer's connection since open (every attempt's,
  // committed or not). Any thread.
  std::uint64_t statements() const { return statements_.load(std::memory_order_relaxed); }
  std::uint64_t round_trips() const { return round_trips_.load(std::memory_order_relaxed); }

 private:
  // The batch, rerun up to max_attempts times (on the queue's thread).
  void run_batch(std::vector<WriteJob*>& batch);
  // run_batch without publishing the connection's counters.
  void run_attempts(std::vector<WriteJob*>& batch);
  // One attempt at the batch. Sets `retry` when a job hit a deadlock or serialization
  // failure, or was overtaken on a thread (then also `gate_first`), and the transaction
  // was rolled back. With `gate_first` the transaction takes the stream gate before
  // anything else (lock_stream).
  Result<void> try_batch(std::vector<WriteJob*>& batch, bool& retry, bool& gate_first);
  // Waits until every transaction with a smaller id than `epoch` (the committed batch's)
  // has ended, at most horizon_wait_, so that the events the hooks then hand to live
  // fan-out are readable and nothing can still commit behind their positions: live
  // delivery follows the same horizon as read_user_events.
  // Called with the COMMIT deferred: the first read of the horizon goes with it.
  // Errors: a failure of the COMMIT or of a statement deferred before it.
  Result<void> wait_for_horizon(std::int64_t epoch);

  std::unique_ptr<PgConnection> connection_;  // Used only by the writer thread.
  AuditChainer chainer_;
  std::int64_t audit_chain_;
  int max_attempts_;
  std::chrono::milliseconds horizon_wait_;
  WriterCounters counters_;
  std::atomic<std::uint64_t> statements_{0};
  std::atomic<std::uint64_t> round_trips_{0};
  BatchQueue<WriteContext> queue_;  // Last: its thread uses the members above.
};

}  // namespace wl::detail::pg
