#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "core/status.hpp"

namespace wl::detail {

class Connection;

// Runs WAL checkpoints off the writer's path. The writer connection has automatic
// checkpoints off; its WAL hook calls on_commit() after each commit with the WAL's
// size. Past `threshold_pages` this thread runs a PASSIVE checkpoint on its own
// connection: it never waits for the writer or readers, so commits are not delayed.
//
// Under sustained writes that is not enough: the WAL restarts from its top only when
// a write transaction begins after a checkpoint has copied every frame, and a
// checkpoint running beside a busy writer never catches up. So past 4 x threshold_pages
// the writer calls wait_for_catch_up() between batches: it blocks until this thread has
// finished one checkpoint while the writer is idle (a bounded stall, about one
// checkpoint's worth of copying), after which the next batch restarts the WAL.
//
// truncate() runs a TRUNCATE checkpoint on demand, for writes that must not leave old
// page images behind (values sealed in place, docs/storage.md).
//
// The destructor runs a final TRUNCATE checkpoint and joins; the owner destroys the
// writer and readers first. Thread-safe.
class Checkpointer {
 public:
  Checkpointer(std::unique_ptr<Connection> connection, int threshold_pages);
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;
  ~Checkpointer();

  // Called on the writer thread after a commit with the WAL's size in pages. Cheap and
  // non-blocking: safe inside a WAL hook.
  void on_commit(int wal_pages);

  // Called by the writer with no transaction open. Returns at once unless the WAL is
  // over the hard limit; then waits until a checkpoint has run.
  void wait_for_catch_up();

  // Runs a TRUNCATE checkpoint on this thread and waits for it: every WAL frame is
  // copied over the page it replaces in the database file, which is synced, and the
  // WAL is emptied. The checkpoint itself waits, up to the busy timeout, for the
  // writer to be idle and for readers of older snapshots to finish. Blocks; do not
  // call it on the writer thread. Errors: Unavailable if it could not finish (busy,
  // I/O) or the checkpointer is stopping.
  [[nodiscard]] Result<void> truncate();

  // WAL frames the checkpoints copied into the database file, and the checkpoints that
  // copied any, since open (StoreStats). Derived from each checkpoint's count of
  // backfilled frames, so a TRUNCATE checkpoint's own copies are missed: an
  // undercount only on seals and close. Any thread.
  std::uint64_t pages_copied() const { return pages_copied_.load(std::memory_order_relaxed); }
  std::uint64_t copying_checkpoints() const {
    return copying_checkpoints_.load(std::memory_order_relaxed);
  }

 private:
  void run_thread();
  // Adds what one checkpoint copied, from its WAL size and backfilled frames.
  void count_copied(int wal_frames, int backfilled);

  std::unique_ptr<Connection> connection_;  // Used only by the checkpointer thread.
  int threshold_pages_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable caught_up_;
  std::condition_variable truncated_;
  bool requested_ = false;        // Guarded by mutex_.
  bool catch_up_needed_ = false;  // Guarded by mutex_.
  bool stopping_ = false;         // Guarded by mutex_.
  // truncate() calls numbered in order, and the last one a checkpoint has finished,
  // with its result. Guarded by mutex_.
  std::uint64_t truncations_requested_ = 0;
  std::uint64_t truncations_done_ = 0;
  Result<void> truncation_result_;
  // The previous checkpoint's WAL size and backfilled frames (checkpointer thread only).
  int last_wal_frames_ = 0;
  int last_backfilled_ = 0;
  std::atomic<std::uint64_t> pages_copied_{0};
  std::atomic<std::uint64_t> copying_checkpoints_{0};
  std::thread thread_;
};

}  // namespace wl::detail
