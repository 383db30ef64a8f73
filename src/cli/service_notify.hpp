#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "core/status.hpp"

// The service manager's notification protocol (sd_notify(3); systemd documents it as
// stable): under a systemd unit with Type=notify, the process tells systemd that it is
// ready or stopping by sending one datagram of "KEY=VALUE" lines, such as
// "READY=1\nSTATUS=listening on https://[::]:8443", to the unix datagram socket named
// by $NOTIFY_SOCKET: a file system path, or a name in the abstract namespace when it
// starts with '@'. Without $NOTIFY_SOCKET (no systemd, containers, tests) nothing is
// sent. These few lines replace libsystemd, which would add a library and its own
// dependencies (compression, gcrypt) to every build for one stable datagram.
namespace wl::cli {

// Sends `state` to the service manager named by $NOTIFY_SOCKET. Without one (unset or
// empty) sends nothing and returns ok. Never blocks. Errors: InvalidArgument if
// $NOTIFY_SOCKET is neither an absolute path nor '@' and a name, or too long for a unix
// socket address; Unavailable if the datagram cannot be sent (nobody listens, or the
// manager's queue is full).
[[nodiscard]] Result<void> notify_service_manager(std::string_view state);

// The same, to `socket` (in $NOTIFY_SOCKET's form) rather than the environment's.
[[nodiscard]] Result<void> notify_socket(std::string_view socket, std::string_view state);

// The watchdog interval the service manager asks for (WatchdogSec= in the unit):
// $WATCHDOG_USEC, if $WATCHDOG_PID is unset or names this process; nullopt otherwise,
// or for a value that is not a positive number. WATCHDOG=1 must then be sent at least
// this often; sd_watchdog_enabled(3) advises every half of it.
std::optional<std::chrono::microseconds> service_watchdog_interval();

// notify_service_manager, logging a failure at error level and going on: under systemd
// a lost READY=1 ends in a start timeout, and the log then says why.
void notify_service_manager_or_log(std::string_view state);

}  // namespace wl::cli
