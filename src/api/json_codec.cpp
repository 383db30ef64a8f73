#include "api/json_codec.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace wl::api {
namespace json = boost::json;

std::string_view thread_kind_name(ThreadKind kind) {
  switch (kind) {
    case ThreadKind::kDirect:
      return "direct";
    case ThreadKind::kGroup:
      return "group";
    case ThreadKind::kPatient:
      return "patient";
    case ThreadKind::kRole:
      return "role";
  }
  return "unknown";
}

std::string_view event_kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::kMessage:
      return "message";
    case EventKind::kDelivered:
      return "delivered";
    case EventKind::kRead:
      return "read";
    case EventKind::kMemberAdded:
      return "member_added";
    case EventKind::kMemberRemoved:
      return "member_removed";
    case EventKind::kThreadCreated:
      return "thread_created";
    case EventKind::kThreadRenamed:
      return "thread_renamed";
    case EventKind::kUserChanged:
      return "user_changed";
    case EventKind::kOrgChanged:
      return "org_changed";
    case EventKind::kDevicesChanged:
      return "devices_changed";
    case EventKind::kRoleChanged:
      return "role_changed";
    case EventKind::kOnCallChanged:
      return "on_call_changed";
    case EventKind::kRouted:
      return "routed";
    case EventKind::kReminder:
      return "reminder";
    case EventKind::kUnanswered:
      return "unanswered";
    case EventKind::kAlert:
      return "alert";
    case EventKind::kAvailabilityChanged:
      return "availability_changed";
    case EventKind::kScreening:
      return "screening";
    case EventKind::kPatientChanged:
      return "patient_changed";
    case EventKind::kProviderInvited:
      return "provider_invited";
  }
  return "unknown";
}

std::string_view availability_name(Availability status) {
  switch (status) {
    case Availability::kAvailable:
      return "available";
    case Availability::kBusy:
      return "busy";
    case Availability::kInProcedure:
      return "in_procedure";
    case Availability::kOffDuty:
      return "off_duty";
  }
  return "available";
}

Result<Availability> availability_of(std::string_view name) {
  for (const Availability status : {Availability::kAvailable, Availability::kBusy,
                                    Availability::kInProcedure, Availability::kOffDuty}) {
    if (name == availability_name(status)) {
      return status;
    }
  }
  return error(Code::kInvalidArgument,
               "status must be 'available', 'busy', 'in_procedure' or 'off_duty'");
}

boost::json::value optional_time_json(const std::optional<Timestamp>& at) {
  return at ? boost::json::value(format_rfc3339(*at)) : boost::json::value();
}

std::string_view held_state_name(HeldState state) {
  switch (state) {
    case HeldState::kOffDuty:
      return "off_duty";
    case HeldState::kScreening:
      return "screening";
    case HeldState::kKept:
      return "kept";
  }
  return "off_duty";
}

boost::json::object held_notice_json(const HeldNotice& held) {
  boost::json::array gatekeepers;
  for (const UserId gatekeeper : held.gatekeepers) {
    gatekeepers.push_back(gatekeeper.value());
  }
  return boost::json::object{{"held_id", held.id.value()},
                             {"user_id", held.user.value()},
                             {"availability", availability_name(held.status)},
                             {"until", optional_time_json(held.until)},
                             {"state", held_state_name(held.state)},
                             {"gatekeeper_ids", std::move(gatekeepers)}};
}

boost::json::object forwarding_json(const Forwarding& forwarding) {
  const auto id_or_null = [](std::int64_t id) {
    return id != 0 ? boost::json::value(id) : boost::json::value();
  };
  return boost::json::object{{"user_id", forwarding.user_id.value()},
                             {"to_user_id", id_or_null(forwarding.to_user.value())},
                             {"to_role_id", id_or_null(forwarding.to_role.value())},
                             {"starts_at", format_rfc3339(forwarding.starts_at)},
                             {"ends_at", optional_time_json(forwarding.ends_at)},
                             {"set_by", id_or_null(forwarding.set_by.value())},
                             {"set_at", format_rfc3339(forwarding.set_at)}};
}

boost::json::array routed_to_json(const std::vector<RoutedTo>& routed) {
  boost::json::array array;
  for (const RoutedTo& to : routed) {
    boost::json::object entry{{"user_id", to.user.value()}, {"reason", to.reason}};
    if (to.via.is_set()) {
      entry["from_user_id"] = to.via.value();
    }
    array.push_back(std::move(entry));
  }
  return array;
}

boost::json::object held_json(const OpenedHeld& opened) {
  const HeldMessage& held = opened.held;
  return boost::json::object{
      {"held_id", held.id.value()},
      {"thread_id", held.message.thread_id.value()},
      {"client_id", opened.client_id},
      {"body", opened.body},
      {"callback",
       opened.callback.empty() ? boost::json::value(nullptr) : boost::json::value(opened.callback)},
      {"urgent", held.message.urgent},
      {"user_id", held.recipient.value()},
      {"held_at", format_rfc3339(held.held_at)},
      {"until", optional_time_json(held.until)},
      {"written_at", optional_time_json(held.message.written_at)},
      {"sender_id", held.message.sender.value()},
      {"state", held_state_name(held.state)},
      {"screened_by", held.screened_by.is_set() ? boost::json::value(held.screened_by.value())
                                                : boost::json::value()}};
}

std::string_view event_scope_name(EventScope scope) {
  switch (scope) {
    case EventScope::kThread:
      return "thread";
    case EventScope::kUser:
      return "user";
    case EventScope::kOrg:
      return "org";
  }
  return "unknown";
}

json::object user_json(const User& user, bool online) {
  json::object object;
  object["id"] = user.id.value();
  object["username"] = user.username;
  object["display_name"] = user.display_name;
  object["title"] = user.title;
  object["department"] = user.department;
  object["is_admin"] = user.is_admin;
  object["online"] = online;
  return object;
}

json::object patient_json(const PatientView& patient) {
  json::object object;
  object["id"] = patient.id.value();
  object["mrn"] = patient.mrn;
  object["name"] = patient.name;
  object["date_of_birth"] = patient.date_of_birth;
  object["location"] = patient.location;
  object["attending"] = patient.attending;
  object["sex"] = patient.sex;
  object["status"] = patient.status;
  object["admitted_at"] = patient.admitted_at;
  object["discharged_at"] = patient.discharged_at;
  json::array identifiers;
  for (const PatientIdentifierView& identifier : patient.identifiers) {
    identifiers.push_back(json::object{{"value", identifier.value},
                                       {"authority", identifier.authority},
                                       {"type", identifier.type}});
  }
  object["identifiers"] = std::move(identifiers);
  object["updated_at"] = format_rfc3339(patient.updated_at);
  return object;
}

json::object thread_json(const ThreadView& view) {
  json::object object;
  object["id"] = view.thread.id.value();
  object["kind"] = thread_kind_name(view.thread.kind);
  object["title"] = view.title;
  json::array members;
  for (const UserId member : view.members) {
    members.push_back(member.value());
  }
  object["member_ids"] = std::move(members);
  // A conversation between two people stays theirs when others join it (an escalation,
  // a forward): whom a message there is addressed to (docs/routing.md).
  if (const ThreadTraits traits = traits_of(view.thread); traits.pair) {
    object["pair_user_ids"] = json::array{traits.first.value(), traits.second.value()};
  } else {
    object["pair_user_ids"] = nullptr;
  }
  if (view.thread.role_id.is_set()) {
    object["role_id"] = view.thread.role_id.value();
  } else {
    object["role_id"] = nullptr;
  }
  if (view.patient) {
    object["patient"] = patient_json(*view.patient);
  } else {
    object["patient"] = nullptr;
  }
  object["created_at"] = format_rfc3339(view.thread.created_at);
  object["last_seq"] = view.thread.last_seq;
  object["read_seq"] = view.read_seq;
  object["unread_count"] = view.unread_count;
  object["has_unread_urgent"] = view.has_unread_urgent;
  if (view.last_message) {
    object["last_message"] = event_json(*view.last_message);
  } else {
    object["last_message"] = nullptr;
  }
  return object;
}

json::object event_json(const OpenedEvent& opened) {
  const Event& event = opened.event;
  json::object object;
  object["id"] = event.id.value();
  object["kind"] = event_kind_name(event.kind);
  object["scope"] = event_scope_name(event.scope);
  if (event.scope == EventScope::kThread) {
    object["thread_id"] = event.thread_id.value();
  }
  object["at"] = format_rfc3339(event.created_at);
  switch (event.kind) {
    case EventKind::kMessage:
      object["seq"] = event.seq;
      object["sender_id"] = event.actor.value();
      object["client_id"] = opened.client_id;
      object["urgent"] = event.urgent;
      object["body"] = opened.body;
      object["callback"] =
          opened.callback.empty() ? json::value(nullptr) : json::value(opened.callback);
      if (event.written_at) {
        object["written_at"] = format_rfc3339(*event.written_at);
      } else {
        object["written_at"] = nullptr;
      }
      break;
    case EventKind::kDelivered:
      object["user_id"] = event.actor.value();
      object["message_id"] = event.ref.value();
      object["message_seq"] = event.ref_seq;
      break;
    case EventKind::kRead:
      object["user_id"] = event.actor.value();
      object["up_to_seq"] = event.ref_seq;
      break;
    case EventKind::kMemberAdded:
    case EventKind::kMemberRemoved:
      object["user_id"] = event.subject.value();
      object["by_user_id"] = event.actor.value();
      break;
    case EventKind::kThreadCreated:
      object["by_user_id"] = event.actor.value();
      break;
    case EventKind::kThreadRenamed:
      object["title"] = opened.body;
      object["by_user_id"] = event.actor.value();
      break;
    case EventKind::kUserChanged:
    case EventKind::kDevicesChanged:
    case EventKind::kAvailabilityChanged:
      object["user_id"] = event.subject.value();
      object["by_user_id"] = event.actor.value();
      break;
    case EventKind::kOrgChanged:
      object["by_user_id"] = event.actor.value();
      break;
    case EventKind::kPatientChanged:
      break;  // The thread's banner: fetch the thread again.
    case EventKind::kRoleChanged:
    case EventKind::kOnCallChanged:
      object["role_id"] = event.role.value();
      object["by_user_id"] = event.actor.value();
      break;
    case EventKind::kReminder:
    case EventKind::kUnanswered:
    case EventKind::kAlert:
      object["message_id"] = event.ref.value();
      break;
    case EventKind::kScreening:
      object["user_id"] = event.subject.value();
      object["by_user_id"] = event.actor.value();
      break;
    case EventKind::kProviderInvited:
      object["invitation_id"] = event.id.value();
      object["npi"] = event.reason;
      object["by_user_id"] = event.actor.value();
      break;
    case EventKind::kRouted:
      object["message_id"] = event.ref.value();
      object["message_seq"] = event.ref_seq;
      object["user_id"] = event.subject.value();
      if (event.role.is_set()) {
        object["role_id"] = event.role.value();
      } else {
        object["role_id"] = nullptr;  // An escalation to a person's backup.
      }
      object["reason"] = event.reason;
      if (event.reason == kReasonForwarded) {
        object["from_user_id"] = event.actor.value();  // Whose forwarding sent it.
      } else if (event.reason == kReasonScreened || event.reason == kReasonKept ||
                 event.reason == kReasonAnswered) {
        object["gatekeeper_id"] = event.actor.value();  // Whose decision.
      }
      break;
  }
  return object;
}

json::object receipt_json(const Receipt& receipt) {
  json::object object;
  object["user_id"] = receipt.user_id.value();
  if (receipt.delivered_at) {
    object["delivered_at"] = format_rfc3339(*receipt.delivered_at);
  } else {
    object["delivered_at"] = nullptr;
  }
  if (receipt.read_at) {
    object["read_at"] = format_rfc3339(*receipt.read_at);
  } else {
    object["read_at"] = nullptr;
  }
  return object;
}

json::object history_receipts_json(const HistoryReceipts& receipts) {
  json::array read;
  read.reserve(receipts.read.size());
  for (const ReadPosition& position : receipts.read) {
    read.push_back(
        json::object{{"user_id", position.user_id.value()}, {"up_to_seq", position.read_seq}});
  }
  // One entry per message, with its user ids: compact when many members received many
  // messages (the rows come ordered by message id, then user id).
  json::array delivered;
  for (const Receipt& receipt : receipts.delivered_unread) {
    if (delivered.empty() ||
        delivered.back().as_object().at("message_id").as_int64() != receipt.message_id.value()) {
      delivered.push_back(
          json::object{{"message_id", receipt.message_id.value()}, {"user_ids", json::array()}});
    }
    delivered.back().as_object().at("user_ids").as_array().push_back(receipt.user_id.value());
  }
  return json::object{{"read", std::move(read)}, {"delivered", std::move(delivered)}};
}

namespace {

// `{"type":"<type>","cursor":"<cursor>","<key>":` : the start both stream frames share.
std::string frame_head(std::string_view type, std::string_view instance_id, StreamPosition after,
                       std::string_view key) {
  return fmt::format(R"({{"type":"{}","cursor":{},"{}":)", type,
                     boost::json::serialize(boost::json::value(encode_cursor(instance_id, after))),
                     key);
}

}  // namespace

std::string event_frame_text(std::string_view instance_id, StreamPosition after,
                             std::string_view event_object) {
  std::string frame = frame_head("event", instance_id, after, "event");
  frame += event_object;
  frame += '}';
  return frame;
}

std::string events_frame_text(std::string_view instance_id, StreamPosition after,
                              std::span<const std::string_view> event_objects) {
  std::string frame = frame_head("events", instance_id, after, "events");
  frame += '[';
  for (std::size_t i = 0; i < event_objects.size(); ++i) {
    if (i > 0) {
      frame += ',';
    }
    frame += event_objects[i];
  }
  frame += "]}";
  return frame;
}

std::string encode_cursor(std::string_view instance_id, StreamPosition after) {
  if (after.epoch == 0) {
    return fmt::format("{}.{}", instance_id, after.id.value());
  }
  return fmt::format("{}.{}.{}", instance_id, after.epoch, after.id.value());
}

namespace {

std::optional<std::int64_t> cursor_number(std::string_view text) {
  std::int64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || number < 0) {
    return std::nullopt;
  }
  return number;
}

}  // namespace

Result<StreamPosition> decode_cursor(std::string_view cursor, std::string_view instance_id) {
  // "<instance>.<id>", or "<instance>.<epoch>.<id>" where positions have an epoch.
  const auto first = cursor.find('.');
  if (first == std::string_view::npos || first == 0) {
    return error(Code::kInvalidArgument, "malformed cursor");
  }
  std::string_view rest = cursor.substr(first + 1);
  StreamPosition position;
  if (const auto second = rest.find('.'); second != std::string_view::npos) {
    const auto epoch = cursor_number(rest.substr(0, second));
    if (!epoch || *epoch == 0) {
      return error(Code::kInvalidArgument, "malformed cursor");
    }
    position.epoch = *epoch;
    rest = rest.substr(second + 1);
  }
  const auto id = cursor_number(rest);
  if (!id) {
    return error(Code::kInvalidArgument, "malformed cursor");
  }
  position.id = EventId(*id);
  if (cursor.substr(0, first) != instance_id) {
    return error(Code::kFailedPrecondition, "the cursor belongs to another database");
  }
  return position;
}

}  // namespace wl::api
