#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace wl::net::detail {

// Counts open connections and TLS handshakes in progress, in all and per peer
// address, against caps (0 = no cap). Thread-safe: one mutex, taken once when a
// connection opens, once when it closes and twice per handshake, never per message.
// Must outlive every Slot it hands out.
class ConnectionCounter {
 public:
  enum class Kind { kConnection, kHandshake };

  // One counted connection or handshake; releases its count when destroyed. Move-only.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }

    bool is_held() const { return counter_ != nullptr; }
    void release();

   private:
    friend class ConnectionCounter;
    Slot(ConnectionCounter* counter, Kind kind, std::string address)
        : counter_(counter), kind_(kind), address_(std::move(address)) {}

    ConnectionCounter* counter_ = nullptr;
    Kind kind_ = Kind::kConnection;
    std::string address_;
  };

  struct Caps {
    std::size_t total = 0;
    std::size_t per_address = 0;
  };

  ConnectionCounter(Caps connections, Caps handshakes)
      : connection_caps_(connections), handshake_caps_(handshakes) {}
  ConnectionCounter(const ConnectionCounter&) = delete;
  ConnectionCounter& operator=(const ConnectionCounter&) = delete;

  // A slot of `kind` for `address`, or nullopt (counting nothing) when that would pass
  // the total or the per-address cap.
  std::optional<Slot> try_acquire(Kind kind, const std::string& address);

  std::size_t count(Kind kind) const;

 private:
  struct Counts {
    std::size_t connections = 0;
    std::size_t handshakes = 0;
  };

  void release(Kind kind, const std::string& address);

  const Caps connection_caps_;
  const Caps handshake_caps_;
  mutable std::mutex mutex_;
  Counts totals_;                                       // GUARDED_BY(mutex_)
  std::unordered_map<std::string, Counts> by_address_;  // GUARDED_BY(mutex_)
};

}  // namespace wl::net::detail
