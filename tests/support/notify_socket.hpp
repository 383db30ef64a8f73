#pragma once

// A unix datagram socket bound to `name` ($NOTIFY_SOCKET's form: a path, or '@' and an
// abstract name), standing in for systemd's notification socket in the tests of
// cli/service_notify and of `serve` under a service manager.

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "core/unique_fd.hpp"

namespace wl::testing {

class NotifySocket {
 public:
  explicit NotifySocket(std::string name) : name_(std::move(name)) {
    fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name_.data(), name_.size());
    if (name_.starts_with('@')) {
      address.sun_path[0] = '\0';
    }
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
    EXPECT_EQ(::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&address), length), 0)
        << std::strerror(errno);
  }

  const std::string& name() const { return name_; }

  // The next datagram, or nullopt if none comes within `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout) {
    pollfd ready{fd_.get(), POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(timeout.count())) != 1) {
      return std::nullopt;
    }
    char buffer[4096];
    const ssize_t size = ::recv(fd_.get(), buffer, sizeof buffer, 0);
    if (size < 0) {
      return std::nullopt;
    }
    return std::string(buffer, static_cast<std::size_t>(size));
  }

 private:
  std::string name_;
  UniqueFd fd_;
};

}  // namespace wl::testing
