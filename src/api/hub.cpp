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
    boost::json::object event = event_json(*opened);
    object_ = std::make_shared<const std::string>(boost::json::serialize(event));
    boost::json::object frame;
    frame["type"] = "event";
    frame["cursor"] = encode_cursor(instance_id_, event_->position());
    frame["event"] = std::move(event);
    frame_ = std::make_shared<const std::string>(boost::json::serialize(frame));
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
  bool first = false;
  {
    Shard& shard = shard_of(user);
    std::lock_guard lock(shard.mutex);
    auto& entries = shard.users[user];
    first = entries.empty();
    entries.push_back(Entry{org, connection, session});
  }
  if (first) {
    bus_.publish_presence(org, user, true);
  }
}

void Hub::remove(OrgId org, UserId user, const net::WsConnection* connection) {
  bool last = false;
  {
    Shard& shard = shard_of(user);
    std::lock_guard lock(shard.mutex);
    auto found = shard.users.find(user);
    if (found == shard.users.end()) {
      return;
    }
    std::erase_if(found->second,
                  [&](const Entry& entry) { return entry.connection.get() == connection; });
    if (found->second.empty()) {
      shard.users.erase(found);
      last = true;
    }
  }
  if (last) {
    bus_.publish_presence(org, user, false);
  }
}

std::vector<Hub::Entry> Hub::connections_of(std::span<const UserId> users) {
  // Copied out under each shard's lock, used without it.
  std::vector<Entry> targets;
  for (const UserId user : users) {
    Shard& shard = shard_of(user);
    std::lock_guard lock(shard.mutex);
    if (auto found = shard.users.find(user); found != shard.users.end()) {
      targets.insert(targets.end(), found->second.begin(), found->second.end());
    }
  }
  return targets;
}

void Hub::notify(std::span<const UserId> users, const std::shared_ptr<const std::string>& frame) {
  for (const Entry& target : connections_of(users)) {
    ClientSession* session = target.session;
    target.connection->post([session, frame] { session->send_droppable(frame); });
  }
}

void Hub::sweep() {
  std::vector<Entry> targets;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (const auto& [user, entries] : shard.users) {
      targets.insert(targets.end(), entries.begin(), entries.end());
    }
  }
  for (const Entry& target : targets) {
    ClientSession* session = target.session;
    target.connection->post([session] { session->check_session(); });
  }
}

void Hub::recheck(UserId user) {
  for (const Entry& target : connections_of(std::span<const UserId>(&user, 1))) {
    ClientSession* session = target.session;
    target.connection->post([session] { session->check_session(); });
  }
}

bool Hub::is_online(UserId user) {
  Shard& shard = shard_of(user);
  std::lock_guard lock(shard.mutex);
  return shard.users.contains(user);
}

std::size_t Hub::connection_count() {
  std::size_t count = 0;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (const auto& [user, entries] : shard.users) {
      count += entries.size();
    }
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
  // An org event names no recipients: it is every user of the org (CommittedEvent).
  const bool org_wide = event->scope == EventScope::kOrg;
  if (!held_.empty()) {
    if (org_wide) {
      flush_all_held();
    } else {
      for (const UserId user : recipients) {
        flush_held(user);
      }
    }
  }
  const std::vector<Entry> targets =
      org_wide ? connections_in(event->org_id) : connections_of(recipients);
  for (const Entry& target : targets) {
    ClientSession* session = target.session;
    target.connection->post([session, live] { session->on_live_event(live); });
  }
}

void Hub::flush_held(UserId user) {
  auto found = held_.find(user);
  if (found == held_.end()) {
    return;
  }
  auto batch = std::make_shared<const LiveBatch>(std::move(found->second));
  held_.erase(found);
  for (const Entry& target : connections_of(std::span<const UserId>(&user, 1))) {
    ClientSession* session = target.session;
    target.connection->post([session, batch] { session->on_live_batch(*batch); });
  }
}

void Hub::flush_all_held() {
  while (!held_.empty()) {
    flush_held(held_.begin()->first);
  }
}

void Hub::run_flusher() {
  std::unique_lock lock(held_mutex_);
  while (!stopping_) {
    if (held_.empty()) {
      held_changed_.wait(lock);
      continue;
    }
    if (held_changed_.wait_until(lock, flush_at_) == std::cv_status::timeout ||
        std::chrono::steady_clock::now() >= flush_at_) {
      flush_all_held();
    }
  }
}

std::vector<Hub::Entry> Hub::connections_in(OrgId org, UserId except) {
  std::vector<Entry> targets;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (const auto& [member, entries] : shard.users) {
      for (const Entry& entry : entries) {
        if (entry.org == org && member != except) {
          targets.push_back(entry);
        }
      }
    }
  }
  return targets;
}

void Hub::on_presence(OrgId org, UserId user, bool online) {
  boost::json::object object;
  object["type"] = "presence";
  object["user_id"] = user.value();
  object["online"] = online;
  auto frame = std::make_shared<const std::string>(boost::json::serialize(object));
  for (const Entry& target : connections_in(org, user)) {
    ClientSession* session = target.session;
    target.connection->post([session, frame] { session->send_droppable(frame); });
  }
}

}  // namespace wl::api
