#pragma once

#include <cstdint>
#include <string>
#include <string_view>

// Plain TCP for tests: connections that never start TLS, or that speak plain HTTP to
// a port that should redirect it. Blocking; reads wait at most 5 s.
namespace wl::net::testing {

// Connects to 127.0.0.1:port, on `socket_fd` if given (made earlier, for example
// before the descriptor limit was lowered) or a new socket. -1 if connect failed.
int connect_tcp(std::uint16_t port, int socket_fd = -1);

// True if the server closed this connection (end of stream or a reset) within the
// socket's receive timeout.
bool is_closed_by_server(int fd);

// What the server sent until it closed the connection or the read timed out.
struct PlainAnswer {
  std::string bytes;
  bool is_closed = false;  // The server closed it (rather than the read timing out).
};

PlainAnswer read_until_closed(int fd);

// Sends `request` on a new connection to 127.0.0.1:port and reads the whole answer.
PlainAnswer send_plain(std::uint16_t port, std::string_view request);

// The value of the first header `name` (exact case) of an HTTP response, or "".
std::string header_of(const std::string& response, std::string_view name);

}  // namespace wl::net::testing
