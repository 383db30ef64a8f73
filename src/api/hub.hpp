#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ports/bus.hpp"

namespace wl::net {
class WsConnection;
}

namespace wl {
class MessagingService;
}

namespace wl::api {

class ClientSession;

// A committed event on its way to recipients' connections. Its JSON (body opened,
// serialised) is rendered once, by the first connection thread that needs it, and
// shared by all. Thread-safe.
class LiveEvent {
 public:
  LiveEvent(std::shared_ptr<const Event> event, MessagingService& messaging,
            std::string instance_id);

  const Event& event() const { return *event_; }
  // The "event" frame, or nullptr if the event could not be opened (the recipient
  // will read it from the store instead).
  std::shared_ptr<const std::string> frame();
  // The event object alone, for an "events" frame; nullptr as for frame().
  std::shared_ptr<const std::string> object();

 private:
  void render();

  std::shared_ptr<const Event> event_;
  MessagingService& messaging_;
  std::string instance_id_;
  std::once_flag rendered_;
  std::shared_ptr<const std::string> object_;
  std::shared_ptr<const std::string> frame_;
};

// Read marks held for one user, in commit order; sent as one "events" frame.
using LiveBatch = std::vector<std::shared_ptr<LiveEvent>>;

// Knows which connections belong to which user and wakes them when events commit.
// Subscribed to the Bus. Registrations are spread over shards by user id, so
// connections of different users rarely share a lock; each lock is held only to copy
// out the targets. Thread-safe.
//
// Read marks are coalesced (docs/protocol.md, "Receipts"): a read event is held per
// recipient for up to `read_window`, and each recipient's held marks go out together,
// as one "events" frame per connection. They go out earlier, in front of it, when any
// other event for that recipient is dispatched, so every connection still receives
// events in commit order and its cursor never passes an event it was not sent. In a
// group where every member reads a message, each member gets one frame per window
// instead of one per reader. A read_window of 0 sends each mark at once, as an "event".
class Hub final : public BusSubscriber {
 public:
  static constexpr std::chrono::milliseconds kReadWindow{100};

  Hub(MessagingService& messaging, Bus& bus, std::string instance_id,
      std::chrono::milliseconds read_window = kReadWindow);
  ~Hub() override;

  // Registers a connected, authenticated session. Publishes presence when the user's
  // first connection arrives.
  void add(OrgId org, UserId user, const std::shared_ptr<net::WsConnection>& connection,
           ClientSession* session);
  // Unregisters; publishes presence when the user's last connection leaves.
  void remove(OrgId org, UserId user, const net::WsConnection* connection);

  // Sends a droppable frame (typing) to the users' connections.
  void notify(std::span<const UserId> users, const std::shared_ptr<const std::string>& frame);

  // Asks every session to re-check its login session (automatic logoff, revoked
  // devices). Called periodically by the server.
  void sweep();
  // Asks the user's sessions to re-check their login session now: one was locked or
  // unlocked over HTTPS.
  void recheck(UserId user);

  bool is_online(UserId user);
  std::size_t connection_count();

  void on_event(std::span<const UserId> recipients,
                const std::shared_ptr<const Event>& event) override;
  void on_presence(OrgId org, UserId user, bool online) override;

 private:
  struct Entry {
    OrgId org;
    std::shared_ptr<net::WsConnection> connection;
    ClientSession* session;  // Valid while the connection is open; used only on its thread.
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<UserId, std::vector<Entry>> users;  // GUARDED_BY(mutex)
  };
  static constexpr std::size_t kShards = 32;

  Shard& shard_of(UserId user) { return shards_[std::hash<UserId>{}(user) % kShards]; }
  // The connections of these users, copied out of their shards.
  std::vector<Entry> connections_of(std::span<const UserId> users);
  // Every connection of the org's users, but `except`'s.
  std::vector<Entry> connections_in(OrgId org, UserId except = UserId());

  // Sends `user`'s held read marks to their connections and forgets them. Requires
  // held_mutex_.
  void flush_held(UserId user);
  void flush_all_held();
  // The flusher thread: sends what is held once its window has passed.
  void run_flusher();

  MessagingService& messaging_;
  Bus& bus_;
  std::string instance_id_;
  std::chrono::milliseconds read_window_;
  std::array<Shard, kShards> shards_;

  // Taken by the publishing thread around each dispatch and by the flusher, so held
  // marks and the events behind them reach a connection in commit order.
  std::mutex held_mutex_;
  std::condition_variable held_changed_;
  std::unordered_map<UserId, LiveBatch> held_;      // GUARDED_BY(held_mutex_)
  std::chrono::steady_clock::time_point flush_at_;  // GUARDED_BY(held_mutex_)
  bool stopping_ = false;                           // GUARDED_BY(held_mutex_)
  std::thread flusher_;
};

}  // namespace wl::api
