#include "services/identity/login_throttle.hpp"

#include <algorithm>

namespace wl {

std::optional<std::chrono::microseconds> lock_duration(int failures, int threshold,
                                                       std::chrono::microseconds base,
                                                       std::chrono::microseconds ceiling) {
  if (threshold <= 0 || failures <= 0 || failures % threshold != 0) {
    return std::nullopt;
  }
  std::chrono::microseconds duration = base;
  for (int lock = failures / threshold; lock > 1 && duration < ceiling; --lock) {
    duration *= 2;
  }
  return std::min(duration, ceiling);
}

std::optional<Timestamp> LoginThrottle::locked_until(std::string_view key) const {
  std::lock_guard lock(mutex_);
  const auto found = entries_.find(std::string(key));
  if (found == entries_.end() || !found->second.locked_until ||
      *found->second.locked_until <= clock_.now()) {
    return std::nullopt;
  }
  return found->second.locked_until;
}

std::optional<Timestamp> LoginThrottle::record_failure(std::string_view key) {
  const Timestamp now = clock_.now();
  std::lock_guard lock(mutex_);
  auto [found, inserted] = entries_.try_emplace(std::string(key));
  Entry& entry = found->second;
  if (!inserted) {
    // Invariant: by_time_ holds exactly one item per entry, at its last_failure.
    auto [first, last] = by_time_.equal_range(entry.last_failure);
    by_time_.erase(std::find_if(first, last, [&](const auto& item) { return item.second == key; }));
  }
  entry.last_failure = now;
  by_time_.emplace(now, found->first);
  ++entry.failures;
  const auto duration =
      lock_duration(entry.failures, policy_.threshold, policy_.lockout, policy_.max_lockout);
  if (duration) {
    entry.locked_until = now + *duration;
  }
  const std::optional<Timestamp> started =
      duration ? entry.locked_until : std::optional<Timestamp>();
  if (entries_.size() > policy_.capacity) {
    forget_stalest();
  }
  return started;
}

void LoginThrottle::record_success(std::string_view key) {
  std::lock_guard lock(mutex_);
  const auto found = entries_.find(std::string(key));
  if (found == entries_.end()) {
    return;
  }
  auto [first, last] = by_time_.equal_range(found->second.last_failure);
  by_time_.erase(std::find_if(first, last, [&](const auto& item) { return item.second == key; }));
  entries_.erase(found);
}

void LoginThrottle::forget_stalest() {
  const auto stalest = by_time_.begin();
  entries_.erase(stalest->second);
  by_time_.erase(stalest);
}

}  // namespace wl
