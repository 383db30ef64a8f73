#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <string>
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

// A committed event on its way to recipients' connections. The JSON frame is rendered
// (body opened, serialised) once, by the first connection thread that needs it, and
// shared by all. Thread-safe.
class LiveEvent {
 public:
  LiveEvent(std::shared_ptr<const Event> event, MessagingService& messaging,
            std::string instance_id);

  const Event& event() const { return *event_; }
  // The frame, or nullptr if the event could not be opened (the recipient will read
  // it from the store instead).
  std::shared_ptr<const std::string> frame();

 private:
  std::shared_ptr<const Event> event_;
  MessagingService& messaging_;
  std::string instance_id_;
  std::once_flag rendered_;
  std::shared_ptr<const std::string> frame_;
};

// Knows which connections belong to which user and wakes them when events commit.
// Subscribed to the Bus. Registrations are spread over shards by user id, so
// connections of different users rarely share a lock; each lock is held only to copy
// out the targets. Thread-safe.
class Hub final : public BusSubscriber {
 public:
  Hub(MessagingService& messaging, Bus& bus, std::string instance_id);
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

  MessagingService& messaging_;
  Bus& bus_;
  std::string instance_id_;
  std::array<Shard, kShards> shards_;
};

}  // namespace wl::api
