#include "services/identity/rate_limiter.hpp"

#include <algorithm>
#include <functional>

namespace wl {

RateLimiter::RateLimiter(const Clock& clock, double rate_per_second, double burst)
    : clock_(clock), rate_per_second_(rate_per_second), burst_(burst) {}

bool RateLimiter::try_acquire(std::string_view key) {
  Shard& shard = shards_[std::hash<std::string_view>{}(key) % kShards];
  const Timestamp now = clock_.now();
  std::lock_guard lock(shard.mutex);
  if (++shard.operations % 1024 == 0) {
    forget_full_buckets(shard, now);
  }
  auto [it, inserted] = shard.buckets.try_emplace(std::string(key), Bucket{burst_, now});
  Bucket& bucket = it->second;
  if (!inserted) {
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(burst_, bucket.tokens + std::max(0.0, elapsed) * rate_per_second_);
    bucket.updated = now;
  }
  if (bucket.tokens < 1.0) {
    return false;
  }
  bucket.tokens -= 1.0;
  return true;
}

void RateLimiter::forget_full_buckets(Shard& shard, Timestamp now) {
  std::erase_if(shard.buckets, [&](const auto& entry) {
    const double elapsed = std::chrono::duration<double>(now - entry.second.updated).count();
    return entry.second.tokens + elapsed * rate_per_second_ >= burst_;
  });
}

}  // namespace wl
