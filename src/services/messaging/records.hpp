#pragma once

// What messaging's source files share of how its records are sealed and audited.
// Internal to services/messaging.

#include <string>
#include <string_view>

#include <fmt/format.h>

#include "core/ids.hpp"
#include "ports/records.hpp"

namespace wl::messaging {

// The KeyRing record kind of message bodies and client ids.
inline constexpr std::string_view kMessageKind = "message";

// Drops what only the store needs of a message event (its client token and sealed
// fields) before it leaves messaging: callers get the opened client id and body.
inline void clear_seals(Event& event) {
  event.client_token.clear();
  event.client_id_sealed.clear();
  event.body_sealed.clear();
  event.callback_sealed.clear();
}

// Audit targets.
inline std::string thread_target(ThreadId id) { return fmt::format("thread:{}", id.value()); }
inline std::string message_target(EventId id) { return fmt::format("message:{}", id.value()); }

}  // namespace wl::messaging
