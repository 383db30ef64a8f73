#include "api/http_api.hpp"

#include <charconv>
#include <vector>

#include <fmt/format.h>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "api/errors.hpp"
#include "api/hub.hpp"
#include "api/json_codec.hpp"
#include "api/work_pool.hpp"
#include "core/crypto/encoding.hpp"
#include "services/identity/identity_service.hpp"

namespace wl::api {
namespace json = boost::json;

namespace {

constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'";

net::Response json_response(int status, const json::value& body) {
  net::Response response;
  response.status = status;
  response.body = json::serialize(body);
  return response;
}

net::Response error_response(const Status& status) {
  net::Response response;
  response.status = http_status_of(status.code());
  response.body = error_body(status);
  if (status.code() == Code::kUnauthenticated) {
    response.headers.push_back({"WWW-Authenticate", "Bearer"});
  }
  return response;
}

net::Response no_content() {
  net::Response response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

net::Response busy_response() {
  net::Response busy = error_response(Status(Code::kUnavailable, "the server is busy: retry"));
  busy.headers.push_back({"Retry-After", "1"});
  return busy;
}

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) {
    return std::nullopt;
  }
  return value;
}

struct Route {
  std::string method;
  std::vector<std::string> segments;  // Decoded path segments.
  std::vector<std::pair<std::string, std::string>> query;

  bool is(std::string_view verb, std::initializer_list<std::string_view> pattern) const {
    if (method != verb || segments.size() != pattern.size()) {
      return false;
    }
    std::size_t i = 0;
    for (const std::string_view part : pattern) {
      if (part != "*" && part != segments[i]) {
        return false;
      }
      ++i;
    }
    return true;
  }
  std::optional<std::string_view> param(std::string_view name) const {
    for (const auto& [key, value] : query) {
      if (key == name) {
        return value;
      }
    }
    return std::nullopt;
  }
};

Result<Route> parse_route(const net::Request& request) {
  auto url = boost::urls::parse_origin_form(request.target);
  if (!url) {
    return error(Code::kInvalidArgument, "malformed request target");
  }
  Route route;
  route.method = request.method;
  for (const auto segment : url->segments()) {
    route.segments.push_back(segment);
  }
  for (const auto param : url->params()) {
    route.query.emplace_back(param.key, param.value);
  }
  return route;
}

Result<std::int64_t> id_segment(const Route& route, std::size_t index, std::string_view what) {
  auto id = parse_id(route.segments[index]);
  if (!id) {
    return error(Code::kInvalidArgument, fmt::format("{} must be a positive integer", what));
  }
  return *id;
}

Result<std::int64_t> int_param(const Route& route, std::string_view name, std::int64_t fallback) {
  const auto text = route.param(name);
  if (!text) {
    return fallback;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < 0) {
    return error(Code::kInvalidArgument, fmt::format("'{}' must be a non-negative integer", name));
  }
  return value;
}

std::string_view bearer_token(const net::Request& request) {
  const std::string_view header = request.header("Authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size() || header.substr(0, kPrefix.size()) != kPrefix) {
    return {};
  }
  return header.substr(kPrefix.size());
}

std::vector<UserId> to_user_ids(const std::vector<std::int64_t>& ids) {
  std::vector<UserId> users;
  users.reserve(ids.size());
  for (const std::int64_t id : ids) {
    users.emplace_back(id);
  }
  return users;
}

// Runs a handler that returns Result<json::value>: 200 with the value, or the error.
template <typename Handler>
net::Response answer(Handler&& handler) {
  Result<json::value> result = handler();
  if (!result) {
    return error_response(result.error());
  }
  if (result->is_null()) {
    return no_content();
  }
  return json_response(200, *result);
}

// One request as a route handler sees it. actor is empty for public routes.
struct Call {
  const Route& route;
  const net::Request& request;
  const Principal& actor;
};

using Handler = Result<json::value> (*)(ApiContext&, const Call&);

// The largest body of a route that takes a small JSON object. Messages travel over the
// WebSocket; nothing here takes more.
constexpr std::size_t kJsonBody = 16 * 1024;
constexpr std::size_t kLoginBody = 4 * 1024;

// An entry for a refusal of someone not (yet) known: no org, no actor.
AuditDraft anonymous_refusal(const ApiContext& context, std::string action, std::string target,
                             std::string outcome, std::string detail) {
  return AuditDraft{context.clock.now(), OrgId(),           UserId(),          DeviceId(),
                    std::move(action),   std::move(target), std::move(outcome), std::move(detail)};
}

Result<json::value> login(ApiContext& context, const Call& call) {
  const std::string& source = call.request.remote_address;
  const auto throttled = [&](std::string_view bucket) {
    context.refusals.record(source, anonymous_refusal(context, "login", "user:unknown",
                                                      "throttled",
                                                      fmt::format("limit={}", bucket)));
    return error(Code::kResourceExhausted, "too many login attempts: wait and retry");
  };
  if (!context.login_per_ip.try_acquire(source)) {
    return throttled("address");
  }
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  LoginRequest login;
  login.org = WL_TRY(reader.optional_string("org"));
  login.username = WL_TRY(reader.required_string("username"));
  login.password = WL_TRY(reader.required_string("password"));
  login.device_name = WL_TRY(reader.optional_string("device_name"));
  WL_TRY(reader.finish());
  login.remote_address = source;
  // Keyed by the username as the server will match it (case-insensitive), not by the
  // org as typed (spelling variants share one bucket), and by the address: a guesser
  // elsewhere cannot empty the bucket of the account's owner (docs/security.md).
  const std::string user_key = fmt::format(
      "{}|{}", normalize_username(login.username).value_or(login.username), source);
  if (!context.login_per_user.try_acquire(user_key)) {
    return throttled("username_and_address");
  }
  const LoginResult result = WL_TRY(context.identity.login(login));
  json::object object;
  object["token"] = result.token;
  object["user"] = user_json(result.user, true);
  object["org_id"] = result.user.org_id.value();
  object["device_id"] = result.device.id.value();
  object["expires_at"] = format_rfc3339(result.expires_at);
  object["idle_lock_seconds"] = result.idle_lock.count();
  object["has_pin"] = !result.user.pin_hash.empty();
  return object;
}

Result<json::value> logout(ApiContext& context, const Call& call) {
  WL_TRY(context.identity.logout(call.actor));
  return json::value();
}

json::object session_json(const SessionState& state) {
  return json::object{{"locked", state.locked},
                      {"idle_lock_seconds", state.idle_lock.count()},
                      {"expires_at", format_rfc3339(state.expires_at)},
                      {"has_pin", state.has_pin},
                      {"pin_tries_left", state.pin_tries_left}};
}

Result<json::value> get_session(ApiContext& context, const Call& call) {
  return session_json(WL_TRY(context.identity.validate(call.actor)));
}

Result<json::value> lock_session(ApiContext& context, const Call& call) {
  WL_TRY(context.identity.lock(call.actor));
  context.hub.recheck(call.actor.user);
  return json::value();
}

// The client reports its user's input (at most once a minute): authorising the route
// counts it as activity, so reading without requests does not lock the session.
Result<json::value> note_activity(ApiContext&, const Call&) { return json::value(); }

// Unlocking and setting a PIN check a secret: the login limit per address applies.
Result<void> take_secret_check(ApiContext& context, const Call& call, std::string_view action) {
  if (context.login_per_ip.try_acquire(call.request.remote_address)) {
    return ok();
  }
  (void)context.audit.record(AuditDraft{context.clock.now(), call.actor.org, call.actor.user,
                                        call.actor.device, std::string(action),
                                        fmt::format("user:{}", call.actor.user.value()),
                                        "throttled", "limit=address"});
  return error(Code::kResourceExhausted, "too many attempts: wait and retry");
}

Result<json::value> unlock_session(ApiContext& context, const Call& call) {
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  UnlockRequest unlock;
  unlock.pin = WL_TRY(reader.optional_string("pin"));
  unlock.password = WL_TRY(reader.optional_string("password"));
  WL_TRY(reader.finish());
  unlock.remote_address = call.request.remote_address;
  WL_TRY(take_secret_check(context, call, "session.unlock"));
  WL_TRY(context.identity.unlock(call.actor, unlock));
  context.hub.recheck(call.actor.user);
  return session_json(WL_TRY(context.identity.validate(call.actor)));
}

Result<json::value> set_pin(ApiContext& context, const Call& call) {
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  PinChange change;
  change.password = WL_TRY(reader.required_string("password"));
  change.pin = WL_TRY(reader.required_string("pin"));
  WL_TRY(reader.finish());
  change.remote_address = call.request.remote_address;
  WL_TRY(take_secret_check(context, call, "pin.set"));
  WL_TRY(context.identity.set_pin(call.actor, change));
  return json::value();
}

Result<json::value> set_idle_lock(ApiContext& context, const Call& call) {
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const auto seconds = WL_TRY(reader.required_int("idle_lock_seconds"));
  WL_TRY(reader.finish());
  WL_TRY(context.identity.set_idle_lock(call.actor, call.actor.org, std::chrono::seconds(seconds)));
  return json::object{{"idle_lock_seconds", seconds}};
}

Result<json::value> get_me(ApiContext& context, const Call& call) {
  const User user = WL_TRY(context.identity.find_user(call.actor, call.actor.user));
  json::object object = user_json(user, true);
  object["org_id"] = call.actor.org.value();
  object["device_id"] = call.actor.device.value();
  return object;
}

Result<json::value> get_storage_key(ApiContext& context, const Call& call) {
  const std::string key = WL_TRY(context.messaging.client_storage_key(call.actor));
  return json::object{{"key", crypto::base64url_encode(key)}, {"algorithm", "AES-256-GCM"}};
}

Result<json::value> list_users(ApiContext& context, const Call& call) {
  json::array users;
  for (const User& user : WL_TRY(context.identity.list_users(call.actor))) {
    users.push_back(user_json(user, context.hub.is_online(user.id)));
  }
  return json::object{{"users", std::move(users)}};
}

Result<json::value> list_devices(ApiContext& context, const Call& call) {
  json::array devices;
  for (const DeviceView& device :
       WL_TRY(context.identity.list_devices(call.actor, call.actor.user))) {
    devices.push_back(json::object{{"id", device.id.value()},
                                   {"name", device.name},
                                   {"created_at", format_rfc3339(device.created_at)},
                                   {"last_seen", format_rfc3339(device.last_seen)},
                                   {"revoked", device.revoked},
                                   {"current", device.id == call.actor.device}});
  }
  return json::object{{"devices", std::move(devices)}};
}

Result<json::value> revoke_device(ApiContext& context, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "device id"));
  WL_TRY(context.identity.revoke_device(call.actor, DeviceId(id)));
  return json::value();
}

Result<json::value> list_patients(ApiContext& context, const Call& call) {
  json::array patients;
  for (const PatientView& patient : WL_TRY(context.patients.list(call.actor))) {
    patients.push_back(patient_json(patient));
  }
  return json::object{{"patients", std::move(patients)}};
}

Result<json::value> list_threads(ApiContext& context, const Call& call) {
  json::array threads;
  for (const ThreadView& thread : WL_TRY(context.messaging.list_threads(call.actor))) {
    threads.push_back(thread_json(thread));
  }
  return json::object{{"threads", std::move(threads)}};
}

Result<json::value> create_thread(ApiContext& context, const Call& call) {
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
    return opened(WL_TRY(context.messaging.open_direct(call.actor, UserId(other))));
  }
  if (kind == "group") {
    const std::string title = WL_TRY(reader.required_string("title"));
    const auto members = to_user_ids(WL_TRY(reader.int_array("member_ids", true)));
    WL_TRY(reader.finish());
    return opened(WL_TRY(context.messaging.create_group(call.actor, title, members)));
  }
  if (kind == "patient") {
    const auto patient = WL_TRY(reader.required_int("patient_id"));
    const auto members = to_user_ids(WL_TRY(reader.int_array("member_ids", true)));
    const std::string title = WL_TRY(reader.optional_string("title"));
    WL_TRY(reader.finish());
    return opened(WL_TRY(
        context.messaging.open_patient_thread(call.actor, PatientId(patient), members, title)));
  }
  return error(Code::kInvalidArgument, "kind must be 'direct', 'group' or 'patient'");
}

Result<json::value> get_thread(ApiContext& context, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "thread id"));
  return thread_json(WL_TRY(context.messaging.get_thread(call.actor, ThreadId(id))));
}

Result<json::value> rename_thread(ApiContext& context, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "thread id"));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const std::string title = WL_TRY(reader.required_string("title"));
  WL_TRY(reader.finish());
  return thread_json(WL_TRY(context.messaging.rename_thread(call.actor, ThreadId(id), title)));
}

Result<json::value> list_messages(ApiContext& context, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "thread id"));
  const auto before = WL_TRY(int_param(call.route, "before_seq", 0));
  const auto limit = WL_TRY(int_param(call.route, "limit", 50));
  const HistoryPage page = WL_TRY(
      context.messaging.history(call.actor, ThreadId(id), before, static_cast<std::size_t>(limit)));
  json::array messages;
  for (const OpenedEvent& message : page.messages) {
    messages.push_back(event_json(message));
  }
  return json::object{{"messages", std::move(messages)},
                      {"receipts", history_receipts_json(page.receipts)}};
}

Result<json::value> add_member(ApiContext& context, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "thread id"));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const auto user = WL_TRY(reader.required_int("user_id"));
  WL_TRY(reader.finish());
  WL_TRY(context.messaging.add_member(call.actor, ThreadId(id), UserId(user)));
  return json::value();
}

Result<json::value> remove_member(ApiContext& context, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "thread id"));
  const auto user = WL_TRY(id_segment(call.route, 5, "user id"));
  WL_TRY(context.messaging.remove_member(call.actor, ThreadId(id), UserId(user)));
  return json::value();
}

Result<json::value> mark_read(ApiContext& context, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "thread id"));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const auto seq = WL_TRY(reader.required_int("up_to_seq"));
  WL_TRY(reader.finish());
  WL_TRY(context.messaging.mark_read(call.actor, ThreadId(id), seq));
  return json::value();
}

Result<json::value> get_message(ApiContext& context, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "message id"));
  return event_json(WL_TRY(context.messaging.get_message(call.actor, EventId(id))));
}

Result<json::value> get_message_status(ApiContext& context, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "message id"));
  json::array recipients;
  for (const Receipt& receipt : WL_TRY(context.messaging.message_status(call.actor, EventId(id)))) {
    recipients.push_back(receipt_json(receipt));
  }
  return json::object{{"message_id", id}, {"recipients", std::move(recipients)}};
}

// An org admin rotates the org's own data key: a new key seals the org's data from now
// on; older keys stay for reading, so nothing stops. Rate-limited per org.
Result<json::value> rotate_org_key(ApiContext& context, const Call& call) {
  AuditDraft draft{context.clock.now(), call.actor.org, call.actor.user, call.actor.device,
                   "admin.keys.rotate",  "keys",         "denied",        ""};
  // A refusal is refused either way; its entry may be budgeted away (AuditLog::record).
  if (!call.actor.is_admin) {
    (void)context.audit.record(draft);
    return error(Code::kPermissionDenied, "this needs an administrator of the org");
  }
  if (!context.org_key_rotations.try_acquire(std::to_string(call.actor.org.value()))) {
    draft.outcome = "throttled";
    (void)context.audit.record(draft);
    return error(Code::kResourceExhausted, "keys were rotated moments ago: wait and retry");
  }
  const std::uint32_t key_id = WL_TRY(context.keys.rotate_data_key(call.actor.org));
  draft.outcome = "ok";
  draft.detail = fmt::format("data_key={}", key_id);
  WL_TRY(context.audit.record(draft));
  return json::object{{"data_key_id", key_id}};
}

// An operator rotates the server-wide key-encryption key: a new KEK re-wraps every
// org's data keys. Rate-limited for the whole server.
Result<json::value> rotate_kek(ApiContext& context, const Call& call) {
  AuditDraft draft{context.clock.now(), call.actor.org, call.actor.user, call.actor.device,
                   "operator.kek.rotate", "keys",        "denied",        ""};
  if (!call.actor.is_operator) {
    (void)context.audit.record(draft);
    return error(Code::kPermissionDenied, "this needs an operator of the server");
  }
  if (!context.kek_rotations.try_acquire("server")) {
    draft.outcome = "throttled";
    (void)context.audit.record(draft);
    return error(Code::kResourceExhausted,
                 "the key-encryption key was rotated moments ago: wait and retry");
  }
  WL_TRY(context.keys.rotate_kek());
  draft.outcome = "ok";
  WL_TRY(context.audit.record(draft));
  return json::value();
}

struct RouteEntry {
  RouteInfo info;
  Handler handler;
};

// Every HTTPS resource of docs/protocol.md. A new route is added here and to the
// authorisation matrix test (tests/integration/authorization_test.cpp), which fails
// until it is.
const std::vector<RouteEntry>& route_table() {
  static const std::vector<RouteEntry> kRoutes = {
      {{"POST", "/api/v1/login", Access::kPublic, kLoginBody}, &login},
      {{"POST", "/api/v1/logout", Access::kLockedSession, kJsonBody}, &logout},
      {{"GET", "/api/v1/session", Access::kLockedSession, 0}, &get_session},
      {{"POST", "/api/v1/session/lock", Access::kLockedSession, kJsonBody}, &lock_session},
      {{"POST", "/api/v1/session/unlock", Access::kLockedSession, kLoginBody}, &unlock_session},
      {{"POST", "/api/v1/session/activity", Access::kSession, kJsonBody}, &note_activity},
      {{"GET", "/api/v1/me", Access::kSession, 0}, &get_me},
      {{"PUT", "/api/v1/me/pin", Access::kSession, kLoginBody}, &set_pin},
      {{"GET", "/api/v1/me/storage-key", Access::kSession, 0}, &get_storage_key},
      {{"GET", "/api/v1/users", Access::kSession, 0}, &list_users},
      {{"GET", "/api/v1/devices", Access::kSession, 0}, &list_devices},
      {{"DELETE", "/api/v1/devices/{id}", Access::kSession, 0}, &revoke_device},
      {{"GET", "/api/v1/patients", Access::kSession, 0}, &list_patients},
      {{"GET", "/api/v1/threads", Access::kSession, 0}, &list_threads},
      {{"POST", "/api/v1/threads", Access::kSession, kJsonBody}, &create_thread},
      {{"GET", "/api/v1/threads/{id}", Access::kSession, 0}, &get_thread},
      {{"PATCH", "/api/v1/threads/{id}", Access::kSession, kJsonBody}, &rename_thread},
      {{"GET", "/api/v1/threads/{id}/messages", Access::kSession, 0}, &list_messages},
      {{"POST", "/api/v1/threads/{id}/members", Access::kSession, kJsonBody}, &add_member},
      {{"DELETE", "/api/v1/threads/{id}/members/{id}", Access::kSession, 0}, &remove_member},
      {{"POST", "/api/v1/threads/{id}/read", Access::kSession, kJsonBody}, &mark_read},
      {{"GET", "/api/v1/messages/{id}", Access::kSession, 0}, &get_message},
      {{"GET", "/api/v1/messages/{id}/status", Access::kSession, 0}, &get_message_status},
      {{"POST", "/api/v1/admin/keys/rotate", Access::kSession, kJsonBody}, &rotate_org_key},
      {{"PUT", "/api/v1/admin/idle-lock", Access::kSession, kJsonBody}, &set_idle_lock},
      {{"POST", "/api/v1/operator/kek/rotate", Access::kSession, kJsonBody}, &rotate_kek},
  };
  return kRoutes;
}

// Whether a request's decoded segments fit a route's path ("{id}" matches any one).
bool matches(std::string_view path, const std::vector<std::string>& segments) {
  std::size_t index = 0;
  std::size_t start = 1;  // After the leading '/'.
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    if (index >= segments.size() || (part != "{id}" && part != segments[index])) {
      return false;
    }
    ++index;
    start = end + 1;
  }
  return index == segments.size();
}

// The route for a request, or nullptr.
const RouteEntry* find_route(const Route& route) {
  for (const RouteEntry& entry : route_table()) {
    if (entry.info.method == route.method && matches(entry.info.path, route.segments)) {
      return &entry;
    }
  }
  return nullptr;
}

bool is_api(const Route& route) {
  return route.segments.size() >= 2 && route.segments[0] == "api" && route.segments[1] == "v1";
}

}  // namespace

std::span<const RouteInfo> HttpApi::routes() {
  static const std::vector<RouteInfo> kInfos = [] {
    std::vector<RouteInfo> infos;
    for (const RouteEntry& entry : route_table()) {
      infos.push_back(entry.info);
    }
    return infos;
  }();
  return kInfos;
}

HttpApi::HttpApi(ApiContext& context, const std::string& static_root)
    : context_(context), static_files_(static_root) {}

void HttpApi::admit(const net::Request& head, net::Admit admit) {
  auto parsed = parse_route(head);
  if (!parsed) {
    admit(net::Admission{error_response(parsed.error()), 0});
    return;
  }
  if (!is_api(*parsed)) {
    // Health and the web app's files take no body.
    admit(net::Admission{std::nullopt, 0});
    return;
  }
  const RouteEntry* entry = find_route(*parsed);
  if (entry != nullptr &&
      (entry->info.access == Access::kPublic || entry->info.body_limit == 0)) {
    // Nothing to buffer before route() authenticates (a body, if any, gets 413).
    admit(net::Admission{std::nullopt, entry->info.body_limit});
    return;
  }
  // A route that takes a body reads it only for a valid session: the token is checked
  // from the headers first, so an anonymous upload costs no buffer (docs/transport.md).
  // An unknown route is refused here as route() would refuse it (401 before 404).
  auto shared_admit = std::make_shared<net::Admit>(std::move(admit));
  const bool queued = context_.pool.try_submit(
      [this, token = std::string(bearer_token(head)), source = head.remote_address,
       target = entry != nullptr ? entry->info.path : std::string_view("unknown route"),
       limit = entry != nullptr ? std::optional(entry->info.body_limit) : std::nullopt,
       access = entry != nullptr ? entry->info.access : Access::kLockedSession, shared_admit] {
        auto principal = authorize(access, token, source, target);
        if (!principal) {
          (*shared_admit)(net::Admission{error_response(principal.error()), 0});
        } else if (!limit) {
          (*shared_admit)(
              net::Admission{error_response(Status(Code::kNotFound, "no such resource")), 0});
        } else {
          (*shared_admit)(net::Admission{std::nullopt, *limit});
        }
      });
  if (!queued) {
    (*shared_admit)(net::Admission{busy_response(), 0});
  }
}

void HttpApi::handle(net::Request request, net::Respond respond) {
  auto shared_respond = std::make_shared<net::Respond>(std::move(respond));
  const bool queued =
      context_.pool.try_submit([this, request = std::move(request), shared_respond]() mutable {
        (*shared_respond)(route(request));
      });
  if (!queued) {
    (*shared_respond)(busy_response());
  }
}

Result<Principal> HttpApi::authorize(Access access, std::string_view token,
                                     std::string_view source, std::string_view target) {
  auto state = context_.identity.identify(token);
  if (!state) {
    audit_refused_token(source, target, state.error());
    return std::unexpected(state.error());
  }
  if (access == Access::kSession) {
    if (auto counted = context_.identity.count_activity(*state); !counted) {
      if (counted.error().code() == Code::kSessionLocked) {
        const Principal& actor = state->principal;
        (void)context_.audit.record(AuditDraft{
            context_.clock.now(), actor.org, actor.user, actor.device, "auth.refused",
            std::string(target), "denied",
            fmt::format("reason=session_locked remote={}", source)});
      }
      return std::unexpected(counted.error());
    }
  }
  return std::move(state->principal);
}

void HttpApi::audit_refused_token(std::string_view source, std::string_view target,
                                  const Status& refusal) {
  context_.refusals.record(
      source, anonymous_refusal(context_, "auth.refused", std::string(target), "denied",
                                fmt::format("reason=\"{}\"", refusal.message())));
}

net::Response HttpApi::route(const net::Request& request) {
  auto parsed = parse_route(request);
  if (!parsed) {
    return error_response(parsed.error());
  }
  const Route& route = *parsed;
  if (!is_api(route)) {
    if (route.is("GET", {"healthz"})) {
      return json_response(200, json::object{{"status", "ok"}});
    }
    if (route.method == "GET" || route.method == "HEAD") {
      return serve_static(request);
    }
    return error_response(Status(Code::kNotFound, "no such resource"));
  }
  const RouteEntry* entry = find_route(route);
  if (entry == nullptr) {
    // As for a known route: no valid token, 401 (and audited); with one, 404.
    auto principal = authorize(Access::kLockedSession, bearer_token(request),
                               request.remote_address, "unknown route");
    if (!principal) {
      return error_response(principal.error());
    }
    return error_response(Status(Code::kNotFound, "no such resource"));
  }
  if (entry->info.access == Access::kPublic) {
    const Principal nobody;
    return answer([&] { return entry->handler(context_, Call{route, request, nobody}); });
  }
  auto principal = authorize(entry->info.access, bearer_token(request), request.remote_address,
                             entry->info.path);
  if (!principal) {
    return error_response(principal.error());
  }
  return answer([&] { return entry->handler(context_, Call{route, request, *principal}); });
}

net::Response HttpApi::serve_static(const net::Request& request) {
  net::Response response;
  response.headers.push_back({"Content-Security-Policy", std::string(kContentSecurityPolicy)});
  response.headers.push_back({"Referrer-Policy", "no-referrer"});
  StaticFiles::Lookup lookup = static_files_.open(request.target);
  if (lookup.outcome == StaticFiles::Outcome::kRefused) {
    return error_response(Status(Code::kNotFound, "no such resource"));
  }
  if (lookup.outcome == StaticFiles::Outcome::kMissing) {
    // Single-page app: unknown paths get index.html; without a built app, a plain page.
    lookup = static_files_.open_shell();
    if (lookup.outcome != StaticFiles::Outcome::kFound) {
      response.content_type = "text/html; charset=utf-8";
      response.body =
          "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Wardline</title>"
          "</head><body><h1>Wardline</h1><p>The server is running. Clients connect to "
          "<code>/api/v1</code>; see docs/protocol.md.</p></body></html>";
      return response;
    }
  }
  response.file = std::move(lookup.file);
  const std::string_view name = lookup.name;
  const std::string_view extension =
      name.find('.') == std::string_view::npos ? std::string_view() : name.substr(name.rfind('.'));
  if (extension == ".html") {
    response.content_type = "text/html; charset=utf-8";
    response.headers.push_back({"Cache-Control", "no-cache"});
    return response;
  }
  response.content_type = extension == ".js"            ? "text/javascript"
                          : extension == ".css"         ? "text/css"
                          : extension == ".json"        ? "application/json"
                          : extension == ".webmanifest" ? "application/manifest+json"
                          : extension == ".svg"         ? "image/svg+xml"
                          : extension == ".png"         ? "image/png"
                                                        : "application/octet-stream";
  response.headers.push_back({"Cache-Control", lookup.is_fingerprinted
                                                   ? "public, max-age=31536000, immutable"
                                                   : "no-cache"});
  return response;
}

}  // namespace wl::api
