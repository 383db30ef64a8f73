#include "adapters/sqlite/detail/checkpointer.hpp"

#include <utility>

#include <sqlite3.h>

#include "adapters/sqlite/detail/connection.hpp"
#include "core/log.hpp"

namespace wl::detail {

Checkpointer::Checkpointer(std::unique_ptr<Connection> connection, int threshold_pages)
    : connection_(std::move(connection)), threshold_pages_(threshold_pages), thread_([this] { run_thread(); }) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Checkpointer::on_commit(int wal_pages) {
  if (wal_pages >= threshold_pages_) {
    request();
  }
}

void Checkpointer::request() {
  {
    std::lock_guard lock(mutex_);
    requested_ = true;
  }
  wake_.notify_one();
}

void Checkpointer::run_thread() {
  while (true) {
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return requested_ || stopping_; });
      requested_ = false;
      stopping = stopping_;
    }
    // The owner stops the checkpointer after the writer, so a TRUNCATE at the end
    // cannot delay a commit; it leaves an empty WAL behind.
    const int mode = stopping ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE;
    const int result =
        sqlite3_wal_checkpoint_v2(connection_->handle(), nullptr, mode, nullptr, nullptr);
    if (result != SQLITE_OK && result != SQLITE_BUSY) {
      log::get("store")->warn("{}", sqlite_status(result, "checkpoint").to_string());
    }
    if (stopping) {
      return;
    }
  }
}

}  // namespace wl::detail
