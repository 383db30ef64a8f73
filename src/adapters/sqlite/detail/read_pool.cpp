#include "adapters/sqlite/detail/read_pool.hpp"

#include <utility>

#include "adapters/sqlite/detail/connection.hpp"

namespace wl::detail {

ReadPool::Lease::~Lease() {
  if (connection_ != nullptr) {
    pool_->release(std::move(connection_));
  }
}

Result<std::unique_ptr<ReadPool>> ReadPool::open(const std::filesystem::path& file,
                                                 std::size_t size,
                                                 std::chrono::milliseconds busy_timeout) {
  std::unique_ptr<ReadPool> pool(new ReadPool());
  const std::size_t count = size == 0 ? 1 : size;
  for (std::size_t i = 0; i < count; ++i) {
    auto connection = WL_TRY(Connection::open(file, OpenMode::kReadOnly, busy_timeout));
    pool->free_.push_back(std::move(connection));
  }
  return pool;
}

ReadPool::~ReadPool() = default;

ReadPool::Lease ReadPool::acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [this] { return !free_.empty(); });
  std::unique_ptr<Connection> connection = std::move(free_.back());
  free_.pop_back();
  return Lease(*this, std::move(connection));
}

void ReadPool::release(std::unique_ptr<Connection> connection) {
  {
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(connection));
  }
  available_.notify_one();
}

}  // namespace wl::detail
