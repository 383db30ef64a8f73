#include "api/http_api.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
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

}  // namespace

HttpApi::HttpApi(ApiContext& context, std::string static_root)
    : context_(context), static_root_(std::move(static_root)) {}

void HttpApi::handle(net::Request request, net::Respond respond) {
  auto shared_respond = std::make_shared<net::Respond>(std::move(respond));
  const bool queued =
      context_.pool.try_submit([this, request = std::move(request), shared_respond]() mutable {
        (*shared_respond)(route(request));
      });
  if (!queued) {
    net::Response busy = error_response(Status(Code::kUnavailable, "the server is busy: retry"));
    busy.headers.push_back({"Retry-After", "1"});
    (*shared_respond)(std::move(busy));
  }
}

net::Response HttpApi::route(const net::Request& request) {
  auto parsed = parse_route(request);
  if (!parsed) {
    return error_response(parsed.error());
  }
  const Route& route = *parsed;
  if (route.segments.size() < 2 || route.segments[0] != "api" || route.segments[1] != "v1") {
    if (route.is("GET", {"healthz"})) {
      return json_response(200, json::object{{"status", "ok"}});
    }
    if (route.method == "GET" || route.method == "HEAD") {
      return serve_static(request);
    }
    return error_response(Status(Code::kNotFound, "no such resource"));
  }

  if (route.is("POST", {"api", "v1", "login"})) {
    return answer([&]() -> Result<json::value> {
      if (!context_.login_per_ip.try_acquire(request.remote_address)) {
        return error(Code::kResourceExhausted, "too many login attempts: wait and retry");
      }
      const auto body = WL_TRY(parse_object(request.body));
      FieldReader reader(body);
      LoginRequest login;
      login.org = WL_TRY(reader.optional_string("org"));
      login.username = WL_TRY(reader.required_string("username"));
      login.password = WL_TRY(reader.required_string("password"));
      login.device_name = WL_TRY(reader.optional_string("device_name"));
      WL_TRY(reader.finish());
      login.remote_address = request.remote_address;
      // Keyed by the username as the server will match it (case-insensitive), and not
      // by the org as typed, so that spelling variants share one bucket.
      const std::string user_key = normalize_username(login.username).value_or(login.username);
      if (!context_.login_per_user.try_acquire(user_key)) {
        return error(Code::kResourceExhausted, "too many login attempts: wait and retry");
      }
      const LoginResult result = WL_TRY(context_.identity.login(login));
      json::object object;
      object["token"] = result.token;
      object["user"] = user_json(result.user, true);
      object["org_id"] = result.user.org_id.value();
      object["device_id"] = result.device.id.value();
      object["expires_at"] = format_rfc3339(result.expires_at);
      return object;
    });
  }

  auto principal = context_.identity.authenticate(bearer_token(request));
  if (!principal) {
    return error_response(principal.error());
  }
  const Principal& actor = *principal;

  if (route.is("POST", {"api", "v1", "logout"})) {
    return answer([&]() -> Result<json::value> {
      WL_TRY(context_.identity.logout(actor));
      return json::value();
    });
  }
  if (route.is("GET", {"api", "v1", "me"})) {
    return answer([&]() -> Result<json::value> {
      const User user = WL_TRY(context_.identity.find_user(actor, actor.user));
      json::object object = user_json(user, true);
      object["org_id"] = actor.org.value();
      object["device_id"] = actor.device.value();
      return object;
    });
  }
  if (route.is("GET", {"api", "v1", "me", "storage-key"})) {
    return answer([&]() -> Result<json::value> {
      const std::string key = WL_TRY(context_.messaging.client_storage_key(actor));
      return json::object{{"key", crypto::base64url_encode(key)}, {"algorithm", "AES-256-GCM"}};
    });
  }
  if (route.is("GET", {"api", "v1", "users"})) {
    return answer([&]() -> Result<json::value> {
      json::array users;
      for (const User& user : WL_TRY(context_.identity.list_users(actor))) {
        users.push_back(user_json(user, context_.hub.is_online(user.id)));
      }
      return json::object{{"users", std::move(users)}};
    });
  }
  if (route.is("GET", {"api", "v1", "devices"})) {
    return answer([&]() -> Result<json::value> {
      json::array devices;
      for (const Device& device : WL_TRY(context_.identity.list_devices(actor, actor.user))) {
        devices.push_back(json::object{{"id", device.id.value()},
                                       {"name", device.name},
                                       {"created_at", format_rfc3339(device.created_at)},
                                       {"last_seen", format_rfc3339(device.last_seen)},
                                       {"revoked", device.revoked},
                                       {"current", device.id == actor.device}});
      }
      return json::object{{"devices", std::move(devices)}};
    });
  }
  if (route.is("DELETE", {"api", "v1", "devices", "*"})) {
    return answer([&]() -> Result<json::value> {
      const auto id = WL_TRY(id_segment(route, 3, "device id"));
      WL_TRY(context_.identity.revoke_device(actor, DeviceId(id)));
      return json::value();
    });
  }
  if (route.is("GET", {"api", "v1", "patients"})) {
    return answer([&]() -> Result<json::value> {
      json::array patients;
      for (const PatientView& patient : WL_TRY(context_.patients.list(actor))) {
        patients.push_back(patient_json(patient));
      }
      return json::object{{"patients", std::move(patients)}};
    });
  }
  if (route.is("GET", {"api", "v1", "threads"})) {
    return answer([&]() -> Result<json::value> {
      json::array threads;
      for (const ThreadView& thread : WL_TRY(context_.messaging.list_threads(actor))) {
        threads.push_back(thread_json(thread));
      }
      return json::object{{"threads", std::move(threads)}};
    });
  }
  if (route.is("POST", {"api", "v1", "threads"})) {
    return answer([&]() -> Result<json::value> {
      const auto body = WL_TRY(parse_object(request.body));
      FieldReader reader(body);
      const std::string kind = WL_TRY(reader.required_string("kind"));
      if (kind == "direct") {
        const auto other = WL_TRY(reader.required_int("user_id"));
        WL_TRY(reader.finish());
        return thread_json(WL_TRY(context_.messaging.open_direct(actor, UserId(other))));
      }
      if (kind == "group") {
        const std::string title = WL_TRY(reader.required_string("title"));
        const auto members = to_user_ids(WL_TRY(reader.int_array("member_ids", true)));
        WL_TRY(reader.finish());
        return thread_json(WL_TRY(context_.messaging.create_group(actor, title, members)));
      }
      if (kind == "patient") {
        const auto patient = WL_TRY(reader.required_int("patient_id"));
        const auto members = to_user_ids(WL_TRY(reader.int_array("member_ids", true)));
        const std::string title = WL_TRY(reader.optional_string("title"));
        WL_TRY(reader.finish());
        return thread_json(WL_TRY(
            context_.messaging.open_patient_thread(actor, PatientId(patient), members, title)));
      }
      return error(Code::kInvalidArgument, "kind must be 'direct', 'group' or 'patient'");
    });
  }
  if (route.is("GET", {"api", "v1", "threads", "*"})) {
    return answer([&]() -> Result<json::value> {
      const auto id = WL_TRY(id_segment(route, 3, "thread id"));
      return thread_json(WL_TRY(context_.messaging.get_thread(actor, ThreadId(id))));
    });
  }
  if (route.is("GET", {"api", "v1", "threads", "*", "messages"})) {
    return answer([&]() -> Result<json::value> {
      const auto id = WL_TRY(id_segment(route, 3, "thread id"));
      const auto before = WL_TRY(int_param(route, "before_seq", 0));
      const auto limit = WL_TRY(int_param(route, "limit", 50));
      const HistoryPage page = WL_TRY(
          context_.messaging.history(actor, ThreadId(id), before, static_cast<std::size_t>(limit)));
      json::array messages;
      for (const OpenedEvent& message : page.messages) {
        messages.push_back(event_json(message));
      }
      return json::object{{"messages", std::move(messages)},
                          {"receipts", history_receipts_json(page.receipts)}};
    });
  }
  if (route.is("POST", {"api", "v1", "threads", "*", "members"})) {
    return answer([&]() -> Result<json::value> {
      const auto id = WL_TRY(id_segment(route, 3, "thread id"));
      const auto body = WL_TRY(parse_object(request.body));
      FieldReader reader(body);
      const auto user = WL_TRY(reader.required_int("user_id"));
      WL_TRY(reader.finish());
      WL_TRY(context_.messaging.add_member(actor, ThreadId(id), UserId(user)));
      return json::value();
    });
  }
  if (route.is("DELETE", {"api", "v1", "threads", "*", "members", "*"})) {
    return answer([&]() -> Result<json::value> {
      const auto id = WL_TRY(id_segment(route, 3, "thread id"));
      const auto user = WL_TRY(id_segment(route, 5, "user id"));
      WL_TRY(context_.messaging.remove_member(actor, ThreadId(id), UserId(user)));
      return json::value();
    });
  }
  if (route.is("POST", {"api", "v1", "threads", "*", "read"})) {
    return answer([&]() -> Result<json::value> {
      const auto id = WL_TRY(id_segment(route, 3, "thread id"));
      const auto body = WL_TRY(parse_object(request.body));
      FieldReader reader(body);
      const auto seq = WL_TRY(reader.required_int("up_to_seq"));
      WL_TRY(reader.finish());
      WL_TRY(context_.messaging.mark_read(actor, ThreadId(id), seq));
      return json::value();
    });
  }
  if (route.is("GET", {"api", "v1", "messages", "*"})) {
    return answer([&]() -> Result<json::value> {
      const auto id = WL_TRY(id_segment(route, 3, "message id"));
      return event_json(WL_TRY(context_.messaging.get_message(actor, EventId(id))));
    });
  }
  if (route.is("GET", {"api", "v1", "messages", "*", "status"})) {
    return answer([&]() -> Result<json::value> {
      const auto id = WL_TRY(id_segment(route, 3, "message id"));
      json::array recipients;
      for (const Receipt& receipt : WL_TRY(context_.messaging.message_status(actor, EventId(id)))) {
        recipients.push_back(receipt_json(receipt));
      }
      return json::object{{"message_id", id}, {"recipients", std::move(recipients)}};
    });
  }
  if (route.is("POST", {"api", "v1", "admin", "keys", "rotate"})) {
    return answer([&]() -> Result<json::value> {
      const AuditDraft draft{context_.clock.now(), actor.org, actor.user, actor.device,
                             "admin.keys.rotate",  "keys",    "denied",   ""};
      if (!actor.is_admin) {
        WL_TRY(context_.audit.record(draft));
        return error(Code::kPermissionDenied, "this needs an administrator of the org");
      }
      // A new KEK re-wraps every data key; a new data key seals the org's data from now
      // on. Old keys stay for reading, so nothing stops.
      WL_TRY(context_.keys.rotate_kek());
      const std::uint32_t key_id = WL_TRY(context_.keys.rotate_data_key(actor.org));
      AuditDraft done = draft;
      done.outcome = "ok";
      done.detail = fmt::format("data_key={}", key_id);
      WL_TRY(context_.audit.record(done));
      return json::object{{"data_key_id", key_id}};
    });
  }
  return error_response(Status(Code::kNotFound, "no such resource"));
}

net::Response HttpApi::serve_static(const net::Request& request) {
  namespace fs = std::filesystem;
  auto url = boost::urls::parse_origin_form(request.target);
  std::string path = url ? std::string(url->path()) : std::string("/");
  if (path.find("..") != std::string::npos) {
    return error_response(Status(Code::kNotFound, "no such resource"));
  }
  if (path.empty() || path.back() == '/') {
    path += "index.html";
  }
  net::Response response;
  response.headers.push_back({"Content-Security-Policy", std::string(kContentSecurityPolicy)});
  response.headers.push_back({"Referrer-Policy", "no-referrer"});
  fs::path file = static_root_.empty() ? fs::path() : fs::path(static_root_) / path.substr(1);
  std::error_code ec;
  if (static_root_.empty() || !fs::is_regular_file(file, ec)) {
    // Single-page app: unknown paths get index.html; without a built app, a plain page.
    file = static_root_.empty() ? fs::path() : fs::path(static_root_) / "index.html";
    if (static_root_.empty() || !fs::is_regular_file(file, ec)) {
      response.content_type = "text/html; charset=utf-8";
      response.body =
          "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Wardline</title>"
          "</head><body><h1>Wardline</h1><p>The server is running. Clients connect to "
          "<code>/api/v1</code>; see docs/protocol.md.</p></body></html>";
      return response;
    }
  }
  std::ifstream stream(file, std::ios::binary);
  std::ostringstream contents;
  contents << stream.rdbuf();
  response.body = contents.str();
  const std::string extension = file.extension().string();
  if (extension == ".html") {
    response.content_type = "text/html; charset=utf-8";
    response.headers.push_back({"Cache-Control", "no-cache"});
  } else {
    response.content_type = extension == ".js"            ? "text/javascript"
                            : extension == ".css"         ? "text/css"
                            : extension == ".json"        ? "application/json"
                            : extension == ".webmanifest" ? "application/manifest+json"
                            : extension == ".svg"         ? "image/svg+xml"
                            : extension == ".png"         ? "image/png"
                                                          : "application/octet-stream";
    const bool fingerprinted = path.starts_with("/assets/");
    response.headers.push_back(
        {"Cache-Control", fingerprinted ? "public, max-age=31536000, immutable" : "no-cache"});
  }
  return response;
}

}  // namespace wl::api
