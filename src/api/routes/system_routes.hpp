#pragma once

#include <span>

#include "api/routes/route_table.hpp"

namespace wl {
class DirectoryService;
class IdentityService;
class PatientService;
class RoutingService;
}  // namespace wl

namespace wl::api {

class ScheduleImports;

// What the system routes use; owned by the server's composition root, outlives the
// route table.
struct SystemServices {
  IdentityService& identity;
  DirectoryService& directory;
  PatientService& patients;
  RoutingService& routing;
  ScheduleImports& imports;
};

// The administration of a running server by whoever holds its admin token (the run
// file in the data directory, read by `wardline admin`): orgs, users, devices,
// patients, roles, schedule imports and keys, under /api/v1/system/, each call acting as the system
// principal (Access::kAdminToken). docs/protocol.md, "System administration".
std::span<const RouteOf<SystemServices>> system_routes();

}  // namespace wl::api
