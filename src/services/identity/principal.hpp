#pragma once

#include <string>

#include "core/ids.hpp"

namespace wl {

// Who is calling: the authenticated user, their org and device, and the session
// they used. Made only by IdentityService::authenticate (and by tools acting as the
// system); services authorise every call against it.
struct Principal {
  UserId user;
  OrgId org;
  DeviceId device;
  bool is_admin = false;     // Administers its org.
  bool is_operator = false;  // Runs the server: server-wide operations (KEK rotation).
  std::string token_hash;  // The session's key; empty for system principals.
};

}  // namespace wl
