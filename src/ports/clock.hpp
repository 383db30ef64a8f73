#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

#include "core/time.hpp"

namespace wl {

/// The source of time for every time-dependent rule (session expiry, lockout,
/// receipts, audit). Tests inject a ManualClock and never sleep.
/// Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp now() const override {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
  }
};

/// The system clock, moved forward by an offset that a test sets on a running server
/// (`wardline serve --test-clock-file`, docs/operations.md). Thread-safe.
class ShiftedClock final : public Clock {
 public:
  Timestamp now() const override {
    return system_.now() + std::chrono::microseconds(offset_micros_.load());
  }
  void set_offset(std::chrono::microseconds offset) { offset_micros_.store(offset.count()); }

 private:
  SystemClock system_;
  std::atomic<std::int64_t> offset_micros_{0};
};

/// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : now_(start) {}

  Timestamp now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void advance(std::chrono::microseconds by) {
    std::lock_guard lock(mutex_);
    now_ += by;
  }

 private:
  mutable std::mutex mutex_;
  Timestamp now_;
};

}  // namespace wl
