#include "net/detail/connection_counter.hpp"

#include <utility>

namespace wl::net::detail {
namespace {

auto& field(auto& counts, ConnectionCounter::Kind kind) {
  return kind == ConnectionCounter::Kind::kConnection ? counts.connections : counts.handshakes;
}

bool is_within(std::size_t count, std::size_t cap) { return cap == 0 || count < cap; }

}  // namespace

ConnectionCounter::Slot::Slot(Slot&& other) noexcept
    : counter_(std::exchange(other.counter_, nullptr)),
      kind_(other.kind_),
      address_(std::move(other.address_)) {}

ConnectionCounter::Slot& ConnectionCounter::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    counter_ = std::exchange(other.counter_, nullptr);
    kind_ = other.kind_;
    address_ = std::move(other.address_);
  }
  return *this;
}

void ConnectionCounter::Slot::release() {
  if (counter_ != nullptr) {
    std::exchange(counter_, nullptr)->release(kind_, address_);
  }
}

std::optional<ConnectionCounter::Slot> ConnectionCounter::try_acquire(Kind kind,
                                                                      const std::string& address) {
  const Caps& caps = kind == Kind::kConnection ? connection_caps_ : handshake_caps_;
  std::lock_guard lock(mutex_);
  std::size_t& total = field(totals_, kind);
  if (!is_within(total, caps.total)) {
    return std::nullopt;
  }
  Counts& counts = by_address_[address];
  std::size_t& mine = field(counts, kind);
  if (!is_within(mine, caps.per_address)) {
    if (counts.connections == 0 && counts.handshakes == 0) {
      by_address_.erase(address);
    }
    return std::nullopt;
  }
  ++total;
  ++mine;
  return Slot(this, kind, address);
}

std::size_t ConnectionCounter::count(Kind kind) const {
  std::lock_guard lock(mutex_);
  return field(totals_, kind);
}

void ConnectionCounter::release(Kind kind, const std::string& address) {
  std::lock_guard lock(mutex_);
  --field(totals_, kind);
  const auto found = by_address_.find(address);
  if (found == by_address_.end()) {
    return;
  }
  --field(found->second, kind);
  if (found->second.connections == 0 && found->second.handshakes == 0) {
    by_address_.erase(found);  // The map holds only addresses with something open.
  }
}

}  // namespace wl::net::detail
