#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.hpp"
#include "ports/store.hpp"

namespace wl::detail::pg {

class PgConnection;

// The end of the audit chain, as read (and row-locked) in the current transaction.
struct AuditHead {
  std::int64_t seq = 0;
  std::string hash;  // 32 zero bytes before the first entry.
};

// What a write job sees while it runs on the writer thread, inside its savepoint.
struct WriteContext {
  PgConnection& connection;
  const AuditChainer& chainer;
  // Unset until the transaction's first audit entry locks the chain head; restored by
  // the writer if the job fails (its savepoint also releases the lock it took).
  std::optional<AuditHead>& audit_head;
  std::vector<Event>* events;  // Set by the job: the events it created.
  // Set by a job that found a thread already written by a later transaction
  // (lock_thread): the writer reruns the batch in a new transaction.
  bool rerun = false;
};

// One write submitted to the Writer. The submitting thread owns the job and blocks
// in Writer::submit until the writer has finished with it.
class WriteJob {
 public:
  WriteJob() = default;
  WriteJob(const WriteJob&) = delete;
  WriteJob& operator=(const WriteJob&) = delete;
  virtual ~WriteJob() = default;

  // Runs the write inside its own savepoint on the writer thread. An error rolls back
  // the savepoint only: the other jobs of the batch are unaffected. May run again (a
  // batch rerun after a deadlock), so it starts from a clean state each time.
  virtual Result<void> run(WriteContext& context) = 0;
  // The whole batch failed to commit: the job's result becomes `status`.
  virtual void fail(const Status& status) = 0;
  // The batch is durable: calls the job's CommitHook if it succeeded with events.
  virtual void on_committed() = 0;
  // For jobs given to Writer::submit_async: hands the result over, on the writer
  // thread after the batch (or on the submitting thread if the writer has stopped).
  // Must not block.
  virtual void complete() {}

 private:
  friend class Writer;
  bool done_ = false;      // Guarded by Writer::mutex_.
  bool is_async_ = false;  // Owned by the writer once queued; set before queuing.
};

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
  Writer(std::unique_ptr<PgConnection> connection, AuditChainer chainer, std::size_t max_batch,
         int max_attempts, std::chrono::milliseconds horizon_wait);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer();

  // Runs `job` in the next batch and returns once its batch is committed or failed.
  // After shutdown began, fails the job with Unavailable without running it.
  void submit(WriteJob& job);

  // Queues `job` for the next batch and returns at once. The writer calls
  // job->complete() after the batch has committed or failed, then destroys the job.
  // After shutdown began, fails and completes the job on the calling thread. May be
  // called from a completion (on the writer thread).
  void submit_async(std::unique_ptr<WriteJob> job);

  // Test hooks: while paused, submitted jobs queue up and run as one batch on resume.
  void pause_for_test();
  void resume_for_test();
  std::size_t queued_for_test();
  std::uint64_t batches_for_test();

 private:
  void run_thread();
  void run_batch(std::vector<WriteJob*>& batch);
  // One attempt at the batch. Sets `retry` when a job hit a deadlock or serialization
  // failure, or was overtaken on a thread (then also `gate_first`), and the transaction
  // was rolled back. With `gate_first` the transaction takes the stream gate before
  // anything else (lock_stream).
  Result<void> try_batch(std::vector<WriteJob*>& batch, bool& retry, bool& gate_first);
  // Waits until every transaction with a smaller id than `epoch` (the committed batch's)
  // has ended, at most horizon_wait_, so that the events the hooks then hand to live
  // fan-out are readable and nothing can still commit behind their positions: live
  // delivery follows the same horizon as read_user_events.
  void wait_for_horizon(std::int64_t epoch);

  std::unique_ptr<PgConnection> connection_;  // Used only by the writer thread.
  AuditChainer chainer_;
  std::size_t max_batch_;
  int max_attempts_;
  std::chrono::milliseconds horizon_wait_;

  std::mutex mutex_;
  std::condition_variable work_ready_;  // Signalled on submit, resume and stop.
  std::condition_variable jobs_done_;   // Signalled after each batch.
  std::deque<WriteJob*> queue_;         // Guarded by mutex_.
  bool stopping_ = false;               // Guarded by mutex_.
  bool paused_ = false;                 // Guarded by mutex_.
  std::uint64_t batches_ = 0;           // Guarded by mutex_.
  std::thread thread_;
};

}  // namespace wl::detail::pg
