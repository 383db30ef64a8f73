#include "api/hub.hpp"

#include <boost/json/serialize.hpp>

#include "api/client_session.hpp"
#include "api/json_codec.hpp"
#include "net/server.hpp"
#include "services/messaging/messaging_service.hpp"

namespace wl::api {

LiveEvent::LiveEvent(std::shared_ptr<const Event> event, MessagingService& messaging,
                     std::string instance_id)
    : event_(std::move(event)), messaging_(messaging), instance_id_(std::move(instance_id)) {}

void LiveEvent::render() {
  std::call_once(rendered_, [this] {
    auto opened = messaging_.open_event(*event_);
    if (!opened) {
      return;
    }
    object_ = std::make_shared<const std::string>(boost::json::serialize(event_json(*opened)));
    frame_ = std::make_shared<const std::string>(
        event_frame_text(instance_id_, event_->position(), *object_));
  });
}

std::shared_ptr<const std::string> LiveEvent::frame() {
  render();
  return frame_;
}

std::shared_ptr<const std::string> LiveEvent::object() {
  render();
  return object_;
}

Hub::Hub(MessagingService& messaging, Bus& bus, std::string instance_id,
         std::chrono::milliseconds read_window)
    : messaging_(messaging),
      bus_(bus),
      instance_id_(std::move(instance_id)),
      read_window_(read_window),
      flusher_([this] { run_flusher(); }) {
  bus_.subscribe(this);
}

Hub::~Hub() {
  bus_.unsubscribe(this);
  {
    std::lock_guard lock(held_mutex_);
    stopping_ = true;
  }
  held_changed_.notify_one();
  flusher_.join();
}

void Hub::add(OrgId org, UserId user, const std::shared_ptr<net::WsConnection>& connection,
              ClientSession* session) {
  Registry& registry = registry_of(connection->io_thread());
  registry.users[user].push_back(Entry{org, connection.get(), session});
  ++registry.sessions;
  bool first = false;
  {
    Shard& shard = shard_of(user);
    std::lock_guard lock(shard.mutex);
    first = shard.connections[user]++ == 0;
  }
  if (first) {
    bus_.publish_presence(org, user, true);
  }
}

void Hub::remove(OrgId org, UserId user, const net::WsConnection* connection) {
  Registry& registry = registry_of(connection->io_thread());
  auto found = registry.users.find(user);
  if (found == registry.users.end() || std::erase_if(found->second, [&](const Entry& entry) {
                                         return entry.connection == connection;
                                       }) == 0) {
    return;
  }
  if (found->second.empty()) {
    registry.users.erase(found);
  }
  --registry.sessions;
  bool last = false;
  {
    Shard& shard = shard_of(user);
    std::lock_guard lock(shard.mutex);
    auto counted = shard.connections.find(user);
    if (counted != shard.connections.end() && --counted->second == 0) {
      shard.connections.erase(counted);
      last = true;
    }
  }
  if (last) {
    bus_.publish_presence(org, user, false);
  }
}

Hub::Registry& Hub::registry_of(net::IoThread& thread) {
  std::lock_guard lock(registries_mutex_);
  for (const auto& registry : registries_) {
    if (&registry->thread == &thread) {
      return *registry;
    }
  }
  return *registries_.emplace_back(std::make_unique<Registry>(thread));
}

void Hub::on_every_thread(std::function<void(Registry&)> task) {
  std::vector<Registry*> active;
  {
    std::lock_guard lock(registries_mutex_);
    for (const auto& registry : registries_) {
      if (registry->sessions.load() > 0) {
        active.push_back(registry.get());
      }
    }
  }
  if (active.empty()) {
    return;
  }
  auto shared = std::make_shared<const std::function<void(Registry&)>>(std::move(task));
  for (Registry* registry : active) {
    registry->thread.post([registry, shared] { (*shared)(*registry); });
  }
}

std::vector<ClientSession*> Hub::sessions_of(const Registry& registry,
                                             std::span<const UserId> users) {
  std::vector<ClientSession*> sessions;
  for (const UserId user : users) {
    if (auto found = registry.users.find(user); found != registry.users.end()) {
      for (const Entry& entry : found->second) {
        sessions.push_back(entry.session);
      }
    }
  }
  return sessions;
}

std::vector<ClientSession*> Hub::sessions_in(const Registry& registry, OrgId org, UserId except) {
  std::vector<ClientSession*> sessions;
  for (const auto& [user, entries] : registry.users) {
    if (user == except) {
      continue;
    }
    for (const Entry& entry : entries) {
      if (entry.org == org) {
        sessions.push_back(entry.session);
      }
    }
  }
  return sessions;
}

void Hub::notify(std::span<const UserId> users, const std::shared_ptr<const std::string>& frame) {
  on_every_thread(
      [users = std::vector<UserId>(users.begin(), users.end()), frame](Registry& registry) {
        for (ClientSession* session : sessions_of(registry, users)) {
          session->send_droppable(frame);
        }
      });
}

void Hub::sweep() {
  on_every_thread([](Registry& registry) {
    std::vector<ClientSession*> sessions;
    for (const auto& [user, entries] : registry.users) {
      for (const Entry& entry : entries) {
        sessions.push_back(entry.session);
      }
    }
    for (ClientSession* session : sessions) {
      session->check_session();
    }
  });
}

void Hub::recheck(UserId user) {
  on_every_thread([user](Registry& registry) {
    for (ClientSession* session : sessions_of(registry, std::span<const UserId>(&user, 1))) {
      session->check_session();
    }
  });
}

bool Hub::is_online(UserId user) {
  Shard& shard = shard_of(user);
  std::lock_guard lock(shard.mutex);
  return shard.connections.contains(user);
}

std::size_t Hub::connection_count() {
  std::lock_guard lock(registries_mutex_);
  std::size_t count = 0;
  for (const auto& registry : registries_) {
    count += registry->sessions.load();
  }
  return count;
}

void Hub::on_event(std::span<const UserId> recipients, const std::shared_ptr<const Event>& event) {
  auto live = std::make_shared<LiveEvent>(event, messaging_, instance_id_);
  std::lock_guard lock(held_mutex_);
  if (event->kind == EventKind::kRead && read_window_.count() > 0) {
    if (held_.empty() && !recipients.empty()) {
      flush_at_ = std::chrono::steady_clock::now() + read_window_;
      held_changed_.notify_one();
    }
    for (const UserId user : recipients) {
      held_[user].push_back(live);
    }
    return;
  }
  auto delivery = std::make_shared<Delivery>();
  // An org event names no recipients: it is every user of the org (CommittedEvent).
  if (event->scope == EventScope::kOrg) {
    delivery->org = event->org_id;
    take_all_held(*delivery);
  } else {
    delivery->recipients.assign(recipients.begin(), recipients.end());
    for (const UserId user : recipients) {
      take_held(user, *delivery);
    }
  }
  delivery->event = std::move(live);
  on_every_thread([delivery](Registry& registry) { deliver(registry, *delivery); });
}

void Hub::deliver(const Registry& registry, const Delivery& delivery) {
  for (const auto& [user, batch] : delivery.batches) {
    for (ClientSession* session : sessions_of(registry, std::span<const UserId>(&user, 1))) {
      session->on_live_batch(*batch);
    }
  }
  if (!delivery.event) {
    return;
  }
  const std::vector<ClientSession*> sessions = delivery.org.is_set()
                                                   ? sessions_in(registry, delivery.org)
                                                   : sessions_of(registry, delivery.recipients);
  for (ClientSession* session : sessions) {
    session->on_live_event(delivery.event);
  }
}

void Hub::take_held(UserId user, Delivery& delivery) {
  auto found = held_.find(user);
  if (found == held_.end()) {
    return;
  }
  delivery.batches.emplace_back(user, std::make_shared<const LiveBatch>(std::move(found->second)));
  held_.erase(found);
}

void Hub::take_all_held(Delivery& delivery) {
  for (auto& [user, batch] : held_) {
    delivery.batches.emplace_back(user, std::make_shared<const LiveBatch>(std::move(batch)));
  }
  held_.clear();
}

void Hub::run_flusher() {
  std::unique_lock lock(held_mutex_);
  while (!stopping_) {
    if (held_.empty()) {
      held_changed_.wait(lock);
      continue;
    }
    held_changed_.wait_until(lock, flush_at_);
    // Woken early, or the marks were taken meanwhile by an event sent to their users.
    if (!held_.empty() && std::chrono::steady_clock::now() >= flush_at_) {
      auto delivery = std::make_shared<Delivery>();
      take_all_held(*delivery);
      on_every_thread([delivery](Registry& registry) { deliver(registry, *delivery); });
    }
  }
}

void Hub::on_presence(OrgId org, UserId user, bool online) {
  boost::json::object object;
  object["type"] = "presence";
  object["user_id"] = user.value();
  object["online"] = online;
  auto frame = std::make_shared<const std::string>(boost::json::serialize(object));
  on_every_thread([org, user, frame](Registry& registry) {
    for (ClientSession* session : sessions_in(registry, org, user)) {
      session->send_droppable(frame);
    }
  });
}

}  // namespace wl::api
