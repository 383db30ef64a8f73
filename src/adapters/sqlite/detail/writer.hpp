#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.hpp"
#include "ports/store.hpp"

namespace wl::detail {

class Checkpointer;
class Connection;

// The end of the audit chain as committed (or as written so far in the open batch).
struct AuditHead {
  std::int64_t seq = 0;
  std::string hash;  // 32 zero bytes before the first entry.
};

// What a write job sees while it runs on the writer thread, inside its savepoint.
struct WriteContext {
  Connection& connection;
  const AuditChainer& chainer;
  AuditHead& audit_head;       // Restored by the writer if the job fails.
  std::vector<Event>* events;  // Set by the job: the events it created.
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
  // the savepoint only: the other jobs of the batch are unaffected.
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

// The single writer thread of a SqliteStore: group commit. Submitters enqueue a job
// and block; the thread takes everything queued (at most max_batch jobs), runs each in
// a SAVEPOINT of ONE transaction, commits (one fsync for the batch), calls the batch's
// CommitHooks in commit order, then wakes the submitters. Because all writes go
// through this one thread, rowids (event ids, audit seqs) grow in commit order.
//
// Thread-safe. The destructor finishes every queued job, then joins the thread.
class Writer {
 public:
  // Takes the connection (schema migrated) and the committed audit chain head.
  // `checkpointer` (may be null) must outlive the writer; between batches the writer
  // lets it catch up when the WAL is over its hard limit.
  Writer(std::unique_ptr<Connection> connection, AuditChainer chainer, AuditHead head,
         std::size_t max_batch, Checkpointer* checkpointer);
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

  std::unique_ptr<Connection> connection_;  // Used only by the writer thread.
  AuditChainer chainer_;
  AuditHead head_;  // Used only by the writer thread.
  std::size_t max_batch_;
  Checkpointer* checkpointer_;

  std::mutex mutex_;
  std::condition_variable work_ready_;  // Signalled on submit, resume and stop.
  std::condition_variable jobs_done_;   // Signalled after each batch.
  std::deque<WriteJob*> queue_;         // Guarded by mutex_.
  bool stopping_ = false;               // Guarded by mutex_.
  bool paused_ = false;                 // Guarded by mutex_.
  std::uint64_t batches_ = 0;           // Guarded by mutex_.
  std::thread thread_;
};

}  // namespace wl::detail
