#include "api/routes/system_routes.hpp"

#include <chrono>
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/fields.hpp"
#include "api/json_codec.hpp"
#include "api/routes/routing_routes.hpp"
#include "api/schedule_imports.hpp"
#include "core/time.hpp"
#include "net/server.hpp"
#include "services/directory/directory_service.hpp"
#include "services/identity/identity_service.hpp"
#include "services/patients/patient_service.hpp"
#include "services/routing/routing_service.hpp"

namespace wl::api {
namespace {
namespace json = boost::json;

// Every route of this file: /api/v1/system/<resource>/{id}/...
constexpr std::size_t kIdSegment = 4;

json::object org_json(const Org& org) {
  return json::object{{"id", org.id.value()},
                      {"name", org.name},
                      {"idle_lock_seconds", org.idle_lock.count()},
                      {"created_at", format_rfc3339(org.created_at)}};
}

// A user as the system sees it: the directory fields and the account's state.
json::object system_user_json(const User& user) {
  return json::object{{"id", user.id.value()},
                      {"org_id", user.org_id.value()},
                      {"username", user.username},
                      {"display_name", user.display_name},
                      {"title", user.title},
                      {"department", user.department},
                      {"is_admin", user.is_admin},
                      {"is_operator", user.is_operator},
                      {"is_scheduler", user.is_scheduler},
                      {"disabled", user.disabled}};
}

Result<OrgId> org_segment(const Call& call) {
  return OrgId(WL_TRY(id_segment(call.route, kIdSegment, "org id")));
}

Result<UserId> user_segment(const Call& call) {
  return UserId(WL_TRY(id_segment(call.route, kIdSegment, "user id")));
}

// The system principal acting inside `org` (which exists): as its administrator and
// scheduler, for the org's roles and schedules.
Result<Principal> acting_in(const SystemServices& services, const Call& call, OrgId org) {
  WL_TRY(services.identity.find_org(call.actor, org));
  Principal acting = call.actor;
  acting.org = org;
  acting.is_admin = true;
  acting.is_scheduler = true;
  return acting;
}

Result<json::value> list_orgs(const SystemServices& services, const Call& call) {
  json::array orgs;
  for (const Org& org : WL_TRY(services.identity.list_orgs(call.actor))) {
    orgs.push_back(org_json(org));
  }
  return json::object{{"orgs", std::move(orgs)}};
}

Result<json::value> create_org(const SystemServices& services, const Call& call) {
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const std::string name = WL_TRY(reader.required_string("name"));
  WL_TRY(reader.finish());
  return org_json(WL_TRY(services.identity.create_org(call.actor, name)));
}

Result<json::value> set_idle_lock(const SystemServices& services, const Call& call) {
  const OrgId org = WL_TRY(org_segment(call));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const auto seconds = WL_TRY(reader.required_int("idle_lock_seconds"));
  WL_TRY(reader.finish());
  WL_TRY(services.identity.find_org(call.actor, org));
  WL_TRY(services.identity.set_idle_lock(call.actor, org, std::chrono::seconds(seconds)));
  return json::object{{"idle_lock_seconds", seconds}};
}

Result<json::value> list_users(const SystemServices& services, const Call& call) {
  const OrgId org = WL_TRY(org_segment(call));
  json::array users;
  for (const User& user : WL_TRY(services.identity.list_org_users(call.actor, org))) {
    users.push_back(system_user_json(user));
  }
  return json::object{{"users", std::move(users)}};
}

Result<json::value> create_user(const SystemServices& services, const Call& call) {
  const OrgId org = WL_TRY(org_segment(call));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const std::string username = reader.keep(reader.required_string("username"));
  const std::string display_name = reader.keep(reader.required_string("display_name"));
  const std::string title = reader.keep(reader.optional_string("title"));
  const std::string password = reader.keep(reader.required_string("password"));
  const bool is_admin = reader.keep(reader.optional_bool("is_admin", false));
  WL_TRY(reader.finish());
  WL_TRY(services.identity.find_org(call.actor, org));
  const User created = WL_TRY(services.identity.create_user(call.actor, org, username, display_name,
                                                            title, password, is_admin));
  return system_user_json(created);
}

Result<json::value> set_password(const SystemServices& services, const Call& call) {
  const UserId user = WL_TRY(user_segment(call));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const std::string password = WL_TRY(reader.required_string("password"));
  WL_TRY(reader.finish());
  WL_TRY(services.identity.set_password(call.actor, user, password));
  return json::value();
}

Result<json::value> set_disabled(const SystemServices& services, const Call& call) {
  const UserId user = WL_TRY(user_segment(call));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const bool disabled = WL_TRY(reader.required_bool("disabled"));
  WL_TRY(reader.finish());
  WL_TRY(services.identity.set_disabled(call.actor, user, disabled));
  return json::value();
}

Result<json::value> set_operator(const SystemServices& services, const Call& call) {
  const UserId user = WL_TRY(user_segment(call));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const bool is_operator = WL_TRY(reader.required_bool("is_operator"));
  WL_TRY(reader.finish());
  // The grant names a user that must exist (SetUserOperator alone would say nothing).
  WL_TRY(services.identity.find_user(call.actor, user));
  WL_TRY(services.identity.set_operator(call.actor, user, is_operator));
  return json::value();
}

Result<json::value> set_scheduler(const SystemServices& services, const Call& call) {
  const UserId user = WL_TRY(user_segment(call));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const bool is_scheduler = WL_TRY(reader.required_bool("is_scheduler"));
  WL_TRY(reader.finish());
  WL_TRY(services.identity.set_scheduler(call.actor, user, is_scheduler));
  return json::value();
}

Result<json::value> set_directory(const SystemServices& services, const Call& call) {
  const UserId user = WL_TRY(user_segment(call));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const std::string title = reader.keep(reader.required_string("title"));
  const std::string department = reader.keep(reader.required_string("department"));
  WL_TRY(reader.finish());
  return system_user_json(
      WL_TRY(services.directory.set_user_directory(call.actor, user, title, department)));
}

Result<json::value> list_roles(const SystemServices& services, const Call& call) {
  const Principal acting = WL_TRY(acting_in(services, call, WL_TRY(org_segment(call))));
  json::array roles;
  for (const RoleView& role : WL_TRY(services.routing.list_roles(acting))) {
    roles.push_back(role_json(role));
  }
  return json::object{{"roles", std::move(roles)}};
}

Result<json::value> create_role(const SystemServices& services, const Call& call) {
  const Principal acting = WL_TRY(acting_in(services, call, WL_TRY(org_segment(call))));
  const RoleInput input = WL_TRY(role_input_of(call));
  const Role role = WL_TRY(services.routing.create_role(acting, input));
  return role_json(WL_TRY(services.routing.get_role(acting, role.id)));
}

Result<json::value> set_escalation_policy(const SystemServices& services, const Call& call) {
  const Principal acting = WL_TRY(acting_in(services, call, WL_TRY(org_segment(call))));
  const EscalationPolicy policy = WL_TRY(policy_input(call));
  return policy_json(WL_TRY(services.routing.set_policy(acting, policy)));
}

Result<json::value> set_backups(const SystemServices& services, const Call& call) {
  const Principal acting = WL_TRY(acting_in(services, call, WL_TRY(org_segment(call))));
  const auto user = UserId(WL_TRY(id_segment(call.route, kIdSegment + 2, "user id")));
  std::vector<Backup> chain = WL_TRY(backups_input(call));
  WL_TRY(services.routing.set_backups(acting, user, std::move(chain)));
  return backups_json(WL_TRY(services.routing.backups(acting, user)));
}

Result<json::value> start_import(const SystemServices& services, const Call& call) {
  const Principal acting = WL_TRY(acting_in(services, call, WL_TRY(org_segment(call))));
  ScheduleImport file = WL_TRY(schedule_import_of(call));
  return import_status_json(WL_TRY(services.imports.start(acting, std::move(file))));
}

Result<json::value> get_import(const SystemServices& services, const Call& call) {
  const Principal acting = WL_TRY(acting_in(services, call, WL_TRY(org_segment(call))));
  const auto id = WL_TRY(id_segment(call.route, kIdSegment + 2, "import id"));
  return import_status_json(WL_TRY(services.imports.find(acting, id)));
}

Result<json::value> list_devices(const SystemServices& services, const Call& call) {
  const UserId user = WL_TRY(user_segment(call));
  json::array devices;
  for (const DeviceView& device : WL_TRY(services.identity.list_devices(call.actor, user))) {
    devices.push_back(json::object{{"id", device.id.value()},
                                   {"name", device.name},
                                   {"created_at", format_rfc3339(device.created_at)},
                                   {"last_seen", format_rfc3339(device.last_seen)},
                                   {"revoked", device.revoked}});
  }
  return json::object{{"devices", std::move(devices)}};
}

Result<json::value> revoke_device(const SystemServices& services, const Call& call) {
  const auto device = WL_TRY(id_segment(call.route, kIdSegment, "device id"));
  WL_TRY(services.identity.revoke_device(call.actor, DeviceId(device)));
  return json::value();
}

Result<json::value> upsert_patient(const SystemServices& services, const Call& call) {
  const OrgId org = WL_TRY(org_segment(call));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  PatientView fields;
  fields.mrn = reader.keep(reader.required_string("mrn"));
  fields.name = reader.keep(reader.required_string("name"));
  fields.date_of_birth = reader.keep(reader.optional_string("date_of_birth"));
  fields.location = reader.keep(reader.optional_string("location"));
  fields.attending = reader.keep(reader.optional_string("attending"));
  WL_TRY(reader.finish());
  WL_TRY(services.identity.find_org(call.actor, org));
  return patient_json(WL_TRY(services.patients.upsert(call.actor, org, fields)));
}

Result<json::value> rotate_keys(const SystemServices& services, const Call& call) {
  const std::size_t orgs = WL_TRY(services.identity.rotate_keys(call.actor));
  return json::object{{"orgs", orgs}};
}

constexpr RouteOf<SystemServices> kRoutes[] = {
    {{"GET", "/api/v1/system/orgs", Access::kAdminToken, 0}, &list_orgs},
    {{"POST", "/api/v1/system/orgs", Access::kAdminToken, kJsonBody}, &create_org},
    {{"PUT", "/api/v1/system/orgs/{id}/idle-lock", Access::kAdminToken, kJsonBody}, &set_idle_lock},
    {{"GET", "/api/v1/system/orgs/{id}/users", Access::kAdminToken, 0}, &list_users},
    {{"POST", "/api/v1/system/orgs/{id}/users", Access::kAdminToken, kJsonBody}, &create_user},
    {{"POST", "/api/v1/system/orgs/{id}/patients", Access::kAdminToken, kJsonBody},
     &upsert_patient},
    {{"PUT", "/api/v1/system/users/{id}/password", Access::kAdminToken, kJsonBody}, &set_password},
    {{"PUT", "/api/v1/system/users/{id}/disabled", Access::kAdminToken, kJsonBody}, &set_disabled},
    {{"PUT", "/api/v1/system/users/{id}/operator", Access::kAdminToken, kJsonBody}, &set_operator},
    {{"PUT", "/api/v1/system/users/{id}/scheduler", Access::kAdminToken, kJsonBody},
     &set_scheduler},
    {{"PUT", "/api/v1/system/users/{id}/directory", Access::kAdminToken, kJsonBody},
     &set_directory},
    {{"GET", "/api/v1/system/orgs/{id}/roles", Access::kAdminToken, 0}, &list_roles},
    {{"POST", "/api/v1/system/orgs/{id}/roles", Access::kAdminToken, kJsonBody}, &create_role},
    {{"PUT", "/api/v1/system/orgs/{id}/escalation-policy", Access::kAdminToken, kJsonBody},
     &set_escalation_policy},
    {{"PUT", "/api/v1/system/orgs/{id}/users/{id}/backups", Access::kAdminToken, kJsonBody},
     &set_backups},
    {{"POST", "/api/v1/system/orgs/{id}/schedule-imports", Access::kAdminToken, kScheduleFileBody},
     &start_import},
    {{"GET", "/api/v1/system/orgs/{id}/schedule-imports/{id}", Access::kAdminToken, 0},
     &get_import},
    {{"GET", "/api/v1/system/users/{id}/devices", Access::kAdminToken, 0}, &list_devices},
    {{"DELETE", "/api/v1/system/devices/{id}", Access::kAdminToken, 0}, &revoke_device},
    {{"POST", "/api/v1/system/keys/rotate", Access::kAdminToken, kJsonBody}, &rotate_keys},
};

}  // namespace

std::span<const RouteOf<SystemServices>> system_routes() { return kRoutes; }

}  // namespace wl::api
