#include "adapters/local_bus/dispatched_bus.hpp"

#include <utility>

#include "core/thread_name.hpp"

namespace wl {

DispatchedBus::DispatchedBus(Bus& inner)
    : inner_(inner), thread_([this] {
        name_this_thread("wl-dispatch");
        run();
      }) {}

DispatchedBus::~DispatchedBus() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_one();
  thread_.join();
}

void DispatchedBus::publish(std::span<const UserId> recipients,
                            std::shared_ptr<const Event> event) {
  push(Item{std::vector<UserId>(recipients.begin(), recipients.end()), std::move(event), OrgId(),
            UserId(), false});
}

void DispatchedBus::publish_presence(OrgId org, UserId user, bool online) {
  push(Item{{}, nullptr, org, user, online});
}

void DispatchedBus::subscribe(BusSubscriber* subscriber) { inner_.subscribe(subscriber); }

void DispatchedBus::unsubscribe(BusSubscriber* subscriber) { inner_.unsubscribe(subscriber); }

void DispatchedBus::push(Item item) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(item));
  }
  queued_.notify_one();
}

void DispatchedBus::run() {
  std::deque<Item> taken;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // Stopping, and everything queued was delivered.
      }
      taken.swap(queue_);
    }
    for (Item& item : taken) {
      if (item.event) {
        inner_.publish(item.recipients, std::move(item.event));
      } else {
        inner_.publish_presence(item.org, item.user, item.online);
      }
    }
    taken.clear();
  }
}

}  // namespace wl
