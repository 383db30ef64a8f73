#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ports/clock.hpp"

namespace wl {

// How long a lock lasts after `failures` consecutive failures: `base` at the first
// multiple of `threshold`, doubling at each further multiple, at most `ceiling`; no lock
// between multiples, so the first mistake after a lock ends is only a mistake.
std::optional<std::chrono::microseconds> lock_duration(int failures, int threshold,
                                                       std::chrono::microseconds base,
                                                       std::chrono::microseconds ceiling);

// Consecutive failed sign-ins per key (a username and a source address), in memory:
// at every `threshold`-th failure the key is locked out, as lock_duration() says. A
// success clears the key. So one address guessing at an account locks only itself
// out of it, not the account's owner elsewhere (docs/security.md, "Sign-in
// throttling"). Holds at most `capacity` keys, forgetting the least recently failed;
// the state is per process and starts empty. Thread-safe. Clock must outlive it.
class LoginThrottle {
 public:
  struct Policy {
    int threshold = 5;
    std::chrono::minutes lockout{15};
    std::chrono::hours max_lockout{24};
    std::size_t capacity = 100000;
  };

  LoginThrottle(const Clock& clock, Policy policy) : clock_(clock), policy_(policy) {}
  LoginThrottle(const LoginThrottle&) = delete;
  LoginThrottle& operator=(const LoginThrottle&) = delete;

  // When the key's lock ends, if it is locked now.
  std::optional<Timestamp> locked_until(std::string_view key) const;

  // Counts a failure. Returns the end of the lock this failure started, if it did.
  std::optional<Timestamp> record_failure(std::string_view key);

  void record_success(std::string_view key);

 private:
  struct Entry {
    int failures = 0;
    std::optional<Timestamp> locked_until;
    Timestamp last_failure;
  };

  void forget_stalest();

  const Clock& clock_;
  const Policy policy_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // GUARDED_BY(mutex_)
  std::multimap<Timestamp, std::string> by_time_;   // GUARDED_BY(mutex_): last_failure order.
};

}  // namespace wl
