#pragma once

// What both store adapters' writers count for StoreStats (ports/store_stats.hpp):
// committed batches and the rows they wrote. Written by the writer thread once per
// committed batch, read by any thread; relaxed, since a reading is only ever compared
// with another taken seconds apart. Internal to the adapters.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace wl::detail {

class WriterCounters {
 public:
  // A batch committed, having changed `rows` rows; its COMMIT (the durable flush) took
  // `commit_time`. Writer thread only.
  void add_commit(std::uint64_t rows, std::chrono::microseconds commit_time) {
    commits_.fetch_add(1, std::memory_order_relaxed);
    rows_.fetch_add(rows, std::memory_order_relaxed);
    commit_micros_.fetch_add(static_cast<std::uint64_t>(commit_time.count()),
                             std::memory_order_relaxed);
  }

  std::uint64_t commits() const { return commits_.load(std::memory_order_relaxed); }
  std::uint64_t rows() const { return rows_.load(std::memory_order_relaxed); }
  std::uint64_t commit_micros() const { return commit_micros_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> rows_{0};
  std::atomic<std::uint64_t> commit_micros_{0};
};

}  // namespace wl::detail
