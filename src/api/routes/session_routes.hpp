#pragma once

#include <span>

#include "api/routes/route_table.hpp"

namespace wl {
class AuditLog;
class Clock;
class IdentityService;
class MessagingService;
class RateLimiter;
}  // namespace wl

namespace wl::api {

class Hub;
class RefusalAudit;

// What the session routes use. Everything named is owned by the server's composition
// root and outlives the route table.
struct SessionServices {
  IdentityService& identity;
  MessagingService& messaging;  // The client's storage key.
  Hub& hub;                     // Rechecks the user's sockets after a lock or unlock.
  AuditLog& audit;
  const Clock& clock;
  RateLimiter& login_per_ip;  // Also bounds unlock and PIN changes: both check a secret.
  RateLimiter& login_per_user;
  RefusalAudit& refusals;
};

// Login, logout, the session and its lock, and the caller's own account: /login,
// /logout, /session, /session/{lock,unlock,activity}, /me, /me/pin, /me/storage-key.
std::span<const RouteOf<SessionServices>> session_routes();

}  // namespace wl::api
