#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ports/clock.hpp"

namespace wl {

// Token buckets keyed by a string (an IP address, "user:42"): each key may take
// `burst` actions at once and `rate_per_second` on average. Thread-safe; the keys are
// spread over shards so callers for different keys rarely contend. Buckets that have
// refilled completely are forgotten, so memory stays proportional to active keys.
class RateLimiter {
 public:
  RateLimiter(const Clock& clock, double rate_per_second, double burst);

  // Takes one token for key. Returns false (taking nothing) if the bucket is empty.
  bool try_acquire(std::string_view key);

 private:
  struct Bucket {
    double tokens = 0;
    Timestamp updated;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Bucket> buckets;
    std::size_t operations = 0;
  };
  static constexpr std::size_t kShards = 16;

  void forget_full_buckets(Shard& shard, Timestamp now);

  const Clock& clock_;
  double rate_per_second_;
  double burst_;
  std::array<Shard, kShards> shards_;
};

}  // namespace wl
