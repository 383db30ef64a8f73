#pragma once

#include <span>

#include "api/routes/route_table.hpp"

namespace wl {
class CallbackService;
class DirectoryService;
class IdentityService;
}  // namespace wl

namespace wl::api {

class Hub;

// What the directory routes use; owned by the server's composition root, outlives
// the route table.
struct DirectoryServices {
  IdentityService& identity;
  DirectoryService& directory;
  Hub& hub;  // Who is online.
  CallbackService& callbacks;  // The numbers to call people back on (docs/callback.md).
};

// The org's users and the caller's devices: /users, /devices, /devices/{id}; directory
// search (/directory), the org screen (/org-screen) and users' directory fields
// (/admin/users/{id}/directory).
std::span<const RouteOf<DirectoryServices>> directory_routes();

}  // namespace wl::api
