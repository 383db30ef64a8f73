#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ports/bus.hpp"

namespace wl {

// A Bus whose publish() only queues: one dispatcher thread ("wl-dispatch") hands each
// event, in publish order, to the inner bus and so to its subscribers. The store's
// commit hook publishes, so fan-out (finding the recipients' connections, posting to
// them) no longer runs on the store's writer thread, and presence changes no longer
// wait on it from io threads. Thread-safe.
//
// The queue is not bounded by count: every entry is an event already durable (a
// bounded number per commit) or a presence change (one per connect or disconnect),
// and the dispatcher does no I/O. Destruction delivers what is queued, then stops.
class DispatchedBus final : public Bus {
 public:
  explicit DispatchedBus(Bus& inner);
  ~DispatchedBus() override;
  DispatchedBus(const DispatchedBus&) = delete;
  DispatchedBus& operator=(const DispatchedBus&) = delete;

  void publish(std::span<const UserId> recipients, std::shared_ptr<const Event> event) override;
  void publish_presence(OrgId org, UserId user, bool online) override;
  // Forwarded to the inner bus, which waits for a delivery in progress to the
  // subscriber before it returns.
  void subscribe(BusSubscriber* subscriber) override;
  void unsubscribe(BusSubscriber* subscriber) override;

 private:
  struct Item {
    std::vector<UserId> recipients;
    std::shared_ptr<const Event> event;  // Null: a presence change.
    OrgId org;
    UserId user;
    bool online = false;
  };

  void push(Item item);
  void run();

  Bus& inner_;
  std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<Item> queue_;  // GUARDED_BY(mutex_)
  bool stopping_ = false;   // GUARDED_BY(mutex_)
  std::thread thread_;
};

}  // namespace wl
