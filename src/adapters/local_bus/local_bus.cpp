#include "adapters/local_bus/local_bus.hpp"

#include <algorithm>

namespace wl {

void LocalBus::publish(std::span<const UserId> recipients, std::shared_ptr<const Event> event) {
  std::lock_guard lock(mutex_);
  for (BusSubscriber* subscriber : subscribers_) {
    subscriber->on_event(recipients, event);
  }
}

void LocalBus::publish_presence(OrgId org, UserId user, bool online) {
  std::lock_guard lock(mutex_);
  for (BusSubscriber* subscriber : subscribers_) {
    subscriber->on_presence(org, user, online);
  }
}

void LocalBus::subscribe(BusSubscriber* subscriber) {
  std::lock_guard lock(mutex_);
  subscribers_.push_back(subscriber);
}

void LocalBus::unsubscribe(BusSubscriber* subscriber) {
  std::lock_guard lock(mutex_);
  std::erase(subscribers_, subscriber);
}

}  // namespace wl
