// DispatchedBus: publishing returns without calling subscribers; they get every event
// and presence change in publish order on the dispatcher thread; an unsubscribed
// subscriber is never called again; destruction delivers what is queued.

#include "adapters/local_bus/dispatched_bus.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/local_bus/local_bus.hpp"

namespace wl {
namespace {

class Recorder final : public BusSubscriber {
 public:
  void on_event(std::span<const UserId> recipients,
                const std::shared_ptr<const Event>& event) override {
    std::lock_guard lock(mutex_);
    threads_.push_back(std::this_thread::get_id());
    seen_.push_back(event->id.value());
    recipients_.push_back(std::vector<UserId>(recipients.begin(), recipients.end()));
    changed_.notify_all();
  }
  void on_presence(OrgId, UserId user, bool online) override {
    std::lock_guard lock(mutex_);
    seen_.push_back(online ? -user.value() : -1000 - user.value());
    changed_.notify_all();
  }
  // Waits (bounded) for `count` deliveries, and returns what was seen.
  std::vector<std::int64_t> wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(10), [&] { return seen_.size() >= count; });
    return seen_;
  }
  std::vector<std::thread::id> threads() {
    std::lock_guard lock(mutex_);
    return threads_;
  }
  std::vector<std::vector<UserId>> recipients() {
    std::lock_guard lock(mutex_);
    return recipients_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::int64_t> seen_;
  std::vector<std::thread::id> threads_;
  std::vector<std::vector<UserId>> recipients_;
};

std::shared_ptr<const Event> event(std::int64_t id) {
  auto made = std::make_shared<Event>();
  made->id = EventId(id);
  return made;
}

TEST(DispatchedBusTest, DeliversEverythingInPublishOrderOffThePublishingThread) {
  LocalBus inner;
  Recorder recorder;
  DispatchedBus bus(inner);
  bus.subscribe(&recorder);
  std::vector<std::int64_t> expected;
  for (std::int64_t id = 1; id <= 1000; ++id) {
    const UserId recipients[] = {UserId(id), UserId(id + 1)};
    bus.publish(recipients, event(id));
    expected.push_back(id);
    if (id % 100 == 0) {
      bus.publish_presence(OrgId(1), UserId(id), true);
      expected.push_back(-id);
    }
  }
  EXPECT_EQ(recorder.wait_for(expected.size()), expected);
  for (const std::thread::id thread : recorder.threads()) {
    EXPECT_NE(thread, std::this_thread::get_id());
  }
  EXPECT_EQ(recorder.recipients()[41], (std::vector<UserId>{UserId(42), UserId(43)}));
  bus.unsubscribe(&recorder);
}

TEST(DispatchedBusTest, AnUnsubscribedSubscriberHearsNothingMore) {
  LocalBus inner;
  Recorder recorder;
  DispatchedBus bus(inner);
  bus.subscribe(&recorder);
  bus.publish({}, event(1));
  ASSERT_EQ(recorder.wait_for(1).size(), 1u);
  bus.unsubscribe(&recorder);
  bus.publish({}, event(2));
  bus.publish_presence(OrgId(1), UserId(2), false);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(recorder.wait_for(1).size(), 1u);
}

TEST(DispatchedBusTest, DestructionDeliversWhatIsQueued) {
  LocalBus inner;
  Recorder recorder;
  inner.subscribe(&recorder);
  {
    DispatchedBus bus(inner);
    for (std::int64_t id = 1; id <= 500; ++id) {
      bus.publish({}, event(id));
    }
  }
  EXPECT_EQ(recorder.wait_for(500).size(), 500u);
  inner.unsubscribe(&recorder);
}

}  // namespace
}  // namespace wl
