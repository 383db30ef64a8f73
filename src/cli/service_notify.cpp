#include "cli/service_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/log.hpp"
#include "core/unique_fd.hpp"

namespace wl::cli {
namespace {

struct SocketAddress {
  sockaddr_un address{};
  socklen_t length = 0;
};

// The address of `socket`: an absolute path, or '@' and a name in the abstract
// namespace (whose address starts with a NUL byte and is not NUL-terminated).
Result<SocketAddress> socket_address(std::string_view socket) {
  SocketAddress result;
  result.address.sun_family = AF_UNIX;
  const bool is_abstract = socket.starts_with('@');
  if (!is_abstract && !socket.starts_with('/')) {
    return error(Code::kInvalidArgument,
                 "NOTIFY_SOCKET is neither an absolute path nor an abstract name");
  }
  // A path needs room for its terminating NUL; an abstract name replaces '@' with NUL.
  const std::size_t room = sizeof(result.address.sun_path) - (is_abstract ? 0 : 1);
  if (socket.size() < 2 || socket.size() > room) {
    return error(Code::kInvalidArgument, "NOTIFY_SOCKET is empty or too long for a unix socket");
  }
  std::memcpy(result.address.sun_path, socket.data(), socket.size());
  if (is_abstract) {
    result.address.sun_path[0] = '\0';
  }
  result.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket.size() +
                                         (is_abstract ? 0 : 1));
  return result;
}

// The environment variable `name`, or "" if it is unset.
std::string_view environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string_view() : std::string_view(value);
}

}  // namespace

Result<void> notify_socket(std::string_view socket, std::string_view state) {
  const SocketAddress target = WL_TRY(socket_address(socket));
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.is_open()) {
    return error(Code::kUnavailable, std::string("cannot open a socket to the service manager: ") +
                                         std::strerror(errno));
  }
  // Never blocks: a manager that does not read its queue must not stall a start or a
  // stop. One datagram per state, as the manager reads them.
  const ssize_t sent = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                                reinterpret_cast<const sockaddr*>(&target.address), target.length);
  if (sent < 0) {
    return error(Code::kUnavailable,
                 std::string("cannot notify the service manager: ") + std::strerror(errno));
  }
  return ok();
}

Result<void> notify_service_manager(std::string_view state) {
  const std::string_view socket = environment("NOTIFY_SOCKET");
  if (socket.empty()) {
    return ok();
  }
  return notify_socket(socket, state);
}

void notify_service_manager_or_log(std::string_view state) {
  if (auto notified = notify_service_manager(state); !notified) {
    log::get("cli")->error("{}", notified.error().to_string());
  }
}

std::optional<std::chrono::microseconds> service_watchdog_interval() {
  auto number = [](const char* text) -> std::optional<std::int64_t> {
    if (text == nullptr || *text == '\0') {
      return std::nullopt;
    }
    std::int64_t value = 0;
    const std::string_view view(text);
    const auto [end, code] = std::from_chars(view.data(), view.data() + view.size(), value);
    if (code != std::errc() || end != view.data() + view.size() || value <= 0) {
      return std::nullopt;
    }
    return value;
  };
  if (const char* pid = std::getenv("WATCHDOG_PID"); pid != nullptr && *pid != '\0') {
    if (number(pid) != static_cast<std::int64_t>(::getpid())) {
      return std::nullopt;  // Meant for another process (one that started us).
    }
  }
  const auto usec = number(std::getenv("WATCHDOG_USEC"));
  if (!usec) {
    return std::nullopt;
  }
  return std::chrono::microseconds(*usec);
}

}  // namespace wl::cli
