#include "api/routes/callback_routes.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/fields.hpp"
#include "core/time.hpp"
#include "net/server.hpp"
#include "services/callback/callback_service.hpp"
#include "services/quick_notes/quick_note_service.hpp"

namespace wl::api {
namespace {
namespace json = boost::json;

// One number per kind: the most a PUT may carry.
constexpr std::size_t kMaxPhones = 3;

json::object phones_json(const std::vector<Phone>& phones) {
  json::array array;
  for (const Phone& phone : phones) {
    array.push_back(json::object{{"kind", phone_kind_name(phone.kind)},
                                 {"number", phone.number},
                                 {"visibility", phone_visibility_name(phone.visibility)},
                                 {"preferred", phone.preferred}});
  }
  const std::string callback = CallbackService::callback_of(phones);
  return json::object{
      {"phones", std::move(array)},
      {"callback", callback.empty() ? json::value(nullptr) : json::value(callback)}};
}

Result<json::value> get_my_phones(const CallbackServices& services, const Call& call) {
  return phones_json(WL_TRY(services.callbacks.my_phones(call.actor)));
}

// The numbers of a PUT body, whose only field is "phones".
Result<std::vector<Phone>> phones_of(const json::object& body) {
  for (const auto& entry : body) {
    if (entry.key() != "phones") {
      return error(Code::kInvalidArgument, "unknown field: the body has only phones");
    }
  }
  const json::value* list = body.if_contains("phones");
  if (list == nullptr || !list->is_array()) {
    return error(Code::kInvalidArgument, "phones must be an array");
  }
  if (list->get_array().size() > kMaxPhones) {
    return error(Code::kInvalidArgument,
                 "phones has at most 3 numbers: one work, one mobile and one pager");
  }
  std::vector<Phone> phones;
  std::size_t index = 0;
  for (const json::value& item : list->get_array()) {
    const std::string where = fmt::format("phones[{}]", index++);
    if (!item.is_object()) {
      return error(Code::kInvalidArgument, fmt::format("{} must be an object", where));
    }
    FieldReader field(item.get_object());
    const std::string kind = field.keep(field.required_string("kind"));
    const std::string number = field.keep(field.required_string("number"));
    const std::string visibility = field.keep(field.optional_string("visibility", "colleagues"));
    const bool preferred = field.keep(field.optional_bool("preferred", false));
    if (auto finished = field.finish(); !finished) {
      return error(Code::kInvalidArgument,
                   fmt::format("{}: {}", where, finished.error().message()));
    }
    Phone phone;
    phone.kind = WL_TRY(parse_phone_kind(kind, where + ".kind"));
    phone.number = number;
    phone.visibility = WL_TRY(parse_phone_visibility(visibility, where + ".visibility"));
    phone.preferred = preferred;
    phones.push_back(std::move(phone));
  }
  return phones;
}

Result<json::value> put_my_phones(const CallbackServices& services, const Call& call) {
  const auto body = WL_TRY(parse_object(call.request.body));
  std::vector<Phone> phones = WL_TRY(phones_of(body));
  return phones_json(WL_TRY(services.callbacks.set_my_phones(call.actor, std::move(phones))));
}

Result<json::value> get_user_phones(const CallbackServices& services, const Call& call) {
  const auto user = UserId(WL_TRY(id_segment(call.route, 3, "user id")));
  json::object object = phones_json(WL_TRY(services.callbacks.visible_phones(call.actor, user)));
  object["user_id"] = user.value();
  return object;
}

std::string_view scope_name(QuickNoteScope scope) {
  return scope == QuickNoteScope::kOrg ? "org" : "personal";
}

json::object note_json(const QuickNoteView& note) {
  return json::object{{"id", note.id},
                      {"scope", scope_name(note.scope)},
                      {"title", note.title},
                      {"text", note.text},
                      {"updated_at", format_rfc3339(note.updated_at)}};
}

Result<json::value> list_notes(const CallbackServices& services, const Call& call) {
  json::array notes;
  for (const QuickNoteView& note : WL_TRY(services.quick_notes.list(call.actor))) {
    notes.push_back(note_json(note));
  }
  json::array placeholders;
  for (const std::string_view name : quick_note_placeholders()) {
    placeholders.push_back(json::string(fmt::format("{{{}}}", name)));
  }
  const QuickNoteLimits& limits = services.quick_notes.limits();
  return json::object{{"notes", std::move(notes)},
                      {"placeholders", std::move(placeholders)},
                      {"limits", json::object{{"title_bytes", limits.max_title_bytes},
                                              {"text_bytes", limits.max_text_bytes},
                                              {"personal", limits.max_personal},
                                              {"org", limits.max_org}}}};
}

Result<json::value> create_note(const CallbackServices& services, const Call& call) {
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const std::string scope = reader.keep(reader.required_string("scope"));
  const std::string title = reader.keep(reader.required_string("title"));
  const std::string text = reader.keep(reader.required_string("text"));
  WL_TRY(reader.finish());
  if (scope != "org" && scope != "personal") {
    return error(Code::kInvalidArgument, "scope is org or personal");
  }
  return note_json(WL_TRY(services.quick_notes.create(
      call.actor, scope == "org" ? QuickNoteScope::kOrg : QuickNoteScope::kPersonal, title, text)));
}

Result<json::value> update_note(const CallbackServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "quick note id"));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const std::string title = reader.keep(reader.required_string("title"));
  const std::string text = reader.keep(reader.required_string("text"));
  WL_TRY(reader.finish());
  return note_json(WL_TRY(services.quick_notes.update(call.actor, id, title, text)));
}

Result<json::value> delete_note(const CallbackServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "quick note id"));
  WL_TRY(services.quick_notes.remove(call.actor, id));
  return json::value();
}

constexpr RouteOf<CallbackServices> kRoutes[] = {
    {{"GET", "/api/v1/me/phones", Access::kSession, 0}, &get_my_phones},
    {{"PUT", "/api/v1/me/phones", Access::kSession, kJsonBody}, &put_my_phones},
    {{"GET", "/api/v1/users/{id}/phones", Access::kSession, 0}, &get_user_phones},
    {{"GET", "/api/v1/quick-notes", Access::kSession, 0}, &list_notes},
    {{"POST", "/api/v1/quick-notes", Access::kSession, kJsonBody}, &create_note},
    {{"PUT", "/api/v1/quick-notes/{id}", Access::kSession, kJsonBody}, &update_note},
    {{"DELETE", "/api/v1/quick-notes/{id}", Access::kSession, 0}, &delete_note},
};

}  // namespace

std::span<const RouteOf<CallbackServices>> callback_routes() { return kRoutes; }

}  // namespace wl::api
