#pragma once

#include <span>

#include "api/routes/route_table.hpp"

namespace wl {
class AuditLog;
class Clock;
class IdentityService;
class KeyRing;
class RateLimiter;
}  // namespace wl

namespace wl::api {

// What the admin and operator routes use; owned by the server's composition root,
// outlives the route table.
struct AdminServices {
  IdentityService& identity;  // The org's idle lock.
  KeyRing& keys;
  AuditLog& audit;
  const Clock& clock;
  RateLimiter& org_key_rotations;  // Per org.
  RateLimiter& kek_rotations;      // For the whole server.
};

// What an org admin or a server operator changes: /admin/keys/rotate,
// /admin/idle-lock, /operator/kek/rotate.
std::span<const RouteOf<AdminServices>> admin_routes();

}  // namespace wl::api
