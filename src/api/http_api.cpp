#include "api/http_api.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "api/errors.hpp"
#include "api/routes/admin_routes.hpp"
#include "api/routes/callback_routes.hpp"
#include "api/routes/directory_routes.hpp"
#include "api/routes/patient_routes.hpp"
#include "api/routes/provider_routes.hpp"
#include "api/routes/routing_routes.hpp"
#include "api/routes/session_routes.hpp"
#include "api/routes/system_routes.hpp"
#include "api/routes/thread_routes.hpp"
#include "api/work_pool.hpp"
#include "core/crypto/hash.hpp"
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

std::string_view bearer_token(const net::Request& request) {
  const std::string_view header = request.header("Authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size() || header.substr(0, kPrefix.size()) != kPrefix) {
    return {};
  }
  return header.substr(kPrefix.size());
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

// Every resource of docs/protocol.md, each with the services its handlers may use: a
// new resource is its file under api/routes/ and one visit() here, and a new route goes
// to the authorisation matrix test too (tests/integration/authorization_test.cpp),
// which fails until it is there. visit(routes, services_of) gets a resource's routes
// and what picks its services from an ApiContext, so routes() lists them without one.
template <typename Visit>
void for_each_resource(Visit&& visit) {
  visit(session_routes(), [](ApiContext& context) {
    return SessionServices{.identity = context.identity,
                           .messaging = context.messaging,
                           .hub = context.hub,
                           .audit = context.audit,
                           .clock = context.clock,
                           .login_per_ip = context.login_per_ip,
                           .login_per_user = context.login_per_user,
                           .refusals = context.refusals};
  });
  visit(directory_routes(), [](ApiContext& context) {
    return DirectoryServices{.identity = context.identity,
                             .directory = context.directory,
                             .hub = context.hub,
                             .callbacks = context.callbacks};
  });
  visit(patient_routes(), [](ApiContext& context) {
    return PatientServices{.patients = context.patients, .adt = context.adt};
  });
  visit(thread_routes(),
        [](ApiContext& context) { return ThreadServices{.messaging = context.messaging}; });
  visit(provider_routes(),
        [](ApiContext& context) { return ProviderServices{.providers = context.providers}; });
  visit(routing_routes(), [](ApiContext& context) {
    return RoutingServices{.routing = context.routing, .imports = context.imports};
  });
  visit(admin_routes(), [](ApiContext& context) {
    return AdminServices{.identity = context.identity,
                         .keys = context.keys,
                         .audit = context.audit,
                         .clock = context.clock,
                         .org_key_rotations = context.org_key_rotations,
                         .kek_rotations = context.kek_rotations};
  });
  visit(callback_routes(), [](ApiContext& context) {
    return CallbackServices{.callbacks = context.callbacks, .quick_notes = context.quick_notes};
  });
  visit(system_routes(), [](ApiContext& context) {
    return SystemServices{.identity = context.identity,
                          .directory = context.directory,
                          .patients = context.patients,
                          .routing = context.routing,
                          .imports = context.imports};
  });
}

// The ids an admin-token call names ("{id}" segments that are numbers), for its audit
// entry: "id=3" or "id=3,id=7", or empty.
std::string named_ids(const Route& route, std::string_view pattern) {
  std::string ids;
  std::size_t index = 0;
  std::size_t start = 1;  // After the leading '/'.
  while (start <= pattern.size()) {
    const std::size_t end = std::min(pattern.find('/', start), pattern.size());
    const std::string_view segment = pattern.substr(start, end - start);
    if (segment == "{id}" && index < route.segments.size()) {
      const std::string& value = route.segments[index];
      const bool is_number =
          !value.empty() && value.size() <= 19 &&
          std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (is_number) {
        ids += (ids.empty() ? "id=" : ",id=") + value;
      }
    }
    ++index;
    start = end + 1;
  }
  return ids;
}

// A peer on this machine (the load generator reading /bench/store-stats).
bool is_loopback(std::string_view address) {
  return address == "::1" || address.starts_with("127.") || address.starts_with("::ffff:127.");
}

json::object store_stats_json(const StoreStats& stats) {
  json::object body{
      {"adapter", stats.adapter}, {"commits", stats.commits}, {"rows_written", stats.rows_written}};
  const auto put = [&body](std::string_view key, const std::optional<std::uint64_t>& value) {
    if (value) {
      body[key] = *value;
    }
  };
  put("pages_written", stats.pages_written);
  put("checkpoint_pages", stats.checkpoint_pages);
  put("checkpoints", stats.checkpoints);
  put("syncs_estimated", stats.syncs_estimated);
  put("wal_bytes", stats.wal_bytes);
  put("wal_syncs", stats.wal_syncs);
  put("statements", stats.statements);
  put("round_trips", stats.round_trips);
  return body;
}

bool is_api(const Route& route) {
  return route.segments.size() >= 2 && route.segments[0] == "api" && route.segments[1] == "v1";
}

}  // namespace

std::span<const RouteInfo> HttpApi::routes() {
  static const std::vector<RouteInfo> kInfos = [] {
    std::vector<RouteInfo> infos;
    for_each_resource([&infos](auto resource_routes, auto) {
      for (const auto& route : resource_routes) {
        infos.push_back(route.info);
      }
    });
    return infos;
  }();
  return kInfos;
}

HttpApi::HttpApi(ApiContext& context, const std::string& static_root)
    : context_(context), static_files_(static_root) {
  for_each_resource([this](auto resource_routes, auto services_of) {
    routes_.add(resource_routes, services_of(context_));
  });
}

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
  const RouteTable::Entry* entry = routes_.find(*parsed);
  if (entry != nullptr && (entry->info.access == Access::kPublic || entry->info.body_limit == 0)) {
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
        net::Response response = route(request);
        context_.counts.add_response(response.status);
        (*shared_respond)(std::move(response));
      });
  if (!queued) {
    net::Response busy = busy_response();
    context_.counts.add_response(busy.status);
    (*shared_respond)(std::move(busy));
  }
}

Result<Principal> HttpApi::authorize(Access access, std::string_view token, std::string_view source,
                                     std::string_view target) {
  if (access == Access::kAdminToken) {
    return authorize_admin_token(token, source, target);
  }
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
            std::string(target), "denied", fmt::format("reason=session_locked remote={}", source)});
      }
      return std::unexpected(counted.error());
    }
  }
  return std::move(state->principal);
}

Result<Principal> HttpApi::authorize_admin_token(std::string_view token, std::string_view source,
                                                 std::string_view target) {
  // Compared as hashes of equal length, in constant time: neither the token's length
  // nor how much of it matched shows in the time taken.
  const bool matches =
      !context_.admin_token_sha256.empty() && !token.empty() &&
      crypto::constant_time_equal(crypto::sha256(token), context_.admin_token_sha256);
  if (!matches) {
    const Status refusal(Code::kUnauthenticated,
                         "this needs the server's admin token (docs/operations.md)");
    audit_refused_token(source, target, refusal);
    return std::unexpected(refusal);
  }
  return IdentityService::system_principal();
}

void HttpApi::audit_admin_call(const Route& route, const RouteTable::Entry& entry,
                               std::string_view source, int status) {
  const std::string ids = named_ids(route, entry.info.path);
  (void)context_.audit.record(AuditDraft{
      context_.clock.now(), OrgId(), UserId(), DeviceId(), "system.api",
      fmt::format("{} {}", entry.info.method, entry.info.path), status < 400 ? "ok" : "error",
      fmt::format("via=admin_token{}{} status={} remote={}", ids.empty() ? "" : " ", ids, status,
                  source)});
}

void HttpApi::audit_refused_token(std::string_view source, std::string_view target,
                                  const Status& refusal) {
  context_.refusals.record(
      source, anonymous_refusal(context_.clock, "auth.refused", std::string(target), "denied",
                                fmt::format("reason=\"{}\"", refusal.message())));
}

net::Response HttpApi::health() {
  const auto started = std::chrono::steady_clock::now();
  const bool store_ok = context_.messaging.stream_head().has_value();
  const double read_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  json::object body{
      {"status", "ok"},
      {"store", json::object{{"status", store_ok ? "ok" : "unavailable"}, {"read_ms", read_ms}}}};
  int status = store_ok ? 200 : 503;
  if (!store_ok) {
    body["status"] = "unavailable";
  }
  struct statvfs disk {};
  if (!context_.data_dir.empty() && ::statvfs(context_.data_dir.c_str(), &disk) == 0 &&
      disk.f_blocks > 0) {
    const auto free_bytes = static_cast<std::uint64_t>(disk.f_bavail) * disk.f_frsize;
    const auto total_bytes = static_cast<std::uint64_t>(disk.f_blocks) * disk.f_frsize;
    const double free_percent =
        100.0 * static_cast<double>(disk.f_bavail) / static_cast<double>(disk.f_blocks);
    body["disk"] = json::object{
        {"free_bytes", free_bytes}, {"total_bytes", total_bytes}, {"free_percent", free_percent}};
    // Below 2% writes are about to fail (docs/operations.md, "When the disk fills").
    if (store_ok && free_percent < 2) {
      body["status"] = "disk_full";
      status = 503;
    } else if (store_ok && free_percent < 10) {
      body["status"] = "low_disk";
    }
  }
  return json_response(status, body);
}

net::Response HttpApi::metrics(const net::Request& request) {
  if (!context_.metrics || context_.metrics_token_sha256.empty()) {
    return error_response(Status(Code::kNotFound, "no such resource"));
  }
  // As the admin token: compared as hashes of equal length, in constant time.
  const std::string_view token = bearer_token(request);
  if (token.empty() ||
      !crypto::constant_time_equal(crypto::sha256(token), context_.metrics_token_sha256)) {
    const Status refusal(Code::kUnauthenticated,
                         "this needs the server's metrics token (docs/operations.md)");
    audit_refused_token(request.remote_address, "/metrics", refusal);
    return error_response(refusal);
  }
  net::Response response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = context_.metrics();
  return response;
}

net::Response HttpApi::route(const net::Request& request) {
  auto parsed = parse_route(request);
  if (!parsed) {
    return error_response(parsed.error());
  }
  const Route& route = *parsed;
  if (!is_api(route)) {
    if (route.is("GET", {"healthz"})) {
      return health();
    }
    if (route.is("GET", {"metrics"})) {
      return metrics(request);
    }
    // Benchmark counters: only on a bench server (serve --bench-limits), only from
    // this machine; anywhere else the path does not exist.
    if (route.is("GET", {"bench", "store-stats"})) {
      if (!context_.bench_store_stats || !is_loopback(request.remote_address)) {
        return error_response(Status(Code::kNotFound, "no such resource"));
      }
      return json_response(200, store_stats_json(context_.bench_store_stats()));
    }
    if (route.method == "GET" || route.method == "HEAD") {
      return serve_static(request);
    }
    return error_response(Status(Code::kNotFound, "no such resource"));
  }
  const RouteTable::Entry* entry = routes_.find(route);
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
    return answer([&] { return entry->handler(Call{route, request, nobody}); });
  }
  auto principal = authorize(entry->info.access, bearer_token(request), request.remote_address,
                             entry->info.path);
  if (!principal) {
    return error_response(principal.error());
  }
  net::Response response = answer([&] { return entry->handler(Call{route, request, *principal}); });
  if (entry->info.access == Access::kAdminToken) {
    audit_admin_call(route, *entry, request.remote_address, response.status);
  }
  return response;
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
