#pragma once

// What both store adapters check of an AppendScopedEvent (ports/message_log.hpp)
// before they look at the database. Internal to the adapters.

#include "core/status.hpp"
#include "ports/message_log.hpp"

namespace wl::detail {

// Errors: InvalidArgument for a thread kind, or a user event naming no user.
inline Result<void> check_scoped_event(const AppendScopedEvent& mutation) {
  const EventScope scope = scope_of(mutation.kind);
  if (scope == EventScope::kThread) {
    return error(Code::kInvalidArgument, "a thread event needs its thread");
  }
  if (scope == EventScope::kUser && !mutation.user.is_set()) {
    return error(Code::kInvalidArgument, "a user event needs its user");
  }
  return ok();
}

}  // namespace wl::detail
