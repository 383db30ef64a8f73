#include "adapters/postgres/detail/read_pool.hpp"

#include <utility>

#include "adapters/postgres/detail/connection.hpp"

namespace wl::detail::pg {

ReadPool::Lease::~Lease() { pool_->release(std::move(connection_)); }

Result<std::unique_ptr<ReadPool>> ReadPool::open(const std::string& conninfo, std::size_t size) {
  std::unique_ptr<ReadPool> pool(new ReadPool());
  for (std::size_t i = 0; i < (size == 0 ? 1 : size); ++i) {
    pool->free_.push_back(WL_TRY(PgConnection::open(conninfo)));
  }
  return pool;
}

ReadPool::~ReadPool() = default;

ReadPool::Lease ReadPool::acquire() {
  std::unique_ptr<PgConnection> connection;
  {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [this] { return !free_.empty(); });
    connection = std::move(free_.back());
    free_.pop_back();
  }
  if (!connection->is_healthy()) {
    // If the server is still away, the read fails with Unavailable.
    (void)connection->reconnect();
  }
  return Lease(*this, std::move(connection));
}

void ReadPool::release(std::unique_ptr<PgConnection> connection) {
  {
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(connection));
  }
  available_.notify_one();
}

}  // namespace wl::detail::pg
