#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace wl::detail::pg {

class PgConnection;

// A fixed set of connections for reads. Thread-safe; acquire() blocks while every
// connection is leased. A lease whose connection was lost reconnects it first.
class ReadPool {
 public:
  // A leased connection, returned to the pool on destruction. Must not outlive the pool.
  class Lease {
   public:
    Lease(ReadPool& pool, std::unique_ptr<PgConnection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    PgConnection& connection() { return *connection_; }

   private:
    ReadPool* pool_;
    std::unique_ptr<PgConnection> connection_;
  };

  // Opens `size` connections (at least one). Errors: Unavailable if one cannot be opened.
  [[nodiscard]] static Result<std::unique_ptr<ReadPool>> open(const std::string& conninfo,
                                                              std::size_t size);

  ReadPool(const ReadPool&) = delete;
  ReadPool& operator=(const ReadPool&) = delete;
  ~ReadPool();

  // Blocks until a connection is free.
  Lease acquire();

 private:
  ReadPool() = default;
  void release(std::unique_ptr<PgConnection> connection);

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<PgConnection>> free_;  // Guarded by mutex_.
};

}  // namespace wl::detail::pg
