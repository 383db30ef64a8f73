#pragma once

#include <memory>
#include <string_view>

#include "net/server.hpp"

namespace wl::api {

// The benchmark baseline: a WebSocket handler that sends every text frame straight
// back, with no authentication, parsing, store or hub. Mounted at /bench/echo only by
// `serve --bench-echo`, so `wardline bench run --mode echo` measures what the TLS
// WebSocket stack costs on its own, in the same server process and run conditions.
//
// Runs only on its connection's thread. A client that does not read its echoes fills
// the connection's bounded queue and is closed as a slow consumer (1008).
class EchoSession final : public net::WsHandler {
 public:
  EchoSession() = default;
  ~EchoSession() override = default;

  void on_open(std::shared_ptr<net::WsConnection> connection) override;
  void on_message(std::string_view text) override;
  void on_drained() override;
  void on_closed() override;

 private:
  std::shared_ptr<net::WsConnection> connection_;
};

}  // namespace wl::api
