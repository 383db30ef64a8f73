#include "api/routes/admin_routes.hpp"

#include <chrono>
#include <cstdint>
#include <string>

#include <fmt/format.h>
#include <boost/json/object.hpp>

#include "api/fields.hpp"
#include "net/server.hpp"
#include "services/audit/audit_log.hpp"
#include "services/identity/identity_service.hpp"
#include "services/identity/rate_limiter.hpp"
#include "services/keys/key_ring.hpp"

namespace wl::api {
namespace {
namespace json = boost::json;

// An org admin rotates the org's own data key: a new key seals the org's data from now
// on; older keys stay for reading, so nothing stops. Rate-limited per org.
Result<json::value> rotate_org_key(const AdminServices& services, const Call& call) {
  AuditDraft draft{services.clock.now(), call.actor.org, call.actor.user, call.actor.device,
                   "admin.keys.rotate",  "keys",         "denied",        ""};
  // A refusal is refused either way; its entry may be budgeted away (AuditLog::record).
  if (!call.actor.is_admin) {
    (void)services.audit.record(draft);
    return error(Code::kPermissionDenied, "this needs an administrator of the org");
  }
  if (!services.org_key_rotations.try_acquire(std::to_string(call.actor.org.value()))) {
    draft.outcome = "throttled";
    (void)services.audit.record(draft);
    return error(Code::kResourceExhausted, "keys were rotated moments ago: wait and retry");
  }
  const std::uint32_t key_id = WL_TRY(services.keys.rotate_data_key(call.actor.org));
  draft.outcome = "ok";
  draft.detail = fmt::format("data_key={}", key_id);
  WL_TRY(services.audit.record(draft));
  return json::object{{"data_key_id", key_id}};
}

Result<json::value> set_idle_lock(const AdminServices& services, const Call& call) {
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const auto seconds = WL_TRY(reader.required_int("idle_lock_seconds"));
  WL_TRY(reader.finish());
  WL_TRY(
      services.identity.set_idle_lock(call.actor, call.actor.org, std::chrono::seconds(seconds)));
  return json::object{{"idle_lock_seconds", seconds}};
}

// An operator rotates the server-wide key-encryption key: a new KEK re-wraps every
// org's data keys. Rate-limited for the whole server.
Result<json::value> rotate_kek(const AdminServices& services, const Call& call) {
  AuditDraft draft{services.clock.now(),  call.actor.org, call.actor.user, call.actor.device,
                   "operator.kek.rotate", "keys",         "denied",        ""};
  if (!call.actor.is_operator) {
    (void)services.audit.record(draft);
    return error(Code::kPermissionDenied, "this needs an operator of the server");
  }
  if (!services.kek_rotations.try_acquire("server")) {
    draft.outcome = "throttled";
    (void)services.audit.record(draft);
    return error(Code::kResourceExhausted,
                 "the key-encryption key was rotated moments ago: wait and retry");
  }
  WL_TRY(services.keys.rotate_kek());
  draft.outcome = "ok";
  WL_TRY(services.audit.record(draft));
  return json::value();
}

constexpr RouteOf<AdminServices> kRoutes[] = {
    {{"POST", "/api/v1/admin/keys/rotate", Access::kSession, kJsonBody}, &rotate_org_key},
    {{"PUT", "/api/v1/admin/idle-lock", Access::kSession, kJsonBody}, &set_idle_lock},
    {{"POST", "/api/v1/operator/kek/rotate", Access::kSession, kJsonBody}, &rotate_kek},
};

}  // namespace

std::span<const RouteOf<AdminServices>> admin_routes() { return kRoutes; }

}  // namespace wl::api
