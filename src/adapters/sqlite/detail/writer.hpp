#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "adapters/common/batch_queue.hpp"
#include "adapters/common/writer_counters.hpp"
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

// One write submitted to the Writer (adapters/common/batch_queue.hpp).
using WriteJob = BatchJob<WriteContext>;

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

  // Committed batches and their rows (sqlite3_total_changes64 across each batch), and
  // the pages the connection has written to the WAL since it was opened
  // (SQLITE_DBSTATUS_CACHE_WRITE, read after each commit). Any thread.
  const WriterCounters& counters() const { return counters_; }
  std::uint64_t pages_written() const { return pages_written_.load(std::memory_order_relaxed); }

 private:
  // One batch in one transaction, each job in its savepoint (on the queue's thread).
  void run_batch(std::vector<WriteJob*>& batch);

  std::unique_ptr<Connection> connection_;  // Used only by the writer thread.
  AuditChainer chainer_;
  AuditHead head_;  // Used only by the writer thread.
  Checkpointer* checkpointer_;
  WriterCounters counters_;
  std::atomic<std::uint64_t> pages_written_{0};
  BatchQueue<WriteContext> queue_;  // Last: its thread uses the members above.
};

}  // namespace wl::detail
