#include "api/routes/directory_routes.hpp"

#include <initializer_list>
#include <map>
#include <string>

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/fields.hpp"
#include "api/hub.hpp"
#include "api/json_codec.hpp"
#include "core/time.hpp"
#include "core/utf8.hpp"
#include "net/server.hpp"
#include "services/callback/callback_service.hpp"
#include "services/directory/directory_service.hpp"
#include "services/identity/identity_service.hpp"

namespace wl::api {
namespace {
namespace json = boost::json;

// The number the caller may call `user` back on, or null (docs/callback.md).
json::value callback_json(const std::map<UserId, std::string>& callbacks, UserId user) {
  const auto found = callbacks.find(user);
  return found == callbacks.end() ? json::value(nullptr) : json::value(found->second);
}

Result<json::value> list_users(const DirectoryServices& services, const Call& call) {
  const auto callbacks = WL_TRY(services.callbacks.callbacks(call.actor));
  json::array users;
  for (const User& user : WL_TRY(services.identity.list_users(call.actor))) {
    json::object object = user_json(user, services.hub.is_online(user.id));
    object["callback"] = callback_json(callbacks, user.id);
    users.push_back(std::move(object));
  }
  return json::object{{"users", std::move(users)}};
}

Result<json::value> list_devices(const DirectoryServices& services, const Call& call) {
  json::array devices;
  for (const DeviceView& device :
       WL_TRY(services.identity.list_devices(call.actor, call.actor.user))) {
    devices.push_back(json::object{{"id", device.id.value()},
                                   {"name", device.name},
                                   {"created_at", format_rfc3339(device.created_at)},
                                   {"last_seen", format_rfc3339(device.last_seen)},
                                   {"revoked", device.revoked},
                                   {"current", device.id == call.actor.device}});
  }
  return json::object{{"devices", std::move(devices)}};
}

Result<json::value> revoke_device(const DirectoryServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "device id"));
  WL_TRY(services.identity.revoke_device(call.actor, DeviceId(id)));
  return json::value();
}

// The largest org screen a PUT may carry (the page's own limits are smaller in practice:
// DirectoryLimits).
constexpr std::size_t kOrgScreenBody = 64 * 1024;

std::string_view match_name(MatchRank rank) {
  switch (rank) {
    case MatchRank::kExact:
      return "exact";
    case MatchRank::kFirstWord:
      return "first_word";
    case MatchRank::kWord:
      return "word";
  }
  return "word";
}

json::array holders_json(const DirectoryServices& services,
                         const std::vector<DirectoryHolder>& holders) {
  json::array array;
  for (const DirectoryHolder& holder : holders) {
    array.push_back(json::object{{"user_id", holder.user.value()},
                                 {"display_name", holder.display_name},
                                 {"reason", holder.reason},
                                 {"online", services.hub.is_online(holder.user)}});
  }
  return array;
}

Result<KindSet> kinds_param(const Route& route) {
  const auto param = route.param("kinds");
  if (!param) {
    return KindSet{};
  }
  KindSet kinds{false, false, false};
  std::string_view rest = *param;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view name = rest.substr(0, comma);
    if (name == "person") {
      kinds.person = true;
    } else if (name == "role") {
      kinds.role = true;
    } else if (name == "group") {
      kinds.group = true;
    } else {
      return error(Code::kInvalidArgument,
                   "kinds is a comma-separated list of person, role and group");
    }
    if (comma == std::string_view::npos) {
      break;
    }
    rest = rest.substr(comma + 1);
  }
  return kinds;
}

Result<json::value> search(const DirectoryServices& services, const Call& call) {
  for (const auto& [name, value] : call.route.query) {
    if (name != "q" && name != "kinds" && name != "limit") {
      return error(Code::kInvalidArgument,
                   fmt::format("unknown query parameter '{}'", utf8_prefix(name, 64)));
    }
  }
  DirectoryQuery query;
  const auto text = call.route.param("q");
  if (!text) {
    return error(Code::kInvalidArgument, "q is required");
  }
  query.text = std::string(*text);
  query.kinds = WL_TRY(kinds_param(call.route));
  const std::int64_t limit = WL_TRY(int_param(call.route, "limit", 0));
  if (call.route.param("limit") && limit == 0) {
    return error(Code::kInvalidArgument, "limit is 1 to 50");
  }
  query.limit = static_cast<std::size_t>(limit);
  const auto found = WL_TRY(services.directory.search(call.actor, query));
  std::map<UserId, std::string> callbacks;
  for (const DirectoryResult& result : found) {
    if (result.kind == DirectoryKind::kPerson) {
      callbacks = WL_TRY(services.callbacks.callbacks(call.actor));
      break;
    }
  }
  json::array results;
  for (const DirectoryResult& result : found) {
    json::object object;
    switch (result.kind) {
      case DirectoryKind::kPerson:
        object = json::object{{"kind", "person"},
                              {"id", result.id},
                              {"display_name", result.name},
                              {"username", result.username},
                              {"title", result.title},
                              {"department", result.department},
                              {"online", services.hub.is_online(UserId(result.id))},
                              {"callback", callback_json(callbacks, UserId(result.id))}};
        break;
      case DirectoryKind::kRole:
        object = json::object{{"kind", "role"},
                              {"id", result.id},
                              {"name", result.name},
                              {"description", result.description},
                              {"on_call", holders_json(services, result.on_call)}};
        break;
      case DirectoryKind::kGroup:
        object = json::object{{"kind", "group"},
                              {"id", result.id},
                              {"title", result.name},
                              {"members", result.members}};
        break;
    }
    object["match"] = match_name(result.rank);
    results.push_back(std::move(object));
  }
  return json::object{{"results", std::move(results)}};
}

json::value org_screen_json(const DirectoryServices& services, const RenderedOrgScreen& screen) {
  json::array sections;
  for (const RenderedSection& section : screen.sections) {
    json::array items;
    for (const RenderedItem& rendered : section.items) {
      const ScreenItem& item = rendered.item;
      json::object object;
      switch (item.type) {
        case ScreenItemType::kLink:
          object = json::object{{"type", "link"}, {"label", item.label}, {"url", item.url}};
          break;
        case ScreenItemType::kPhone:
          object = json::object{{"type", "phone"}, {"label", item.label}, {"number", item.number}};
          break;
        case ScreenItemType::kStaff: {
          json::array people;
          for (const StaffMember& member : rendered.staff) {
            people.push_back(json::object{{"id", member.id.value()},
                                          {"display_name", member.display_name},
                                          {"title", member.title},
                                          {"online", services.hub.is_online(member.id)}});
          }
          object = json::object{{"type", "staff"},
                                {"department", item.department},
                                {"people", std::move(people)},
                                {"truncated", rendered.truncated}};
          break;
        }
        case ScreenItemType::kOnCall: {
          json::array roles;
          for (const OnCallRole& role : rendered.on_call) {
            roles.push_back(json::object{{"id", role.role.value()},
                                         {"name", role.name},
                                         {"on_call", holders_json(services, role.holders)}});
          }
          object = json::object{
              {"type", "on_call"}, {"roles", std::move(roles)}, {"truncated", rendered.truncated}};
          break;
        }
      }
      items.push_back(std::move(object));
    }
    sections.push_back(json::object{{"title", section.title}, {"items", std::move(items)}});
  }
  json::object object{{"version", screen.version}, {"sections", std::move(sections)}};
  if (screen.updated_at) {
    object["updated_at"] = format_rfc3339(*screen.updated_at);
    object["updated_by"] =
        screen.updated_by.is_set() ? json::value(screen.updated_by.value()) : json::value(nullptr);
  }
  return object;
}

Result<json::value> get_org_screen(const DirectoryServices& services, const Call& call) {
  return org_screen_json(services, WL_TRY(services.directory.org_screen(call.actor)));
}

// Refuses a key of `object` not in `known`, naming where it is.
Result<void> only_keys(const json::object& object, std::initializer_list<std::string_view> known,
                       std::string_view where) {
  for (const auto& entry : object) {
    bool found = false;
    for (const std::string_view key : known) {
      found = found || entry.key() == key;
    }
    if (!found) {
      return error(Code::kInvalidArgument,
                   fmt::format("{}: unknown field '{}'", where, utf8_prefix(entry.key(), 64)));
    }
  }
  return ok();
}

Result<std::string> string_field(const json::object& object, std::string_view key,
                                 std::string_view where) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) {
    return error(Code::kInvalidArgument, fmt::format("{}.{} must be a string", where, key));
  }
  return std::string(value->get_string());
}

// The page of a PUT body: {"version": N, "sections": [{"title", "items": [...]}]}. Counts
// are bounded here before anything is copied; DirectoryService checks the rest.
Result<OrgScreenPage> page_of(const json::object& body, const DirectoryLimits& limits) {
  WL_TRY(only_keys(body, {"version", "sections"}, "body"));
  const json::value* sections = body.if_contains("sections");
  if (sections == nullptr || !sections->is_array()) {
    return error(Code::kInvalidArgument, "sections must be an array");
  }
  if (sections->get_array().size() > limits.max_sections) {
    return error(Code::kInvalidArgument,
                 fmt::format("an org screen has at most {} sections", limits.max_sections));
  }
  OrgScreenPage page;
  std::size_t s = 0;
  for (const json::value& section_value : sections->get_array()) {
    const std::string where = fmt::format("sections[{}]", s++);
    if (!section_value.is_object()) {
      return error(Code::kInvalidArgument, fmt::format("{} must be an object", where));
    }
    const json::object& section_object = section_value.get_object();
    WL_TRY(only_keys(section_object, {"title", "items"}, where));
    ScreenSection section;
    section.title = WL_TRY(string_field(section_object, "title", where));
    const json::value* items = section_object.if_contains("items");
    if (items == nullptr || !items->is_array()) {
      return error(Code::kInvalidArgument, fmt::format("{}.items must be an array", where));
    }
    if (items->get_array().size() > limits.max_section_items) {
      return error(Code::kInvalidArgument,
                   fmt::format("{} has at most {} items", where, limits.max_section_items));
    }
    std::size_t i = 0;
    for (const json::value& item_value : items->get_array()) {
      const std::string at = fmt::format("{}.items[{}]", where, i++);
      if (!item_value.is_object()) {
        return error(Code::kInvalidArgument, fmt::format("{} must be an object", at));
      }
      const json::object& item_object = item_value.get_object();
      const std::string type = WL_TRY(string_field(item_object, "type", at));
      ScreenItem item;
      if (type == "link") {
        WL_TRY(only_keys(item_object, {"type", "label", "url"}, at));
        item.type = ScreenItemType::kLink;
        item.label = WL_TRY(string_field(item_object, "label", at));
        item.url = WL_TRY(string_field(item_object, "url", at));
      } else if (type == "phone") {
        WL_TRY(only_keys(item_object, {"type", "label", "number"}, at));
        item.type = ScreenItemType::kPhone;
        item.label = WL_TRY(string_field(item_object, "label", at));
        item.number = WL_TRY(string_field(item_object, "number", at));
      } else if (type == "staff") {
        WL_TRY(only_keys(item_object, {"type", "department"}, at));
        item.type = ScreenItemType::kStaff;
        item.department = WL_TRY(string_field(item_object, "department", at));
      } else if (type == "on_call") {
        WL_TRY(only_keys(item_object, {"type"}, at));
        item.type = ScreenItemType::kOnCall;
      } else {
        return error(Code::kInvalidArgument,
                     fmt::format("{}.type is one of link, phone, staff, on_call", at));
      }
      section.items.push_back(std::move(item));
    }
    page.sections.push_back(std::move(section));
  }
  return page;
}

Result<json::value> put_org_screen(const DirectoryServices& services, const Call& call) {
  WL_TRY(services.directory.check_screen_editor(call.actor, call.actor.org));
  const auto body = WL_TRY(parse_object(call.request.body));
  const json::value* version = body.if_contains("version");
  if (version == nullptr || !version->is_int64() || version->get_int64() < 0) {
    return error(Code::kInvalidArgument,
                 "version must be the version the page was loaded at (0 for none)");
  }
  const OrgScreenPage page = WL_TRY(page_of(body, DirectoryLimits{}));
  WL_TRY(
      services.directory.save_org_screen(call.actor, call.actor.org, page, version->get_int64()));
  return get_org_screen(services, call);
}

Result<json::value> set_user_directory(const DirectoryServices& services, const Call& call) {
  const auto user = UserId(WL_TRY(id_segment(call.route, 4, "user id")));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const std::string title = reader.keep(reader.required_string("title"));
  const std::string department = reader.keep(reader.required_string("department"));
  WL_TRY(reader.finish());
  const User updated =
      WL_TRY(services.directory.set_user_directory(call.actor, user, title, department));
  return user_json(updated, services.hub.is_online(updated.id));
}

constexpr RouteOf<DirectoryServices> kRoutes[] = {
    {{"GET", "/api/v1/users", Access::kSession, 0}, &list_users},
    {{"GET", "/api/v1/devices", Access::kSession, 0}, &list_devices},
    {{"DELETE", "/api/v1/devices/{id}", Access::kSession, 0}, &revoke_device},
    {{"GET", "/api/v1/directory", Access::kSession, 0}, &search},
    {{"GET", "/api/v1/org-screen", Access::kSession, 0}, &get_org_screen},
    {{"PUT", "/api/v1/org-screen", Access::kSession, kOrgScreenBody}, &put_org_screen},
    {{"PUT", "/api/v1/admin/users/{id}/directory", Access::kSession, kJsonBody},
     &set_user_directory},
};

}  // namespace

std::span<const RouteOf<DirectoryServices>> directory_routes() { return kRoutes; }

}  // namespace wl::api
