#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace wl::detail {

class Connection;

// Runs WAL checkpoints off the writer's path. The writer connection has automatic
// checkpoints off; its WAL hook calls on_commit() after each commit, and once the WAL
// has grown past a threshold
// and this thread runs a PASSIVE checkpoint on its own connection (PASSIVE never
// waits for the writer or readers, so commits are not delayed). The destructor runs a
// final TRUNCATE checkpoint, when no writes are pending, and joins.
// Thread-safe.
class Checkpointer {
 public:
  // Checkpoints once the WAL holds at least `threshold_pages` pages.
  Checkpointer(std::unique_ptr<Connection> connection, int threshold_pages);
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;
  ~Checkpointer();

  // Called after a commit with the WAL's size in pages; asks for a checkpoint when it
  // is over the threshold. Cheap and non-blocking: safe inside a WAL hook.
  void on_commit(int wal_pages);
  // Asks for a checkpoint soon.
  void request();

 private:
  void run_thread();

  std::unique_ptr<Connection> connection_;  // Used only by the checkpointer thread.
  int threshold_pages_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;  // Guarded by mutex_.
  bool stopping_ = false;   // Guarded by mutex_.
  std::thread thread_;
};

}  // namespace wl::detail
