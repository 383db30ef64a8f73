#include "api/routes/session_routes.hpp"

#include <chrono>
#include <string>

#include <fmt/format.h>
#include <boost/json/object.hpp>

#include "api/fields.hpp"
#include "api/hub.hpp"
#include "api/json_codec.hpp"
#include "api/refusal_audit.hpp"
#include "core/crypto/encoding.hpp"
#include "core/time.hpp"
#include "net/server.hpp"
#include "services/audit/audit_log.hpp"
#include "services/identity/identity_service.hpp"
#include "services/identity/rate_limiter.hpp"
#include "services/messaging/messaging_service.hpp"

namespace wl::api {
namespace {
namespace json = boost::json;

Result<json::value> login(const SessionServices& services, const Call& call) {
  const std::string& source = call.request.remote_address;
  const auto throttled = [&](std::string_view bucket) {
    services.refusals.record(source,
                             anonymous_refusal(services.clock, "login", "user:unknown", "throttled",
                                               fmt::format("limit={}", bucket)));
    return error(Code::kResourceExhausted, "too many login attempts: wait and retry");
  };
  if (!services.login_per_ip.try_acquire(source)) {
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
  const std::string user_key =
      fmt::format("{}|{}", normalize_username(login.username).value_or(login.username), source);
  if (!services.login_per_user.try_acquire(user_key)) {
    return throttled("username_and_address");
  }
  const LoginResult result = WL_TRY(services.identity.login(login));
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

Result<json::value> logout(const SessionServices& services, const Call& call) {
  WL_TRY(services.identity.logout(call.actor));
  return json::value();
}

json::object session_json(const SessionState& state) {
  return json::object{{"locked", state.locked},
                      {"idle_lock_seconds", state.idle_lock.count()},
                      {"expires_at", format_rfc3339(state.expires_at)},
                      {"has_pin", state.has_pin},
                      {"pin_tries_left", state.pin_tries_left}};
}

Result<json::value> get_session(const SessionServices& services, const Call& call) {
  return session_json(WL_TRY(services.identity.validate(call.actor)));
}

Result<json::value> lock_session(const SessionServices& services, const Call& call) {
  WL_TRY(services.identity.lock(call.actor));
  services.hub.recheck(call.actor.user);
  return json::value();
}

// The client reports its user's input (at most once a minute): authorising the route
// counts it as activity, so reading without requests does not lock the session.
Result<json::value> note_activity(const SessionServices&, const Call&) { return json::value(); }

// Unlocking and setting a PIN check a secret: the login limit per address applies.
Result<void> take_secret_check(const SessionServices& services, const Call& call,
                               std::string_view action) {
  if (services.login_per_ip.try_acquire(call.request.remote_address)) {
    return ok();
  }
  (void)services.audit.record(AuditDraft{
      services.clock.now(), call.actor.org, call.actor.user, call.actor.device, std::string(action),
      fmt::format("user:{}", call.actor.user.value()), "throttled", "limit=address"});
  return error(Code::kResourceExhausted, "too many attempts: wait and retry");
}

Result<json::value> unlock_session(const SessionServices& services, const Call& call) {
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  UnlockRequest unlock;
  unlock.pin = WL_TRY(reader.optional_string("pin"));
  unlock.password = WL_TRY(reader.optional_string("password"));
  WL_TRY(reader.finish());
  unlock.remote_address = call.request.remote_address;
  WL_TRY(take_secret_check(services, call, "session.unlock"));
  WL_TRY(services.identity.unlock(call.actor, unlock));
  services.hub.recheck(call.actor.user);
  return session_json(WL_TRY(services.identity.validate(call.actor)));
}

Result<json::value> get_me(const SessionServices& services, const Call& call) {
  const User user = WL_TRY(services.identity.find_user(call.actor, call.actor.user));
  json::object object = user_json(user, true);
  object["org_id"] = call.actor.org.value();
  object["device_id"] = call.actor.device.value();
  object["is_scheduler"] = user.is_scheduler;
  return object;
}

Result<json::value> set_pin(const SessionServices& services, const Call& call) {
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  PinChange change;
  change.password = WL_TRY(reader.required_string("password"));
  change.pin = WL_TRY(reader.required_string("pin"));
  WL_TRY(reader.finish());
  change.remote_address = call.request.remote_address;
  WL_TRY(take_secret_check(services, call, "pin.set"));
  WL_TRY(services.identity.set_pin(call.actor, change));
  return json::value();
}

Result<json::value> get_storage_key(const SessionServices& services, const Call& call) {
  const std::string key = WL_TRY(services.messaging.client_storage_key(call.actor));
  return json::object{{"key", crypto::base64url_encode(key)}, {"algorithm", "AES-256-GCM"}};
}

constexpr RouteOf<SessionServices> kRoutes[] = {
    {{"POST", "/api/v1/login", Access::kPublic, kLoginBody}, &login},
    {{"POST", "/api/v1/logout", Access::kLockedSession, kJsonBody}, &logout},
    {{"GET", "/api/v1/session", Access::kLockedSession, 0}, &get_session},
    {{"POST", "/api/v1/session/lock", Access::kLockedSession, kJsonBody}, &lock_session},
    {{"POST", "/api/v1/session/unlock", Access::kLockedSession, kLoginBody}, &unlock_session},
    {{"POST", "/api/v1/session/activity", Access::kSession, kJsonBody}, &note_activity},
    {{"GET", "/api/v1/me", Access::kSession, 0}, &get_me},
    {{"PUT", "/api/v1/me/pin", Access::kSession, kLoginBody}, &set_pin},
    {{"GET", "/api/v1/me/storage-key", Access::kSession, 0}, &get_storage_key},
};

}  // namespace

std::span<const RouteOf<SessionServices>> session_routes() { return kRoutes; }

}  // namespace wl::api
