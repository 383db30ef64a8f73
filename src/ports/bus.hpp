#pragma once

#include <memory>
#include <span>
#include <vector>

#include "core/ids.hpp"
#include "ports/records.hpp"
#include "ports/write.hpp"

namespace wl {

/// Something that learns of committed events. api's Hub implements it and wakes the
/// recipients' connections.
class BusSubscriber {
 public:
  virtual ~BusSubscriber() = default;
  /// `recipients` should learn of `event`. Called in commit order per publisher; must
  /// not block.
  virtual void on_event(std::span<const UserId> recipients,
                        const std::shared_ptr<const Event>& event) = 0;
  /// A user's presence changed (online = has at least one connected device).
  virtual void on_presence(OrgId org, UserId user, bool online) = 0;
};

/// Fan-out of committed events to every node's subscribers. The local adapter calls
/// subscribers in-process; the NATS adapter (scale-out) crosses nodes. Thread-safe.
class Bus {
 public:
  virtual ~Bus() = default;
  virtual void publish(std::span<const UserId> recipients, std::shared_ptr<const Event> event) = 0;
  virtual void publish_presence(OrgId org, UserId user, bool online) = 0;
  /// The subscriber must outlive the bus or unsubscribe first.
  virtual void subscribe(BusSubscriber* subscriber) = 0;
  virtual void unsubscribe(BusSubscriber* subscriber) = 0;
};

/// A CommitHook that publishes each committed event to its recipients on the bus.
inline CommitHook publish_to(Bus& bus) {
  return [&bus](std::span<const CommittedEvent> events) {
    for (const CommittedEvent& committed : events) {
      bus.publish(committed.recipients, std::make_shared<const Event>(committed.event));
    }
  };
}

}  // namespace wl
