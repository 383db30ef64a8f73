#include "api/routes/thread_routes.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/fields.hpp"
#include "api/json_codec.hpp"
#include "core/utf8.hpp"
#include "net/server.hpp"
#include "services/messaging/messaging_service.hpp"

namespace wl::api {
namespace {
namespace json = boost::json;

std::vector<UserId> to_user_ids(const std::vector<std::int64_t>& ids) {
  std::vector<UserId> users;
  users.reserve(ids.size());
  for (const std::int64_t id : ids) {
    users.emplace_back(id);
  }
  return users;
}

Result<json::value> list_threads(const ThreadServices& services, const Call& call) {
  json::array threads;
  for (const ThreadView& thread : WL_TRY(services.messaging.list_threads(call.actor))) {
    threads.push_back(thread_json(thread));
  }
  return json::object{{"threads", std::move(threads)}};
}

Result<json::value> create_thread(const ThreadServices& services, const Call& call) {
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const std::string kind = WL_TRY(reader.required_string("kind"));
  // An opened thread says whether it existed before (docs/protocol.md).
  const auto opened = [](const ThreadView& view) {
    json::object object = thread_json(view);
    object["existing"] = view.existing;
    return object;
  };
  if (kind == "direct") {
    const auto other = WL_TRY(reader.required_int("user_id"));
    WL_TRY(reader.finish());
    return opened(WL_TRY(services.messaging.open_direct(call.actor, UserId(other))));
  }
  if (kind == "group") {
    const std::string title = WL_TRY(reader.required_string("title"));
    const auto members = to_user_ids(WL_TRY(reader.int_array("member_ids", true)));
    WL_TRY(reader.finish());
    return opened(WL_TRY(services.messaging.create_group(call.actor, title, members)));
  }
  if (kind == "patient") {
    const auto patient = WL_TRY(reader.required_int("patient_id"));
    const auto members = to_user_ids(WL_TRY(reader.int_array("member_ids", true)));
    const std::string title = WL_TRY(reader.optional_string("title"));
    WL_TRY(reader.finish());
    return opened(WL_TRY(
        services.messaging.open_patient_thread(call.actor, PatientId(patient), members, title)));
  }
  return error(Code::kInvalidArgument, "kind must be 'direct', 'group' or 'patient'");
}

Result<json::value> get_thread(const ThreadServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "thread id"));
  return thread_json(WL_TRY(services.messaging.get_thread(call.actor, ThreadId(id))));
}

Result<json::value> rename_thread(const ThreadServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "thread id"));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const std::string title = WL_TRY(reader.required_string("title"));
  WL_TRY(reader.finish());
  return thread_json(WL_TRY(services.messaging.rename_thread(call.actor, ThreadId(id), title)));
}

Result<json::value> list_messages(const ThreadServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "thread id"));
  const auto before = WL_TRY(int_param(call.route, "before_seq", 0));
  const auto limit = WL_TRY(int_param(call.route, "limit", 50));
  const HistoryPage page = WL_TRY(services.messaging.history(call.actor, ThreadId(id), before,
                                                             static_cast<std::size_t>(limit)));
  json::array messages;
  for (const OpenedEvent& message : page.messages) {
    messages.push_back(event_json(message));
  }
  json::array routed;
  for (const OpenedEvent& event : page.routed) {
    routed.push_back(event_json(event));
  }
  return json::object{{"messages", std::move(messages)},
                      {"receipts", history_receipts_json(page.receipts)},
                      {"routed", std::move(routed)}};
}

Result<json::value> add_member(const ThreadServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "thread id"));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const auto user = WL_TRY(reader.required_int("user_id"));
  WL_TRY(reader.finish());
  WL_TRY(services.messaging.add_member(call.actor, ThreadId(id), UserId(user)));
  return json::value();
}

Result<json::value> remove_member(const ThreadServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "thread id"));
  const auto user = WL_TRY(id_segment(call.route, 5, "user id"));
  WL_TRY(services.messaging.remove_member(call.actor, ThreadId(id), UserId(user)));
  return json::value();
}

Result<json::value> mark_read(const ThreadServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "thread id"));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const auto seq = WL_TRY(reader.required_int("up_to_seq"));
  WL_TRY(reader.finish());
  WL_TRY(services.messaging.mark_read(call.actor, ThreadId(id), seq));
  return json::value();
}

Result<json::value> get_message(const ThreadServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "message id"));
  return event_json(WL_TRY(services.messaging.get_message(call.actor, EventId(id))));
}

Result<json::value> get_message_status(const ThreadServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "message id"));
  json::array recipients;
  for (const Receipt& receipt :
       WL_TRY(services.messaging.message_status(call.actor, EventId(id)))) {
    recipients.push_back(receipt_json(receipt));
  }
  return json::object{{"message_id", id}, {"recipients", std::move(recipients)}};
}

Result<json::value> list_held(const ThreadServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "thread id"));
  json::array held;
  for (const OpenedHeld& one : WL_TRY(services.messaging.held_in(call.actor, ThreadId(id)))) {
    held.push_back(held_json(one));
  }
  return json::object{{"held", std::move(held)}};
}

Result<json::value> withdraw_held(const ThreadServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "held id"));
  return held_json(WL_TRY(services.messaging.withdraw(call.actor, HeldId(id))));
}

Result<json::value> list_screening(const ThreadServices& services, const Call& call) {
  const ScreeningList list = WL_TRY(services.messaging.screening(call.actor));
  json::array screening;
  for (const OpenedHeld& one : list.messages) {
    json::object entry = held_json(one);
    entry.erase("client_id");  // The sender's, not the gatekeeper's.
    screening.push_back(std::move(entry));
  }
  json::array screens_for;
  for (const UserId person : list.screens_for) {
    screens_for.push_back(person.value());
  }
  return json::object{{"screening", std::move(screening)},
                      {"for_user_ids", std::move(screens_for)}};
}

std::string_view outcome_name(ScreeningResult::Outcome outcome) {
  switch (outcome) {
    case ScreeningResult::Outcome::kDelivered:
      return "delivered";
    case ScreeningResult::Outcome::kHeld:
      return "held";
    case ScreeningResult::Outcome::kKept:
      return "kept";
    case ScreeningResult::Outcome::kAnswered:
      return "answered";
  }
  return "delivered";
}

// {"action": "pass" | "hold" | "answer"}; an answer has "client_id" and "body" too.
Result<json::value> screen_held(const ThreadServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "held id"));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  auto action = reader.required_string("action");
  if (!action) {
    return std::unexpected(action.error());
  }
  ScreeningDecision decision;
  if (*action == "pass") {
    decision.action = ScreeningAction::kPass;
  } else if (*action == "hold") {
    decision.action = ScreeningAction::kKeep;
  } else if (*action == "answer") {
    decision.action = ScreeningAction::kAnswer;
    decision.client_id = WL_TRY(reader.required_string("client_id"));
    decision.body = WL_TRY(reader.required_string("body"));
  } else {
    return error(Code::kInvalidArgument, "action is pass, hold or answer");
  }
  WL_TRY(reader.finish());
  const ScreeningResult result =
      WL_TRY(services.messaging.screen(call.actor, HeldId(id), decision));
  json::object answer{{"held_id", id}, {"outcome", outcome_name(result.outcome)}};
  if (result.message) {
    answer["message_id"] = result.message->id.value();
    answer["thread_id"] = result.message->thread_id.value();
    answer["seq"] = result.message->seq;
  }
  return answer;
}

// GET /api/v1/search/messages (docs/protocol.md, "Message search").
Result<json::value> search_messages(const ThreadServices& services, const Call& call) {
  for (const auto& [name, value] : call.route.query) {
    if (name != "q" && name != "patient_id" && name != "before" && name != "limit") {
      return error(Code::kInvalidArgument,
                   fmt::format("unknown query parameter '{}'", utf8_prefix(name, 64)));
    }
  }
  MessageSearchRequest request;
  if (const auto text = call.route.param("q")) {
    request.text = std::string(*text);
  }
  request.patient = PatientId(WL_TRY(int_param(call.route, "patient_id", 0)));
  request.before = EventId(WL_TRY(int_param(call.route, "before", 0)));
  request.limit = static_cast<std::size_t>(WL_TRY(int_param(call.route, "limit", 20)));
  const MessageSearchPage page = WL_TRY(services.messaging.search_messages(call.actor, request));
  json::array hits;
  for (const OpenedEvent& hit : page.hits) {
    hits.push_back(event_json(hit));
  }
  json::array words;
  for (const std::string& word : page.words) {
    words.push_back(json::string(word));
  }
  json::object answer{{"hits", std::move(hits)}, {"words", std::move(words)}};
  if (page.next_before.is_set()) {
    answer["next_before"] = page.next_before.value();
  } else {
    answer["next_before"] = nullptr;
  }
  return answer;
}

constexpr RouteOf<ThreadServices> kRoutes[] = {
    {{"GET", "/api/v1/threads", Access::kSession, 0}, &list_threads},
    {{"POST", "/api/v1/threads", Access::kSession, kJsonBody}, &create_thread},
    {{"GET", "/api/v1/threads/{id}", Access::kSession, 0}, &get_thread},
    {{"PATCH", "/api/v1/threads/{id}", Access::kSession, kJsonBody}, &rename_thread},
    {{"GET", "/api/v1/threads/{id}/messages", Access::kSession, 0}, &list_messages},
    {{"POST", "/api/v1/threads/{id}/members", Access::kSession, kJsonBody}, &add_member},
    {{"DELETE", "/api/v1/threads/{id}/members/{id}", Access::kSession, 0}, &remove_member},
    {{"POST", "/api/v1/threads/{id}/read", Access::kSession, kJsonBody}, &mark_read},
    {{"GET", "/api/v1/threads/{id}/held", Access::kSession, 0}, &list_held},
    {{"DELETE", "/api/v1/held/{id}", Access::kSession, 0}, &withdraw_held},
    {{"GET", "/api/v1/screening", Access::kSession, 0}, &list_screening},
    {{"POST", "/api/v1/screening/{id}", Access::kSession, kJsonBody}, &screen_held},
    {{"GET", "/api/v1/messages/{id}", Access::kSession, 0}, &get_message},
    {{"GET", "/api/v1/messages/{id}/status", Access::kSession, 0}, &get_message_status},
    {{"GET", "/api/v1/search/messages", Access::kSession, 0}, &search_messages},
};

}  // namespace

std::span<const RouteOf<ThreadServices>> thread_routes() { return kRoutes; }

}  // namespace wl::api
