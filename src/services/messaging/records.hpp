#pragma once

// What messaging's source files share of how its records are sealed and audited.
// Internal to services/messaging.

#include <string>
#include <string_view>

#include <fmt/format.h>

#include "core/ids.hpp"

namespace wl::messaging {

// The KeyRing record kind of message bodies and client ids.
inline constexpr std::string_view kMessageKind = "message";

// Audit targets.
inline std::string thread_target(ThreadId id) { return fmt::format("thread:{}", id.value()); }
inline std::string message_target(EventId id) { return fmt::format("message:{}", id.value()); }

}  // namespace wl::messaging
