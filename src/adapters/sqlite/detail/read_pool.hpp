#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "core/status.hpp"

namespace wl::detail {

class Connection;

// A fixed set of read-only connections to one WAL database. WAL lets them read a
// committed snapshot while the writer writes. Thread-safe; acquire() blocks while
// every connection is leased.
class ReadPool {
 public:
  // A leased connection, returned to the pool on destruction. Must not outlive the pool.
  class Lease {
   public:
    Lease(ReadPool& pool, std::unique_ptr<Connection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    Connection& connection() { return *connection_; }

   private:
    ReadPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  // Opens `size` read-only connections (at least one). The database must exist and be
  // in WAL mode. Errors: Unavailable if a connection cannot be opened.
  [[nodiscard]] static Result<std::unique_ptr<ReadPool>> open(
      const std::filesystem::path& file, std::size_t size, std::chrono::milliseconds busy_timeout);

  ReadPool(const ReadPool&) = delete;
  ReadPool& operator=(const ReadPool&) = delete;
  ~ReadPool();

  // Blocks until a connection is free.
  Lease acquire();

 private:
  ReadPool() = default;
  void release(std::unique_ptr<Connection> connection);

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> free_;  // Guarded by mutex_.
};

}  // namespace wl::detail
