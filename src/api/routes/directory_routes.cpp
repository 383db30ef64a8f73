#include "api/routes/directory_routes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/hub.hpp"
#include "api/json_codec.hpp"
#include "core/time.hpp"
#include "services/identity/identity_service.hpp"

namespace wl::api {
namespace {
namespace json = boost::json;

Result<json::value> list_users(const DirectoryServices& services, const Call& call) {
  json::array users;
  for (const User& user : WL_TRY(services.identity.list_users(call.actor))) {
    users.push_back(user_json(user, services.hub.is_online(user.id)));
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

constexpr RouteOf<DirectoryServices> kRoutes[] = {
    {{"GET", "/api/v1/users", Access::kSession, 0}, &list_users},
    {{"GET", "/api/v1/devices", Access::kSession, 0}, &list_devices},
    {{"DELETE", "/api/v1/devices/{id}", Access::kSession, 0}, &revoke_device},
};

}  // namespace

std::span<const RouteOf<DirectoryServices>> directory_routes() { return kRoutes; }

}  // namespace wl::api
