#pragma once

#include <chrono>
#include <cstdint>
#include <utility>

namespace wl::net::detail {

// For warnings a peer can cause at will: reports the first occurrence, then at most
// one per interval with the count since the last report. One thread only.
class ThrottledWarning {
 public:
  explicit ThrottledWarning(std::chrono::seconds interval = std::chrono::seconds(10))
      : interval_(interval) {}

  // Counts one occurrence. Returns how many to report now (this one and those held
  // back since the last report), or 0 to stay quiet.
  std::uint64_t note() {
    ++pending_;
    const auto now = std::chrono::steady_clock::now();
    if (has_reported_ && now - last_report_ < interval_) {
      return 0;
    }
    has_reported_ = true;
    last_report_ = now;
    return std::exchange(pending_, 0);
  }

 private:
  std::chrono::seconds interval_;
  std::chrono::steady_clock::time_point last_report_;
  bool has_reported_ = false;
  std::uint64_t pending_ = 0;
};

}  // namespace wl::net::detail
