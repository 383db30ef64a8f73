#include "adapters/sqlite/detail/checkpointer.hpp"
#include <algorithm>
#include <utility>

#include <sqlite3.h>

#include "adapters/sqlite/detail/connection.hpp"
#include "core/log.hpp"
#include "core/thread_name.hpp"

namespace wl::detail {

Checkpointer::Checkpointer(std::unique_ptr<Connection> connection, int threshold_pages)
    : connection_(std::move(connection)),
      threshold_pages_(std::max(threshold_pages, 1)),
      thread_([this] {
        name_this_thread("wl-checkpoint");
        run_thread();
      }) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Checkpointer::on_commit(int wal_pages) {
  if (wal_pages < threshold_pages_) {
    return;
  }
  {
    std::lock_guard lock(mutex_);
    requested_ = true;
    if (wal_pages >= 4 * threshold_pages_) {
      catch_up_needed_ = true;
    }
  }
  wake_.notify_one();
}

void Checkpointer::wait_for_catch_up() {
  std::unique_lock lock(mutex_);
  if (!catch_up_needed_) {
    return;
  }
  // A checkpoint that started while the writer was busy may not cover the last
  // batch, so ask for one more that starts now, with the writer idle.
  requested_ = true;
  wake_.notify_one();
  caught_up_.wait(lock, [this] { return !catch_up_needed_ || stopping_; });
}

Result<void> Checkpointer::truncate() {
  std::unique_lock lock(mutex_);
  const std::uint64_t ticket = ++truncations_requested_;
  requested_ = true;
  wake_.notify_one();
  truncated_.wait(lock, [&] { return truncations_done_ >= ticket || stopping_; });
  if (truncations_done_ < ticket) {
    return error(Code::kUnavailable, "store: shutting down");
  }
  return truncation_result_;
}

void Checkpointer::count_copied(int wal_frames, int backfilled) {
  if (wal_frames < 0 || backfilled < 0) {
    return;  // The checkpoint failed before reading the WAL.
  }
  // The WAL restarted since the last checkpoint if it shrank or its backfill did: then
  // every backfilled frame is new.
  const bool restarted = wal_frames < last_wal_frames_ || backfilled < last_backfilled_;
  const int copied = restarted ? backfilled : backfilled - last_backfilled_;
  last_wal_frames_ = wal_frames;
  last_backfilled_ = backfilled;
  if (copied > 0) {
    pages_copied_.fetch_add(static_cast<std::uint64_t>(copied), std::memory_order_relaxed);
    copying_checkpoints_.fetch_add(1, std::memory_order_relaxed);
  }
}

void Checkpointer::run_thread() {
  while (true) {
    bool stopping = false;
    bool catching_up = false;
    std::uint64_t truncation = 0;  // The last truncate() call this checkpoint serves.
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return requested_ || stopping_; });
      requested_ = false;
      stopping = stopping_;
      catching_up = catch_up_needed_;
      if (truncations_requested_ > truncations_done_) {
        truncation = truncations_requested_;
      }
    }
    // PASSIVE never waits on the writer or readers. TRUNCATE, on request and at close
    // (when no writer or reader is left), leaves an empty WAL behind.
    const int mode =
        stopping || truncation != 0 ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE;
    int wal_frames = 0;
    int backfilled = 0;
    const int result =
        sqlite3_wal_checkpoint_v2(connection_->handle(), nullptr, mode, &wal_frames, &backfilled);
    count_copied(wal_frames, backfilled);
    if (result != SQLITE_OK && result != SQLITE_BUSY) {
      log::get("store")->warn("{}", sqlite_status(result, "checkpoint").to_string());
    }
    if (truncation != 0) {
      {
        std::lock_guard lock(mutex_);
        truncations_done_ = truncation;
        truncation_result_ =
            result == SQLITE_OK
                ? ok()
                : Result<void>(std::unexpected(sqlite_status(result, "truncate the WAL")));
      }
      truncated_.notify_all();
    }
    if (catching_up) {
      {
        std::lock_guard lock(mutex_);
        catch_up_needed_ = false;
      }
      caught_up_.notify_all();
    }
    if (stopping) {
      return;
    }
  }
}

}  // namespace wl::detail
