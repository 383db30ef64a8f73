#include "unit/net/plain_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

namespace wl::net::testing {

int connect_tcp(std::uint16_t port, int socket_fd) {
  const int fd = socket_fd >= 0 ? socket_fd : ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool is_closed_by_server(int fd) {
  char byte = 0;
  const ssize_t received = ::recv(fd, &byte, 1, 0);
  return received == 0 || (received < 0 && errno == ECONNRESET);
}

PlainAnswer read_until_closed(int fd) {
  PlainAnswer answer;
  char chunk[4096];
  for (;;) {
    const ssize_t received = ::recv(fd, chunk, sizeof chunk, 0);
    if (received > 0) {
      answer.bytes.append(chunk, static_cast<std::size_t>(received));
      continue;
    }
    answer.is_closed = received == 0 || errno == ECONNRESET;
    return answer;
  }
}

PlainAnswer send_plain(std::uint16_t port, std::string_view request) {
  const int fd = connect_tcp(port);
  if (fd < 0) {
    return {};
  }
  PlainAnswer answer;
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
      static_cast<ssize_t>(request.size())) {
    answer = read_until_closed(fd);
  }
  ::close(fd);
  return answer;
}

std::string header_of(const std::string& response, std::string_view name) {
  const std::string prefix = "\r\n" + std::string(name) + ": ";
  const std::size_t at = response.find(prefix);
  if (at == std::string::npos) {
    return {};
  }
  const std::size_t start = at + prefix.size();
  return response.substr(start, response.find("\r\n", start) - start);
}

}  // namespace wl::net::testing
