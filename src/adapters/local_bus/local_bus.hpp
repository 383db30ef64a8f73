#pragma once

#include <mutex>
#include <vector>

#include "ports/bus.hpp"

namespace wl {

// The single-node Bus: publish() calls every subscriber in the calling thread.
// Thread-safe; subscribe/unsubscribe are rare and take a lock that publish shares.
class LocalBus final : public Bus {
 public:
  void publish(std::span<const UserId> recipients, std::shared_ptr<const Event> event) override;
  void publish_presence(OrgId org, UserId user, bool online) override;
  void subscribe(BusSubscriber* subscriber) override;
  void unsubscribe(BusSubscriber* subscriber) override;

 private:
  std::mutex mutex_;
  std::vector<BusSubscriber*> subscribers_;  // GUARDED_BY(mutex_)
};

}  // namespace wl
