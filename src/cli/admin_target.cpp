#include "cli/admin_target.hpp"

#include <cctype>
#include <chrono>
#include <iostream>
#include <optional>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "cli/run_file.hpp"
#include "core/time.hpp"
#include "net/client.hpp"

namespace wl::cli {
namespace {
namespace json = boost::json;

Status no_org(std::string_view name) {
  return Status(Code::kNotFound, fmt::format("no org named '{}'", name));
}

Status no_user(const UserName& user) {
  return Status(Code::kNotFound, fmt::format("no user '{}' in '{}'", user.username, user.org));
}

// ---- The stopped store ----

// The services over the data directory, as the system principal.
class LocalTarget final : public AdminTarget {
 public:
  explicit LocalTarget(std::unique_ptr<Runtime> runtime) : runtime_(std::move(runtime)) {}

  Result<Org> create_org(std::string_view name) override {
    return runtime_->identity().create_org(system_, name);
  }
  Result<std::vector<Org>> list_orgs() override { return runtime_->identity().list_orgs(system_); }
  Result<Org> set_idle_lock(std::string_view org, std::chrono::seconds idle_lock) override {
    const Org found = WL_TRY(find_org(org));
    WL_TRY(runtime_->identity().set_idle_lock(system_, found.id, idle_lock));
    return found;
  }
  Result<User> create_user(const NewUserRequest& request) override {
    const Org found = WL_TRY(find_org(request.org));
    return runtime_->identity().create_user(system_, found.id, request.username,
                                            request.display_name, request.title, request.password,
                                            request.is_admin);
  }
  Result<std::vector<User>> list_users(std::string_view org) override {
    const Org found = WL_TRY(find_org(org));
    return runtime_->identity().list_org_users(system_, found.id);
  }
  Result<User> set_password(const UserName& user, std::string_view password) override {
    const User found = WL_TRY(find_user(user));
    WL_TRY(runtime_->identity().set_password(system_, found.id, password));
    return found;
  }
  Result<User> set_disabled(const UserName& user, bool disabled) override {
    const User found = WL_TRY(find_user(user));
    WL_TRY(runtime_->identity().set_disabled(system_, found.id, disabled));
    return found;
  }
  Result<User> set_operator(const UserName& user, bool is_operator) override {
    const User found = WL_TRY(find_user(user));
    WL_TRY(runtime_->identity().set_operator(system_, found.id, is_operator));
    return found;
  }
  Result<User> set_scheduler(const UserName& user, bool is_scheduler) override {
    const User found = WL_TRY(find_user(user));
    WL_TRY(runtime_->identity().set_scheduler(system_, found.id, is_scheduler));
    return found;
  }
  Result<User> set_directory(const UserName& user, std::string_view title,
                             std::string_view department) override {
    const User found = WL_TRY(find_user(user));
    return runtime_->directory().set_user_directory(system_, found.id, title, department);
  }
  Result<std::vector<Role>> list_roles(std::string_view org) override {
    std::vector<Role> roles;
    for (RoleView& view : WL_TRY(runtime_->routing().list_roles(WL_TRY(acting_in(org))))) {
      roles.push_back(std::move(view.role));
    }
    return roles;
  }
  Result<Role> create_role(std::string_view org, const RoleInput& role) override {
    return runtime_->routing().create_role(WL_TRY(acting_in(org)), role);
  }
  Result<EscalationPolicy> set_escalation_policy(std::string_view org,
                                                 const EscalationPolicy& policy) override {
    return runtime_->routing().set_policy(WL_TRY(acting_in(org)), policy);
  }
  Result<void> set_backups(const UserName& user, std::vector<Backup> chain) override {
    const User found = WL_TRY(find_user(user));
    return runtime_->routing().set_backups(WL_TRY(acting_in(user.org)), found.id, std::move(chain));
  }
  Result<ImportReport> import_schedule(std::string_view org, const ScheduleImport& file,
                                       const ImportProgress& progress) override {
    return runtime_->routing().import_schedule(WL_TRY(acting_in(org)), file, progress);
  }
  Result<std::vector<DeviceView>> list_devices(const UserName& user) override {
    const User found = WL_TRY(find_user(user));
    return runtime_->identity().list_devices(system_, found.id);
  }
  Result<void> revoke_device(DeviceId device) override {
    return runtime_->identity().revoke_device(system_, device);
  }
  Result<PatientView> upsert_patient(std::string_view org, const PatientView& fields) override {
    const Org found = WL_TRY(find_org(org));
    return runtime_->patients().upsert(system_, found.id, fields);
  }
  Result<std::size_t> rotate_keys() override { return runtime_->identity().rotate_keys(system_); }
  Result<std::int64_t> write_providers(std::vector<Provider> providers) override {
    return runtime_->providers().write_providers(system_, std::move(providers));
  }
  Result<std::int64_t> write_taxonomies(std::vector<TaxonomyCode> codes) override {
    return runtime_->providers().write_taxonomies(system_, std::move(codes));
  }
  Result<void> record_npi_import(const NpiImportReport& report) override {
    return runtime_->providers().record_import(system_, report);
  }

  Result<void> finish() override {
    // No server runs beside this process to sign later, so sign now (also after a
    // failed command: a refusal may have been audited).
    if (runtime_->has_written_audit()) {
      WL_TRY(runtime_->sign_audit_checkpoint());
    }
    return ok();
  }

 private:
  Result<Org> find_org(std::string_view name) {
    auto org = runtime_->store().find_org_by_name(name);
    if (!org && org.error().code() == Code::kNotFound) {
      return std::unexpected(no_org(name));
    }
    return org;
  }
  Result<User> find_user(const UserName& user) {
    const Org org = WL_TRY(find_org(user.org));
    auto found = runtime_->store().find_user_by_name(org.id, user.username);
    if (!found && found.error().code() == Code::kNotFound) {
      return std::unexpected(no_user(user));
    }
    return found;
  }
  // The system acting inside the org, as its administrator and scheduler (as the
  // server's system routes do).
  Result<Principal> acting_in(std::string_view org) {
    Principal acting = system_;
    acting.org = WL_TRY(find_org(org)).id;
    acting.is_admin = true;
    acting.is_scheduler = true;
    return acting;
  }

  std::unique_ptr<Runtime> runtime_;
  const Principal system_ = IdentityService::system_principal();
};

// ---- The running server ----

std::optional<Code> code_named(std::string_view name) {
  for (int value = 0; value <= static_cast<int>(Code::kSessionLocked); ++value) {
    if (code_name(static_cast<Code>(value)) == name) {
      return static_cast<Code>(value);
    }
  }
  return std::nullopt;
}

// Reads what the server sent, refusing what is not the shape docs/protocol.md gives.
Status bad_answer() { return Status(Code::kInternal, "the server's answer is not as documented"); }

Result<std::string> text_of(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) {
    return std::unexpected(bad_answer());
  }
  return std::string(value->as_string());
}

Result<std::int64_t> int_of(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_int64()) {
    return std::unexpected(bad_answer());
  }
  return value->as_int64();
}

Result<bool> bool_of(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_bool()) {
    return std::unexpected(bad_answer());
  }
  return value->as_bool();
}

Result<Timestamp> time_of(const json::object& object, std::string_view key) {
  const auto parsed = parse_rfc3339(WL_TRY(text_of(object, key)));
  if (!parsed) {
    return std::unexpected(bad_answer());
  }
  return *parsed;
}

Result<const json::object*> object_of(const json::value& value) {
  if (!value.is_object()) {
    return std::unexpected(bad_answer());
  }
  return &value.as_object();
}

// The array at `key` of an answer object.
Result<const json::array*> array_of(const json::value& value, std::string_view key) {
  const json::object* object = WL_TRY(object_of(value));
  const json::value* array = object->if_contains(key);
  if (array == nullptr || !array->is_array()) {
    return std::unexpected(bad_answer());
  }
  return &array->as_array();
}

Result<Org> org_from(const json::value& value) {
  const json::object& object = *WL_TRY(object_of(value));
  Org org;
  org.id = OrgId(WL_TRY(int_of(object, "id")));
  org.name = WL_TRY(text_of(object, "name"));
  org.idle_lock = std::chrono::seconds(WL_TRY(int_of(object, "idle_lock_seconds")));
  org.created_at = WL_TRY(time_of(object, "created_at"));
  return org;
}

Result<User> user_from(const json::value& value) {
  const json::object& object = *WL_TRY(object_of(value));
  User user;
  user.id = UserId(WL_TRY(int_of(object, "id")));
  user.org_id = OrgId(WL_TRY(int_of(object, "org_id")));
  user.username = WL_TRY(text_of(object, "username"));
  user.display_name = WL_TRY(text_of(object, "display_name"));
  user.title = WL_TRY(text_of(object, "title"));
  user.department = WL_TRY(text_of(object, "department"));
  user.is_admin = WL_TRY(bool_of(object, "is_admin"));
  user.is_operator = WL_TRY(bool_of(object, "is_operator"));
  user.is_scheduler = WL_TRY(bool_of(object, "is_scheduler"));
  user.disabled = WL_TRY(bool_of(object, "disabled"));
  return user;
}

Result<DeviceView> device_from(const json::value& value) {
  const json::object& object = *WL_TRY(object_of(value));
  DeviceView device;
  device.id = DeviceId(WL_TRY(int_of(object, "id")));
  device.name = WL_TRY(text_of(object, "name"));
  device.created_at = WL_TRY(time_of(object, "created_at"));
  device.last_seen = WL_TRY(time_of(object, "last_seen"));
  device.revoked = WL_TRY(bool_of(object, "revoked"));
  return device;
}

// `text` as a query value: every byte but RFC 3986's unreserved ones percent-encoded.
std::string url_encode(std::string_view text) {
  std::string encoded;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded.push_back(c);
    } else {
      encoded += fmt::format("%{:02X}", byte);
    }
  }
  return encoded;
}

Result<Role> role_from(const json::value& value) {
  const json::object& object = *WL_TRY(object_of(value));
  Role role;
  role.id = RoleId(WL_TRY(int_of(object, "id")));
  role.name = WL_TRY(text_of(object, "name"));
  role.description = WL_TRY(text_of(object, "description"));
  const std::string kind = WL_TRY(text_of(object, "kind"));
  role.kind = kind == "unit" ? RoleKind::kUnit : kind == "room" ? RoleKind::kRoom : RoleKind::kRole;
  const json::value* fallback_role = object.if_contains("fallback_role_id");
  const json::value* fallback_user = object.if_contains("fallback_user_id");
  if (fallback_role != nullptr && fallback_role->is_int64()) {
    role.fallback_role = RoleId(fallback_role->as_int64());
  }
  if (fallback_user != nullptr && fallback_user->is_int64()) {
    role.fallback_user = UserId(fallback_user->as_int64());
  }
  return role;
}

Result<ImportReport> import_report_from(const json::value& value) {
  const json::object& object = *WL_TRY(object_of(value));
  ImportReport report;
  auto count = [&object](std::string_view key) -> Result<std::size_t> {
    return static_cast<std::size_t>(WL_TRY(int_of(object, key)));
  };
  report.entries = WL_TRY(count("entries"));
  report.rows = WL_TRY(count("rows"));
  report.created = WL_TRY(count("created"));
  report.updated = WL_TRY(count("updated"));
  report.unchanged = WL_TRY(count("unchanged"));
  report.deleted = WL_TRY(count("deleted"));
  report.problems_not_listed = WL_TRY(count("problems_not_listed"));
  for (const json::value& each : *WL_TRY(array_of(value, "problems"))) {
    const json::object& problem = *WL_TRY(object_of(each));
    report.problems.push_back(
        ScheduleProblem{WL_TRY(text_of(problem, "where")), WL_TRY(text_of(problem, "reason"))});
  }
  return report;
}

Result<PatientView> patient_from(const json::value& value) {
  const json::object& object = *WL_TRY(object_of(value));
  PatientView patient;
  patient.id = PatientId(WL_TRY(int_of(object, "id")));
  patient.mrn = WL_TRY(text_of(object, "mrn"));
  patient.name = WL_TRY(text_of(object, "name"));
  patient.date_of_birth = WL_TRY(text_of(object, "date_of_birth"));
  patient.location = WL_TRY(text_of(object, "location"));
  patient.attending = WL_TRY(text_of(object, "attending"));
  patient.updated_at = WL_TRY(time_of(object, "updated_at"));
  return patient;
}

// The server's admin API, over one keep-alive HTTPS connection to the address of the
// run file, trusting only the certificate key it names.
class RemoteTarget final : public AdminTarget {
 public:
  // Errors: as HttpsClient::request if the server does not answer /healthz.
  static Result<std::unique_ptr<RemoteTarget>> connect(const RunFile& run) {
    net::ClientOptions options;
    options.host = run.address;
    options.port = run.port;
    options.certificate_pin = run.certificate_pin;
    options.timeout = std::chrono::seconds(30);  // Argon2id and a commit per call.
    auto target = std::unique_ptr<RemoteTarget>(new RemoteTarget(options, run.admin_token));
    const net::Response health = WL_TRY(target->http_.request("GET", "/healthz"));
    if (health.status != 200) {
      return error(Code::kUnavailable, "the server is not ready");
    }
    return target;
  }

  Result<Org> create_org(std::string_view name) override {
    return org_from(WL_TRY(call("POST", "/api/v1/system/orgs", json::object{{"name", name}})));
  }
  Result<std::vector<Org>> list_orgs() override {
    const json::value answer = WL_TRY(call("GET", "/api/v1/system/orgs"));
    std::vector<Org> orgs;
    for (const json::value& each : *WL_TRY(array_of(answer, "orgs"))) {
      orgs.push_back(WL_TRY(org_from(each)));
    }
    return orgs;
  }
  Result<Org> set_idle_lock(std::string_view org, std::chrono::seconds idle_lock) override {
    const Org found = WL_TRY(find_org(org));
    WL_TRY(call("PUT", fmt::format("/api/v1/system/orgs/{}/idle-lock", found.id.value()),
                json::object{{"idle_lock_seconds", idle_lock.count()}}));
    return found;
  }
  Result<User> create_user(const NewUserRequest& request) override {
    const Org found = WL_TRY(find_org(request.org));
    return user_from(
        WL_TRY(call("POST", fmt::format("/api/v1/system/orgs/{}/users", found.id.value()),
                    json::object{{"username", request.username},
                                 {"display_name", request.display_name},
                                 {"title", request.title},
                                 {"password", request.password},
                                 {"is_admin", request.is_admin}})));
  }
  Result<std::vector<User>> list_users(std::string_view org) override {
    const Org found = WL_TRY(find_org(org));
    return users_of(found);
  }
  Result<User> set_password(const UserName& user, std::string_view password) override {
    const User found = WL_TRY(find_user(user));
    WL_TRY(call("PUT", fmt::format("/api/v1/system/users/{}/password", found.id.value()),
                json::object{{"password", password}}));
    return found;
  }
  Result<User> set_disabled(const UserName& user, bool disabled) override {
    const User found = WL_TRY(find_user(user));
    WL_TRY(call("PUT", fmt::format("/api/v1/system/users/{}/disabled", found.id.value()),
                json::object{{"disabled", disabled}}));
    return found;
  }
  Result<User> set_operator(const UserName& user, bool is_operator) override {
    const User found = WL_TRY(find_user(user));
    WL_TRY(call("PUT", fmt::format("/api/v1/system/users/{}/operator", found.id.value()),
                json::object{{"is_operator", is_operator}}));
    return found;
  }
  Result<User> set_scheduler(const UserName& user, bool is_scheduler) override {
    const User found = WL_TRY(find_user(user));
    WL_TRY(call("PUT", fmt::format("/api/v1/system/users/{}/scheduler", found.id.value()),
                json::object{{"is_scheduler", is_scheduler}}));
    return found;
  }
  Result<User> set_directory(const UserName& user, std::string_view title,
                             std::string_view department) override {
    const User found = WL_TRY(find_user(user));
    return user_from(
        WL_TRY(call("PUT", fmt::format("/api/v1/system/users/{}/directory", found.id.value()),
                    json::object{{"title", title}, {"department", department}})));
  }
  Result<std::vector<Role>> list_roles(std::string_view org) override {
    const Org found = WL_TRY(find_org(org));
    const json::value answer =
        WL_TRY(call("GET", fmt::format("/api/v1/system/orgs/{}/roles", found.id.value())));
    std::vector<Role> roles;
    for (const json::value& each : *WL_TRY(array_of(answer, "roles"))) {
      roles.push_back(WL_TRY(role_from(each)));
    }
    return roles;
  }
  Result<Role> create_role(std::string_view org, const RoleInput& role) override {
    const Org found = WL_TRY(find_org(org));
    json::object body{{"name", role.name},
                      {"kind", role.kind == RoleKind::kUnit   ? "unit"
                               : role.kind == RoleKind::kRoom ? "room"
                                                              : "role"},
                      {"description", role.description}};
    if (role.fallback_role.is_set()) {
      body["fallback_role_id"] = role.fallback_role.value();
    }
    if (role.fallback_user.is_set()) {
      body["fallback_user_id"] = role.fallback_user.value();
    }
    return role_from(
        WL_TRY(call("POST", fmt::format("/api/v1/system/orgs/{}/roles", found.id.value()), body)));
  }
  Result<EscalationPolicy> set_escalation_policy(std::string_view org,
                                                 const EscalationPolicy& policy) override {
    const Org found = WL_TRY(find_org(org));
    WL_TRY(call("PUT", fmt::format("/api/v1/system/orgs/{}/escalation-policy", found.id.value()),
                json::object{{"normal_after_seconds", policy.normal_after.count()},
                             {"urgent_after_seconds", policy.urgent_after.count()},
                             {"realert_every_seconds", policy.realert_every.count()}}));
    return policy;
  }
  Result<void> set_backups(const UserName& user, std::vector<Backup> chain) override {
    const Org org = WL_TRY(find_org(user.org));
    const User found = WL_TRY(find_user(user));
    json::array steps;
    for (const Backup& step : chain) {
      steps.push_back(step.user.is_set() ? json::object{{"user_id", step.user.value()}}
                                         : json::object{{"role_id", step.role.value()}});
    }
    WL_TRY(call(
        "PUT",
        fmt::format("/api/v1/system/orgs/{}/users/{}/backups", org.id.value(), found.id.value()),
        json::object{{"backups", std::move(steps)}}));
    return ok();
  }
  Result<ImportReport> import_schedule(std::string_view org, const ScheduleImport& file,
                                       const ImportProgress& progress) override {
    const Org found = WL_TRY(find_org(org));
    const int minutes = static_cast<int>(file.all_day_starts.count());
    const std::string target = fmt::format(
        "/api/v1/system/orgs/{}/schedule-imports?format={}&time_zone={}&all_day_starts={:02}:{:02}",
        found.id.value(), file.format == ScheduleFormat::kCsv ? "csv" : "ics",
        url_encode(file.default_time_zone), minutes / 60, minutes % 60);
    json::value status = WL_TRY(call_raw("POST", target, file.text));
    const std::int64_t id = WL_TRY(int_of(*WL_TRY(object_of(status)), "id"));
    // The server imports on its own threads; the command follows it.
    while (true) {
      const json::object& object = *WL_TRY(object_of(status));
      const std::string state = WL_TRY(text_of(object, "state"));
      if (progress) {
        progress(static_cast<std::size_t>(WL_TRY(int_of(object, "done"))),
                 static_cast<std::size_t>(WL_TRY(int_of(object, "total"))));
      }
      if (state == "done") {
        return import_report_from(object.at("report"));
      }
      if (state == "failed") {
        const json::object& failure = *WL_TRY(object_of(object.at("error")));
        const std::string code = WL_TRY(text_of(failure, "code"));
        return error(code_named(code).value_or(Code::kInternal),
                     WL_TRY(text_of(failure, "message")));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      status = WL_TRY(call(
          "GET", fmt::format("/api/v1/system/orgs/{}/schedule-imports/{}", found.id.value(), id)));
    }
  }
  Result<std::vector<DeviceView>> list_devices(const UserName& user) override {
    const User found = WL_TRY(find_user(user));
    const json::value answer =
        WL_TRY(call("GET", fmt::format("/api/v1/system/users/{}/devices", found.id.value())));
    std::vector<DeviceView> devices;
    for (const json::value& each : *WL_TRY(array_of(answer, "devices"))) {
      devices.push_back(WL_TRY(device_from(each)));
      devices.back().user_id = found.id;
    }
    return devices;
  }
  Result<void> revoke_device(DeviceId device) override {
    WL_TRY(call("DELETE", fmt::format("/api/v1/system/devices/{}", device.value())));
    return ok();
  }
  Result<PatientView> upsert_patient(std::string_view org, const PatientView& fields) override {
    const Org found = WL_TRY(find_org(org));
    return patient_from(
        WL_TRY(call("POST", fmt::format("/api/v1/system/orgs/{}/patients", found.id.value()),
                    json::object{{"mrn", fields.mrn},
                                 {"name", fields.name},
                                 {"date_of_birth", fields.date_of_birth},
                                 {"location", fields.location},
                                 {"attending", fields.attending}})));
  }
  Result<std::size_t> rotate_keys() override {
    const json::value answer = WL_TRY(call("POST", "/api/v1/system/keys/rotate", json::object{}));
    const std::int64_t orgs = WL_TRY(int_of(*WL_TRY(object_of(answer)), "orgs"));
    return static_cast<std::size_t>(orgs);
  }
  Result<std::int64_t> write_providers(std::vector<Provider> providers) override {
    json::array rows;
    rows.reserve(providers.size());
    for (const Provider& provider : providers) {
      rows.push_back(
          json::object{{"npi", fmt::format("{:010}", provider.npi)},
                       {"entity", provider.entity == ProviderEntity::kOrganization ? "organization"
                                                                                   : "individual"},
                       {"name", provider.name},
                       {"credential", provider.credential},
                       {"taxonomy", provider.taxonomy},
                       {"city", provider.city},
                       {"state", provider.state},
                       {"postal_code", provider.postal_code},
                       {"phone", provider.phone},
                       {"deactivated", provider.deactivated}});
    }
    const json::value answer = WL_TRY(
        call("POST", "/api/v1/system/npi/providers", json::object{{"providers", std::move(rows)}}));
    return int_of(*WL_TRY(object_of(answer)), "written");
  }
  Result<std::int64_t> write_taxonomies(std::vector<TaxonomyCode> codes) override {
    json::array rows;
    for (const TaxonomyCode& code : codes) {
      rows.push_back(json::object{{"code", code.code},
                                  {"grouping", code.grouping},
                                  {"classification", code.classification},
                                  {"specialization", code.specialization},
                                  {"display_name", code.display_name},
                                  {"section", code.section}});
    }
    const json::value answer = WL_TRY(call("POST", "/api/v1/system/npi/taxonomies",
                                           json::object{{"taxonomies", std::move(rows)}}));
    return int_of(*WL_TRY(object_of(answer)), "written");
  }
  Result<void> record_npi_import(const NpiImportReport& report) override {
    json::object kinds;
    for (const auto& [kind, count] : report.rejected_by_kind) {
      kinds[kind] = count;
    }
    WL_TRY(call("POST", "/api/v1/system/npi/imports",
                json::object{{"rows_read", report.rows_read},
                             {"used", report.used},
                             {"rejected", report.rejected},
                             {"deactivated", report.deactivated},
                             {"taxonomy_codes", report.taxonomy_codes},
                             {"rejected_by_kind", std::move(kinds)}}));
    return ok();
  }
  Result<void> finish() override { return ok(); }

 private:
  RemoteTarget(const net::ClientOptions& options, std::string token)
      : http_(options), token_(std::move(token)) {}

  // One call; an error answer becomes its Status (same code and message as the
  // services give the stopped store), 204 becomes null.
  Result<json::value> call(std::string_view method, std::string_view target,
                           const std::optional<json::object>& body = std::nullopt) {
    return call_raw(method, target, body ? json::serialize(*body) : std::string());
  }
  // As call, with a body that is not JSON (a schedule file).
  Result<json::value> call_raw(std::string_view method, std::string_view target,
                               const std::string& text) {
    const net::Response response =
        WL_TRY(http_.request(method, target, text, {{"Authorization", "Bearer " + token_}}));
    if (response.status == 204) {
      return json::value();
    }
    boost::system::error_code ec;
    json::value value = json::parse(response.body, ec);
    if (ec) {
      return error(
          Code::kInternal,
          fmt::format("the server answered {} with a body that is not JSON", response.status));
    }
    if (response.status >= 300) {
      const json::object* object = value.if_object();
      const json::value* failure = object ? object->if_contains("error") : nullptr;
      if (failure != nullptr && failure->is_object()) {
        const auto code = text_of(failure->as_object(), "code");
        const auto message = text_of(failure->as_object(), "message");
        if (code && message && code_named(*code)) {
          return error(*code_named(*code), *message);
        }
      }
      return error(Code::kInternal, fmt::format("the server answered {}", response.status));
    }
    return value;
  }

  Result<Org> find_org(std::string_view name) {
    for (Org& org : WL_TRY(list_orgs())) {
      if (org.name == name) {
        return std::move(org);
      }
    }
    return std::unexpected(no_org(name));
  }
  Result<std::vector<User>> users_of(const Org& org) {
    const json::value answer =
        WL_TRY(call("GET", fmt::format("/api/v1/system/orgs/{}/users", org.id.value())));
    std::vector<User> users;
    for (const json::value& each : *WL_TRY(array_of(answer, "users"))) {
      users.push_back(WL_TRY(user_from(each)));
    }
    return users;
  }
  Result<User> find_user(const UserName& user) {
    const Org org = WL_TRY(find_org(user.org));
    for (User& each : WL_TRY(users_of(org))) {
      if (each.username == user.username) {
        return std::move(each);
      }
    }
    return std::unexpected(no_user(user));
  }

  net::HttpsClient http_;
  std::string token_;
};

Result<std::unique_ptr<AdminTarget>> open_local(const AdminTargetOptions& options) {
  std::unique_ptr<Runtime> runtime = WL_TRY(Runtime::open(options.data_dir, options.runtime));
  if (runtime->created_audit_key()) {
    std::cout << audit_key_line(runtime->audit().public_key()) << "\n";
  }
  return std::unique_ptr<AdminTarget>(new LocalTarget(std::move(runtime)));
}

}  // namespace

bool is_serving(const DataPaths& paths) {
  const auto run = read_run_file(paths.run_file());
  return run && is_process_alive(run->pid);
}

Result<std::unique_ptr<AdminTarget>> open_admin_target(const AdminTargetOptions& options) {
  const DataPaths paths{options.data_dir};
  std::error_code ec;
  if (!options.create_data_dir && !std::filesystem::is_directory(options.data_dir, ec)) {
    // Run from the wrong folder, or with a mistyped path, admin would otherwise make a
    // new empty store there and report success on it.
    return error(Code::kNotFound,
                 fmt::format("no data directory at {}: give the server's --data-dir, or "
                             "--create-data-dir to start a new, empty one here",
                             options.data_dir.string()));
  }
  auto run = read_run_file(paths.run_file());
  if (!run) {
    if (run.error().code() == Code::kNotFound) {
      return open_local(options);
    }
    return error(Code::kFailedPrecondition,
                 fmt::format("{} ({}); remove it if no server runs on this data directory",
                             run.error().message(), paths.run_file().string()));
  }
  if (!is_process_alive(run->pid)) {
    // The server that wrote it is gone without removing it (killed, or the machine
    // stopped): nobody serves, so the store is administered directly.
    std::error_code ignored;
    std::filesystem::remove(paths.run_file(), ignored);
    return open_local(options);
  }
  auto remote = RemoteTarget::connect(*run);
  if (remote) {
    return std::unique_ptr<AdminTarget>(std::move(*remote));
  }
  // The pid may now be another process's; the store says whether a server holds it.
  auto local = open_local(options);
  if (!local) {
    return error(
        local.error().code(),
        fmt::format("{} (the run file names server process {}, which did not answer "
                    "on port {}: {})",
                    local.error().message(), run->pid, run->port, remote.error().message()));
  }
  return local;
}

}  // namespace wl::cli
