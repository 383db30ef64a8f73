#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace wl {

// Argon2id password hashing (libsodium crypto_pwhash_str). Thread-safe. Hashing and
// verifying block for tens of milliseconds by design: never call on an io thread.
class PasswordHasher {
 public:
  enum class Strength {
    kInteractive,  // libsodium's interactive limits (64 MiB, 2 passes): production.
    kMinimum,      // libsodium's minimum limits: tests and the load generator only.
  };

  explicit PasswordHasher(Strength strength = Strength::kInteractive);

  // Returns the encoded hash ($argon2id$...). Errors: ResourceExhausted if memory
  // could not be had.
  Result<std::string> hash(std::string_view password) const;

  // True if password matches encoded_hash. A malformed hash does not match.
  bool verify(std::string_view encoded_hash, std::string_view password) const;

  // How many times verify() has run (tests check that every refusal costs one).
  std::uint64_t verifications_for_test() const { return verifications_.load(); }

 private:
  mutable std::atomic<std::uint64_t> verifications_{0};
  unsigned long long operations_;
  std::size_t memory_;
};

}  // namespace wl
