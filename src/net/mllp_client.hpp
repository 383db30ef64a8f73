#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.hpp"
#include "net/client.hpp"

// A blocking MLLP client (`wardline hl7 send`, tests). Not for io threads.
namespace wl::net {

struct MllpClientOptions {
  // Host, port, trust (ca_file, or the system store) and `timeout`, which bounds the
  // connect, the TLS handshake and each wait for an ACK. certificate_pin and
  // insecure_dev work as for the HTTPS client.
  ClientOptions server;
  bool tls = false;
  std::size_t max_frame_bytes = std::size_t{1} << 20;  // The largest ACK read.
};

// One MLLP connection, plain or over TLS (the server's certificate checked against
// server.ca_file or the system store, and its name against server.host, as the HTTPS
// client does). Not thread-safe.
class MllpClient {
 public:
  ~MllpClient();
  MllpClient(const MllpClient&) = delete;
  MllpClient& operator=(const MllpClient&) = delete;

  // Connects (and completes the TLS handshake). Errors: Unavailable (resolve, connect
  // or TLS failure, named in the message), DeadlineExceeded, InvalidArgument (the CA
  // file cannot be loaded).
  static Result<std::unique_ptr<MllpClient>> connect(const MllpClientOptions& options);

  // Sends `message` framed. Errors: Unavailable (the connection failed or closed),
  // DeadlineExceeded; the connection is closed after either.
  Result<void> send(std::string_view message);

  // The next message the server sends (its ACK), unframed, waiting at most the
  // timeout. Errors: DeadlineExceeded (no complete frame in time), Unavailable (the
  // server closed the connection, the connection failed, or the framing is broken);
  // the connection is closed after any error.
  Result<std::string> receive();

  // send() then receive().
  Result<std::string> exchange(std::string_view message);

  // Ends the connection (TLS close_notify first). Idempotent; the destructor calls it.
  void close();

 private:
  MllpClient();
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wl::net
