#include "api/routes/routing_routes.hpp"

#include <cstdio>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/fields.hpp"
#include "api/json_codec.hpp"
#include "api/schedule_imports.hpp"
#include "net/server.hpp"
#include "services/routing/routing_service.hpp"

namespace wl::api {
namespace {
namespace json = boost::json;

std::string_view role_kind_name(RoleKind kind) {
  switch (kind) {
    case RoleKind::kRole:
      return "role";
    case RoleKind::kUnit:
      return "unit";
    case RoleKind::kRoom:
      return "room";
  }
  return "role";
}

Result<RoleKind> role_kind_of(std::string_view name) {
  if (name == "role") {
    return RoleKind::kRole;
  }
  if (name == "unit") {
    return RoleKind::kUnit;
  }
  if (name == "room") {
    return RoleKind::kRoom;
  }
  return error(Code::kInvalidArgument, "kind must be 'role', 'unit' or 'room'");
}

json::value id_or_null(std::int64_t id) { return id != 0 ? json::value(id) : json::value(); }

json::object holder_json(const RoleHolder& holder) {
  return json::object{
      {"user_id", holder.user_id.value()},
      {"via", holder.via == HoldVia::kShift ? "shift" : "sign_in"},
      {"since", format_rfc3339(holder.since)},
      {"until", holder.until ? json::value(format_rfc3339(*holder.until)) : json::value()},
      {"shift_id", id_or_null(holder.shift.value())}};
}

json::object role_json_of(const RoleView& view) {
  const Role& role = view.role;
  json::array holders;
  for (const RoleHolder& holder : view.holders) {
    holders.push_back(holder_json(holder));
  }
  return json::object{{"id", role.id.value()},
                      {"kind", role_kind_name(role.kind)},
                      {"name", role.name},
                      {"description", role.description},
                      {"fallback_role_id", id_or_null(role.fallback_role.value())},
                      {"fallback_user_id", id_or_null(role.fallback_user.value())},
                      {"created_at", format_rfc3339(role.created_at)},
                      {"updated_at", format_rfc3339(role.updated_at)},
                      {"holders", std::move(holders)}};
}

json::object shift_json(const Shift& shift) {
  return json::object{
      {"id", shift.id.value()},
      {"role_id", shift.role_id.value()},
      {"user_id", shift.user_id.value()},
      {"starts_at", format_rfc3339(shift.starts_at)},
      {"ends_at", format_rfc3339(shift.ends_at)},
      {"time_zone", shift.time_zone},
      {"source_key", shift.source_key.empty() ? json::value() : json::value(shift.source_key)},
      {"updated_by", id_or_null(shift.updated_by.value())},
      {"updated_at", format_rfc3339(shift.updated_at)}};
}

json::array recipients_json(const std::vector<PreviewRecipient>& recipients) {
  json::array array;
  for (const PreviewRecipient& each : recipients) {
    json::object recipient{
        {"user_id", each.user.value()},
        {"reason", each.reason},
        {"availability", availability_name(each.availability.status)},
        {"until", optional_time_json(each.availability.until)},
        {"forwarding",
         each.forwarding ? json::value(forwarding_json(*each.forwarding)) : json::value()}};
    if (each.via.is_set()) {
      recipient["from_user_id"] = each.via.value();
    }
    json::array gatekeepers;
    for (const UserId gatekeeper : each.gatekeepers) {
      gatekeepers.push_back(gatekeeper.value());
    }
    recipient["gatekeeper_ids"] = std::move(gatekeepers);
    array.push_back(std::move(recipient));
  }
  return array;
}

json::object resolution_json(const Resolution& resolution,
                             const std::vector<PreviewRecipient>& recipients) {
  return json::object{{"role_id", resolution.role.value()},
                      {"via_role_id", id_or_null(resolution.via_role.value())},
                      {"fallback", resolution.fallback},
                      {"recipients", recipients_json(recipients)}};
}

json::object period_json(const AvailabilityPeriod& period) {
  return json::object{{"id", period.id.value()},
                      {"status", availability_name(period.status)},
                      {"starts_at", format_rfc3339(period.starts_at)},
                      {"ends_at", optional_time_json(period.ends_at)},
                      {"set_by", id_or_null(period.set_by.value())},
                      {"set_at", format_rfc3339(period.set_at)}};
}

// `text`, the time `name` holds in a request, read as RFC 3339.
Result<Timestamp> parse_time(std::string_view text, std::string_view name,
                             std::string_view example) {
  const auto parsed = parse_rfc3339(text);
  if (!parsed) {
    return error(Code::kInvalidArgument,
                 fmt::format("{} must be an RFC 3339 time in UTC, e.g. {}", name, example));
  }
  return *parsed;
}

Result<Timestamp> time_field(FieldReader& reader, std::string_view key) {
  return parse_time(WL_TRY(reader.required_string(key)), key, "2026-12-07T19:00:00Z");
}

Result<Timestamp> time_param(const Route& route, std::string_view name) {
  const auto text = route.param(name);
  if (!text) {
    return error(Code::kInvalidArgument, fmt::format("the query needs {}", name));
  }
  return parse_time(*text, name, "2026-12-07T00:00:00Z");
}

Result<RoleInput> role_input(const Call& call) {
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  RoleInput input;
  input.name = WL_TRY(reader.required_string("name"));
  input.kind = WL_TRY(role_kind_of(WL_TRY(reader.optional_string("kind", "role"))));
  input.description = WL_TRY(reader.optional_string("description"));
  input.fallback_role = RoleId(WL_TRY(reader.optional_int("fallback_role_id", 0)));
  input.fallback_user = UserId(WL_TRY(reader.optional_int("fallback_user_id", 0)));
  WL_TRY(reader.finish());
  return input;
}

Result<ShiftInput> shift_input(const Call& call) {
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  ShiftInput input;
  input.role = RoleId(WL_TRY(reader.required_int("role_id")));
  input.user = UserId(WL_TRY(reader.required_int("user_id")));
  input.starts_at = WL_TRY(time_field(reader, "starts_at"));
  input.ends_at = WL_TRY(time_field(reader, "ends_at"));
  input.time_zone = WL_TRY(reader.required_string("time_zone"));
  WL_TRY(reader.finish());
  return input;
}

Result<json::value> list_roles(const RoutingServices& services, const Call& call) {
  json::array roles;
  for (const RoleView& role : WL_TRY(services.routing.list_roles(call.actor))) {
    roles.push_back(role_json_of(role));
  }
  return json::object{{"roles", std::move(roles)}};
}

Result<json::value> create_role(const RoutingServices& services, const Call& call) {
  const RoleInput input = WL_TRY(role_input(call));
  const Role role = WL_TRY(services.routing.create_role(call.actor, input));
  return role_json_of(WL_TRY(services.routing.get_role(call.actor, role.id)));
}

Result<json::value> get_role(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "role id"));
  return role_json_of(WL_TRY(services.routing.get_role(call.actor, RoleId(id))));
}

Result<json::value> update_role(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "role id"));
  const RoleInput input = WL_TRY(role_input(call));
  WL_TRY(services.routing.update_role(call.actor, RoleId(id), input));
  return role_json_of(WL_TRY(services.routing.get_role(call.actor, RoleId(id))));
}

Result<json::value> preview_role(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "role id"));
  const Resolution resolution = WL_TRY(services.routing.preview(call.actor, RoleId(id)));
  return resolution_json(resolution,
                         WL_TRY(services.routing.with_availability(resolution.to, true)));
}

Result<json::value> preview_person(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "user id"));
  return json::object{{"recipients", recipients_json(WL_TRY(services.routing.preview_person(
                                         call.actor, UserId(id))))}};
}

Result<json::value> preview_thread(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "thread id"));
  return json::object{{"recipients", recipients_json(WL_TRY(services.routing.preview_thread(
                                         call.actor, ThreadId(id))))}};
}

Result<json::value> get_availability(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "user id"));
  const AvailabilityView view = WL_TRY(services.routing.availability(call.actor, UserId(id)));
  json::array periods;
  for (const AvailabilityPeriod& period : view.periods) {
    periods.push_back(period_json(period));
  }
  return json::object{{"user_id", view.now.user.value()},
                      {"status", availability_name(view.now.status)},
                      {"until", optional_time_json(view.now.until)},
                      {"periods", std::move(periods)}};
}

Result<std::optional<Timestamp>> optional_time_field(FieldReader& reader, std::string_view key) {
  const std::string text = WL_TRY(reader.optional_string(key));
  if (text.empty()) {
    return std::optional<Timestamp>();
  }
  return std::optional<Timestamp>(WL_TRY(parse_time(text, key, "2026-12-07T19:00:00Z")));
}

Result<json::value> set_availability(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "user id"));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  AvailabilityInput input;
  input.status = WL_TRY(availability_of(WL_TRY(reader.required_string("status"))));
  input.starts_at = WL_TRY(optional_time_field(reader, "starts_at"));
  input.ends_at = WL_TRY(optional_time_field(reader, "ends_at"));
  WL_TRY(reader.finish());
  return period_json(WL_TRY(services.routing.set_availability(call.actor, UserId(id), input)));
}

Result<json::value> get_forwarding(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "user id"));
  const auto forwarding = WL_TRY(services.routing.forwarding(call.actor, UserId(id)));
  return json::object{
      {"forwarding", forwarding ? json::value(forwarding_json(*forwarding)) : json::value()}};
}

Result<json::value> set_forwarding(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "user id"));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  ForwardingInput input;
  input.to_user = UserId(WL_TRY(reader.optional_int("to_user_id", 0)));
  input.to_role = RoleId(WL_TRY(reader.optional_int("to_role_id", 0)));
  input.starts_at = WL_TRY(optional_time_field(reader, "starts_at"));
  input.ends_at = WL_TRY(optional_time_field(reader, "ends_at"));
  WL_TRY(reader.finish());
  return json::object{{"forwarding", forwarding_json(WL_TRY(services.routing.set_forwarding(
                                         call.actor, UserId(id), input)))}};
}

Result<json::value> clear_forwarding(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "user id"));
  WL_TRY(services.routing.clear_forwarding(call.actor, UserId(id)));
  return json::value();
}

Result<json::value> delete_availability(const RoutingServices& services, const Call& call) {
  const auto user = WL_TRY(id_segment(call.route, 3, "user id"));
  const auto period = WL_TRY(id_segment(call.route, 5, "period id"));
  WL_TRY(services.routing.delete_availability(call.actor, UserId(user), AvailabilityId(period)));
  return json::value();
}

Result<json::value> open_role_thread(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "role id"));
  WL_TRY(parse_object(call.request.body.empty() ? std::string_view("{}") : call.request.body));
  const ThreadView view = WL_TRY(services.routing.open_role_thread(call.actor, RoleId(id)));
  json::object object = thread_json(view);
  object["existing"] = view.existing;
  return object;
}

Result<json::value> sign_in(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "role id"));
  WL_TRY(services.routing.sign_in(call.actor, RoleId(id)));
  return json::value();
}

Result<json::value> sign_out(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "role id"));
  std::int64_t user = call.actor.user.value();
  if (!call.request.body.empty()) {
    const auto body = WL_TRY(parse_object(call.request.body));
    FieldReader reader(body);
    user = WL_TRY(reader.optional_int("user_id", user));
    WL_TRY(reader.finish());
  }
  WL_TRY(services.routing.sign_out(call.actor, RoleId(id), UserId(user)));
  return json::value();
}

// {"client_id", "body"}: a hand-off note as the writer gives it (beside `also`, read by
// the caller, if named).
Result<HandOffNote> note_input(const json::object& object, std::string_view also = {}) {
  FieldReader reader(object);
  if (!also.empty()) {
    (void)reader.optional_int(also, 0);
  }
  HandOffNote note;
  note.client_id = WL_TRY(reader.required_string("client_id"));
  note.body = WL_TRY(reader.required_string("body"));
  WL_TRY(reader.finish());
  return note;
}

// {"user_id"}, with "note": {"client_id", "body"} to write a hand-off note first.
Result<json::value> hand_over(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "role id"));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const auto next = WL_TRY(reader.required_int("user_id"));
  std::optional<HandOffNote> note;
  if (const json::object* given = WL_TRY(reader.optional_object("note"))) {
    note = WL_TRY(note_input(*given));
  }
  WL_TRY(reader.finish());
  WL_TRY(services.routing.hand_over(call.actor, RoleId(id), UserId(next), note));
  return json::value();
}

json::object handoff_json(const HandOff& handoff) {
  return json::object{{"message_id", handoff.message_id.value()},
                      {"role_id", handoff.role_id.value()},
                      {"thread_id", handoff.thread_id.value()},
                      {"message_seq", handoff.message_seq},
                      {"from_user_id", handoff.from_user.value()},
                      {"to_user_id", handoff.to_user.value()},
                      {"created_at", format_rfc3339(handoff.created_at)},
                      {"accepted_at", optional_time_json(handoff.accepted_at)}};
}

// {"user_id", "client_id", "body"}: a hand-off note to the incoming holder.
Result<json::value> write_handoff(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "role id"));
  const auto body = WL_TRY(parse_object(call.request.body));
  const auto next = WL_TRY(FieldReader(body).required_int("user_id"));
  const auto note = WL_TRY(note_input(body, "user_id"));
  const SendResult sent =
      WL_TRY(services.routing.write_handoff(call.actor, RoleId(id), UserId(next), note));
  return json::object{{"message_id", sent.message.id.value()},
                      {"thread_id", sent.message.thread_id.value()},
                      {"seq", sent.message.seq},
                      {"duplicate", sent.duplicate}};
}

Result<json::value> list_handoffs(const RoutingServices& services, const Call& call) {
  json::array handoffs;
  for (const HandOff& handoff : WL_TRY(services.routing.pending_handoffs(call.actor))) {
    handoffs.push_back(handoff_json(handoff));
  }
  return json::object{{"handoffs", std::move(handoffs)}};
}

Result<json::value> accept_handoff(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "message id"));
  return handoff_json(WL_TRY(services.routing.accept_handoff(call.actor, EventId(id))));
}

Result<json::value> list_sign_ins(const RoutingServices& services, const Call& call) {
  const auto role = WL_TRY(int_param(call.route, "role_id", 0));
  const auto user = WL_TRY(int_param(call.route, "user_id", 0));
  json::array sign_ins;
  for (const RoleSignIn& sign_in :
       WL_TRY(services.routing.list_sign_ins(call.actor, RoleId(role), UserId(user)))) {
    sign_ins.push_back(json::object{{"role_id", sign_in.role_id.value()},
                                    {"user_id", sign_in.user_id.value()},
                                    {"since", format_rfc3339(sign_in.since)}});
  }
  return json::object{{"sign_ins", std::move(sign_ins)}};
}

Result<json::value> list_shifts(const RoutingServices& services, const Call& call) {
  const Timestamp from = WL_TRY(time_param(call.route, "from"));
  const Timestamp to = WL_TRY(time_param(call.route, "to"));
  const auto role = WL_TRY(int_param(call.route, "role_id", 0));
  const auto user = WL_TRY(int_param(call.route, "user_id", 0));
  json::array shifts;
  for (const Shift& shift :
       WL_TRY(services.routing.list_shifts(call.actor, RoleId(role), UserId(user), from, to))) {
    shifts.push_back(shift_json(shift));
  }
  return json::object{{"shifts", std::move(shifts)}};
}

Result<json::value> create_shift(const RoutingServices& services, const Call& call) {
  const ShiftInput input = WL_TRY(shift_input(call));
  return shift_json(WL_TRY(services.routing.save_shift(call.actor, ShiftId(), input)));
}

Result<json::value> update_shift(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "shift id"));
  const ShiftInput input = WL_TRY(shift_input(call));
  return shift_json(WL_TRY(services.routing.save_shift(call.actor, ShiftId(id), input)));
}

Result<json::value> delete_shift(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "shift id"));
  WL_TRY(services.routing.delete_shift(call.actor, ShiftId(id)));
  return json::value();
}

Result<json::value> start_import(const RoutingServices& services, const Call& call) {
  ScheduleImport file = WL_TRY(schedule_import_of(call));
  return import_status_json(WL_TRY(services.imports.start(call.actor, std::move(file))));
}

Result<json::value> get_import(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "import id"));
  return import_status_json(WL_TRY(services.imports.find(call.actor, id)));
}

Result<json::value> get_backups(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "user id"));
  return backups_json(WL_TRY(services.routing.backups(call.actor, UserId(id))));
}

Result<json::value> set_backups(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "user id"));
  std::vector<Backup> chain = WL_TRY(backups_input(call));
  WL_TRY(services.routing.set_backups(call.actor, UserId(id), std::move(chain)));
  return backups_json(WL_TRY(services.routing.backups(call.actor, UserId(id))));
}

json::object gatekeepers_json(const std::vector<UserId>& gatekeepers) {
  json::array ids;
  for (const UserId gatekeeper : gatekeepers) {
    ids.push_back(gatekeeper.value());
  }
  return json::object{{"user_ids", std::move(ids)}};
}

Result<json::value> get_gatekeepers(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "user id"));
  return gatekeepers_json(WL_TRY(services.routing.gatekeepers(call.actor, UserId(id))));
}

// {"user_ids": [5, 9]}: the gatekeepers in order; [] for none.
Result<json::value> set_gatekeepers(const RoutingServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "user id"));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const std::vector<std::int64_t> ids = WL_TRY(reader.int_array("user_ids", true));
  WL_TRY(reader.finish());
  if (ids.size() > kMaxGatekeepers) {
    return error(Code::kInvalidArgument,
                 fmt::format("a person has at most {} gatekeepers", kMaxGatekeepers));
  }
  std::vector<UserId> gatekeepers;
  for (const std::int64_t gatekeeper : ids) {
    if (gatekeeper <= 0) {
      return error(Code::kInvalidArgument, "user_ids are user ids");
    }
    gatekeepers.emplace_back(gatekeeper);
  }
  WL_TRY(services.routing.set_gatekeepers(call.actor, UserId(id), std::move(gatekeepers)));
  return gatekeepers_json(WL_TRY(services.routing.gatekeepers(call.actor, UserId(id))));
}

Result<json::value> get_policy(const RoutingServices& services, const Call& call) {
  return policy_json(WL_TRY(services.routing.policy(call.actor)));
}

Result<json::value> set_policy(const RoutingServices& services, const Call& call) {
  const EscalationPolicy policy = WL_TRY(policy_input(call));
  return policy_json(WL_TRY(services.routing.set_policy(call.actor, policy)));
}

constexpr RouteOf<RoutingServices> kRoutes[] = {
    {{"GET", "/api/v1/roles", Access::kSession, 0}, &list_roles},
    {{"POST", "/api/v1/roles", Access::kSession, kJsonBody}, &create_role},
    {{"GET", "/api/v1/roles/{id}", Access::kSession, 0}, &get_role},
    {{"PUT", "/api/v1/roles/{id}", Access::kSession, kJsonBody}, &update_role},
    {{"GET", "/api/v1/roles/{id}/preview", Access::kSession, 0}, &preview_role},
    {{"POST", "/api/v1/roles/{id}/thread", Access::kSession, kJsonBody}, &open_role_thread},
    {{"POST", "/api/v1/roles/{id}/sign-in", Access::kSession, kJsonBody}, &sign_in},
    {{"POST", "/api/v1/roles/{id}/sign-out", Access::kSession, kJsonBody}, &sign_out},
    {{"POST", "/api/v1/roles/{id}/hand-over", Access::kSession, kJsonBody}, &hand_over},
    {{"POST", "/api/v1/roles/{id}/handoff-notes", Access::kSession, kJsonBody}, &write_handoff},
    {{"GET", "/api/v1/handoffs", Access::kSession, 0}, &list_handoffs},
    {{"POST", "/api/v1/handoffs/{id}/accept", Access::kSession, 0}, &accept_handoff},
    {{"GET", "/api/v1/sign-ins", Access::kSession, 0}, &list_sign_ins},
    {{"GET", "/api/v1/shifts", Access::kSession, 0}, &list_shifts},
    {{"POST", "/api/v1/shifts", Access::kSession, kJsonBody}, &create_shift},
    {{"PUT", "/api/v1/shifts/{id}", Access::kSession, kJsonBody}, &update_shift},
    {{"DELETE", "/api/v1/shifts/{id}", Access::kSession, 0}, &delete_shift},
    {{"POST", "/api/v1/schedule-imports", Access::kSession, kScheduleFileBody}, &start_import},
    {{"GET", "/api/v1/schedule-imports/{id}", Access::kSession, 0}, &get_import},
    {{"GET", "/api/v1/users/{id}/backups", Access::kSession, 0}, &get_backups},
    {{"PUT", "/api/v1/users/{id}/backups", Access::kSession, kJsonBody}, &set_backups},
    {{"GET", "/api/v1/escalation-policy", Access::kSession, 0}, &get_policy},
    {{"GET", "/api/v1/users/{id}/availability", Access::kSession, 0}, &get_availability},
    {{"POST", "/api/v1/users/{id}/availability", Access::kSession, kJsonBody}, &set_availability},
    {{"DELETE", "/api/v1/users/{id}/availability/{id}", Access::kSession, 0}, &delete_availability},
    {{"GET", "/api/v1/users/{id}/forwarding", Access::kSession, 0}, &get_forwarding},
    {{"PUT", "/api/v1/users/{id}/forwarding", Access::kSession, kJsonBody}, &set_forwarding},
    {{"DELETE", "/api/v1/users/{id}/forwarding", Access::kSession, 0}, &clear_forwarding},
    {{"GET", "/api/v1/users/{id}/gatekeepers", Access::kSession, 0}, &get_gatekeepers},
    {{"PUT", "/api/v1/users/{id}/gatekeepers", Access::kSession, kJsonBody}, &set_gatekeepers},
    {{"GET", "/api/v1/users/{id}/preview", Access::kSession, 0}, &preview_person},
    {{"GET", "/api/v1/threads/{id}/preview", Access::kSession, 0}, &preview_thread},
    {{"PUT", "/api/v1/escalation-policy", Access::kSession, kJsonBody}, &set_policy},
};

}  // namespace

Result<ScheduleImport> schedule_import_of(const Call& call) {
  ScheduleImport file;
  const auto format = call.route.param("format");
  if (format == "ics") {
    file.format = ScheduleFormat::kICalendar;
  } else if (format == "csv") {
    file.format = ScheduleFormat::kCsv;
  } else {
    return error(Code::kInvalidArgument, "the query needs format=ics or format=csv");
  }
  file.default_time_zone = std::string(call.route.param("time_zone").value_or("UTC"));
  if (const auto starts = call.route.param("all_day_starts")) {
    const std::string text(*starts);
    int hours = 0;
    int minutes = 0;
    if (text.size() != 5 || text[2] != ':' ||
        std::sscanf(text.c_str(), "%2d:%2d", &hours, &minutes) != 2 || hours < 0 || hours > 23 ||
        minutes < 0 || minutes > 59) {
      return error(Code::kInvalidArgument, "all_day_starts must be a time of day such as 07:00");
    }
    file.all_day_starts = std::chrono::hours(hours) + std::chrono::minutes(minutes);
  }
  file.text = call.request.body;
  return file;
}

json::object role_json(const RoleView& view) { return role_json_of(view); }

json::object backups_json(const std::vector<Backup>& chain) {
  json::array steps;
  for (const Backup& step : chain) {
    steps.push_back(step.user.is_set() ? json::object{{"user_id", step.user.value()}}
                                       : json::object{{"role_id", step.role.value()}});
  }
  return json::object{{"backups", std::move(steps)}};
}

// {"backups": [{"user_id": 5}, {"role_id": 3}, ...]}, each step one of the two.
Result<std::vector<Backup>> backups_input(const Call& call) {
  const auto body = WL_TRY(parse_object(call.request.body));
  const auto* steps = body.if_contains("backups");
  if (steps == nullptr || !steps->is_array()) {
    return error(Code::kInvalidArgument, "backups must be an array");
  }
  if (body.size() != 1) {
    return error(Code::kInvalidArgument, "the body has only backups");
  }
  if (steps->as_array().size() > kMaxBackups) {
    return error(Code::kInvalidArgument,
                 fmt::format("a backup chain has at most {} steps", kMaxBackups));
  }
  std::vector<Backup> chain;
  for (const json::value& value : steps->as_array()) {
    if (!value.is_object()) {
      return error(Code::kInvalidArgument, "each backup is an object with user_id or role_id");
    }
    FieldReader reader(value.as_object());
    Backup step;
    step.user = UserId(WL_TRY(reader.optional_int("user_id", 0)));
    step.role = RoleId(WL_TRY(reader.optional_int("role_id", 0)));
    WL_TRY(reader.finish());
    if (step.user.value() < 0 || step.role.value() < 0 ||
        step.user.is_set() == step.role.is_set()) {
      return error(Code::kInvalidArgument, "each backup has exactly one of user_id and role_id");
    }
    chain.push_back(step);
  }
  return chain;
}

json::object policy_json(const EscalationPolicy& policy) {
  return json::object{
      {"normal_after_seconds", policy.normal_after.count()},
      {"urgent_after_seconds", policy.urgent_after.count()},
      {"realert_every_seconds", policy.realert_every.count()},
      {"updated_by", id_or_null(policy.updated_by.value())},
      {"updated_at", policy.updated_by.is_set() ? json::value(format_rfc3339(policy.updated_at))
                                                : json::value()}};
}

Result<EscalationPolicy> policy_input(const Call& call) {
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  EscalationPolicy policy;
  policy.normal_after = std::chrono::seconds(WL_TRY(reader.required_int("normal_after_seconds")));
  policy.urgent_after = std::chrono::seconds(WL_TRY(reader.required_int("urgent_after_seconds")));
  policy.realert_every = std::chrono::seconds(WL_TRY(reader.required_int("realert_every_seconds")));
  WL_TRY(reader.finish());
  return policy;
}

Result<RoleInput> role_input_of(const Call& call) { return role_input(call); }

json::object import_status_json(const ImportStatus& status) {
  json::object object{{"id", status.id}, {"done", status.done}, {"total", status.total}};
  switch (status.state) {
    case ImportStatus::State::kRunning:
      object["state"] = "running";
      break;
    case ImportStatus::State::kDone:
      object["state"] = "done";
      break;
    case ImportStatus::State::kFailed:
      object["state"] = "failed";
      break;
  }
  if (status.state == ImportStatus::State::kDone) {
    const ImportReport& report = status.report;
    json::array problems;
    for (const ScheduleProblem& problem : report.problems) {
      problems.push_back(json::object{{"where", problem.where}, {"reason", problem.reason}});
    }
    object["report"] = json::object{
        {"entries", report.entries},       {"rows", report.rows},
        {"created", report.created},       {"updated", report.updated},
        {"unchanged", report.unchanged},   {"deleted", report.deleted},
        {"problems", std::move(problems)}, {"problems_not_listed", report.problems_not_listed}};
  } else {
    object["report"] = nullptr;
  }
  if (status.state == ImportStatus::State::kFailed && status.error) {
    object["error"] = json::object{{"code", code_name(status.error->code())},
                                   {"message", status.error->message()}};
  } else {
    object["error"] = nullptr;
  }
  return object;
}

std::span<const RouteOf<RoutingServices>> routing_routes() { return kRoutes; }

}  // namespace wl::api
