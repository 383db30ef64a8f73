#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "core/ids.hpp"
#include "core/time.hpp"
#include "ports/records.hpp"

namespace wl {

// Who is calling: the authenticated user, their org and device, and the session
// they used. Made only by IdentityService::authenticate (and by tools acting as the
// system); services authorise every call against it.
struct Principal {
  UserId user;
  OrgId org;
  DeviceId device;
  bool is_admin = false;      // Administers its org.
  bool is_operator = false;   // Runs the server: server-wide operations (KEK rotation).
  std::string token_hash;     // The session's key; empty for system principals.
  bool is_scheduler = false;  // Builds and imports its org's on-call schedules.
};

// The audit entry of `action` by `actor` at `at`: who, from which org and device.
inline AuditDraft audit_draft(const Principal& actor, Timestamp at, std::string_view action,
                              std::string target, std::string_view outcome,
                              std::string detail = {}) {
  return AuditDraft{at,
                    actor.org,
                    actor.user,
                    actor.device,
                    std::string(action),
                    std::move(target),
                    std::string(outcome),
                    std::move(detail)};
}

// The audit entry of `action` the server takes by itself (a timer's work): no user, no
// device.
inline AuditDraft server_audit_draft(Timestamp at, OrgId org, std::string_view action,
                                     std::string target, std::string_view outcome,
                                     std::string detail = {}) {
  return AuditDraft{at,
                    org,
                    UserId(),
                    DeviceId(),
                    std::string(action),
                    std::move(target),
                    std::string(outcome),
                    std::move(detail)};
}

}  // namespace wl
