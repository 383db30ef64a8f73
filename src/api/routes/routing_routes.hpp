#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include <boost/json/object.hpp>

#include "api/routes/route_table.hpp"
#include "api/schedule_imports.hpp"
#include "ports/routing_store.hpp"

namespace wl {
class RoutingService;
}  // namespace wl

namespace wl::api {

// What the routing routes use; owned by the server's composition root, outlives the
// route table.
struct RoutingServices {
  RoutingService& routing;
  ScheduleImports& imports;
};

// The largest schedule file an import takes: 100,000 shifts of iCalendar are about 40 MB.
inline constexpr std::size_t kScheduleFileBody = 64 * 1024 * 1024;

// A schedule import's request (the file and its query: format, time_zone,
// all_day_starts) and its status, shared with the system routes.
Result<ScheduleImport> schedule_import_of(const Call& call);
boost::json::object import_status_json(const ImportStatus& status);
// A Role object, and a role as a request body gives it (docs/protocol.md, "Routing").
boost::json::object role_json(const RoleView& view);
Result<RoleInput> role_input_of(const Call& call);
// A backup chain and an escalation policy, as answers and as request bodies
// (docs/protocol.md, "Escalation").
boost::json::object backups_json(const std::vector<Backup>& chain);
Result<std::vector<Backup>> backups_input(const Call& call);
boost::json::object policy_json(const EscalationPolicy& policy);
Result<EscalationPolicy> policy_input(const Call& call);

// Roles, their holders, previews and role threads, shift sign-in, and schedules:
// /roles, /roles/{id}[/{preview,thread,sign-in,sign-out,hand-over}], /sign-ins, /shifts,
// /shifts/{id}, /schedule-imports[/{id}]; escalation: /users/{id}/backups,
// /escalation-policy.
std::span<const RouteOf<RoutingServices>> routing_routes();

}  // namespace wl::api
