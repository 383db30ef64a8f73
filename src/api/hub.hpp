#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ports/bus.hpp"

namespace wl::net {
class IoThread;
class WsConnection;
}  // namespace wl::net

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
// Subscribed to the Bus. Thread-safe.
//
// Registrations are kept per io thread (net::IoThread), each registry touched only on
// its own thread: a dispatch posts one task to each io thread that has connections,
// which finds its recipients' sessions there and calls them directly, with no lock
// shared between connections and no post per connection. Per-user connection counts
// (presence, is_online) sit apart, in shards by user id.
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

  // Registers a connected, authenticated session; call on the connection's thread.
  // Publishes presence when the user's first connection arrives.
  void add(OrgId org, UserId user, const std::shared_ptr<net::WsConnection>& connection,
           ClientSession* session);
  // Unregisters, on the connection's thread; publishes presence when the user's last
  // connection leaves.
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
    const net::WsConnection* connection;
    ClientSession* session;  // Valid while registered.
  };
  // The sessions on one io thread.
  struct Registry {
    explicit Registry(net::IoThread& io) : thread(io) {}
    net::IoThread& thread;
    std::atomic<std::size_t> sessions{0};
    std::unordered_map<UserId, std::vector<Entry>> users;  // Only on `thread`.
  };
  // What one dispatch hands each io thread, in this order: users' held read marks,
  // then the event (if any) for `recipients`, or for every user of `org` if it is set.
  struct Delivery {
    std::vector<std::pair<UserId, std::shared_ptr<const LiveBatch>>> batches;
    std::shared_ptr<LiveEvent> event;
    std::vector<UserId> recipients;
    OrgId org;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<UserId, std::size_t> connections;  // GUARDED_BY(mutex)
  };
  static constexpr std::size_t kShards = 32;

  Shard& shard_of(UserId user) { return shards_[std::hash<UserId>{}(user) % kShards]; }
  // The registry of this io thread, made on its first connection.
  Registry& registry_of(net::IoThread& thread);
  // Runs task(registry) on every io thread that has sessions, on that thread.
  void on_every_thread(std::function<void(Registry&)> task);
  // The sessions of `users` in `registry` (on its thread), copied out so that a
  // session may end while they are called.
  static std::vector<ClientSession*> sessions_of(const Registry& registry,
                                                 std::span<const UserId> users);
  // The sessions in `registry` of every user of `org` but `except`, copied out alike.
  static std::vector<ClientSession*> sessions_in(const Registry& registry, OrgId org,
                                                 UserId except = UserId());
  static void deliver(const Registry& registry, const Delivery& delivery);

  // Moves `user`'s held read marks (all users' for take_all_held) into `delivery`.
  // Require held_mutex_.
  void take_held(UserId user, Delivery& delivery);
  void take_all_held(Delivery& delivery);
  // The flusher thread: sends what is held once its window has passed.
  void run_flusher();

  MessagingService& messaging_;
  Bus& bus_;
  std::string instance_id_;
  std::chrono::milliseconds read_window_;
  std::array<Shard, kShards> shards_;

  std::mutex registries_mutex_;
  std::vector<std::unique_ptr<Registry>> registries_;  // GUARDED_BY(registries_mutex_)

  // Taken by the publishing thread around each dispatch and by the flusher, so held
  // marks and the events behind them reach each io thread in commit order.
  std::mutex held_mutex_;
  std::condition_variable held_changed_;
  std::unordered_map<UserId, LiveBatch> held_;      // GUARDED_BY(held_mutex_)
  std::chrono::steady_clock::time_point flush_at_;  // GUARDED_BY(held_mutex_)
  bool stopping_ = false;                           // GUARDED_BY(held_mutex_)
  std::thread flusher_;
};

}  // namespace wl::api
