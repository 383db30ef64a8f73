#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "net/server.hpp"

// Blocking HTTPS and WebSocket clients for the command line (chat, admin over the
// network) and for integration tests. Not for io threads.
namespace wl::net {

struct ClientOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8443;
  std::string ca_file;        // PEM CA to trust; empty = system trust store.
  bool insecure_dev = false;  // Skip certificate verification (development only).
  // If set, the server's certificate must have exactly this public key (base64 SHA-256
  // of its SubjectPublicKeyInfo, net::certificate_pin), whoever signed it and whatever
  // names it holds; ca_file and the host name are then not checked. For a local
  // client that learnt the key from a file the server wrote (`wardline admin`).
  std::string certificate_pin;
  std::chrono::milliseconds timeout{10000};
  std::size_t max_message_size = 16 << 20;  // Largest WebSocket message or HTTP body read.
  std::string source_address;  // Local address to connect from; empty = the system's choice.
};

// Parses "https://host:port" into host and port. Errors: InvalidArgument.
Result<ClientOptions> parse_server_url(std::string_view url, ClientOptions base = {});

// One keep-alive HTTPS connection, reconnecting when the server closes it.
// Not thread-safe.
class HttpsClient {
 public:
  explicit HttpsClient(ClientOptions options);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  // Sends one request and reads the response. Errors: Unavailable (connect, TLS or
  // I/O failure), DeadlineExceeded (timeout). An HTTP error status is not an error.
  Result<Response> request(std::string_view method, std::string_view target,
                           std::string_view body = {}, const std::vector<Header>& headers = {});

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// One WebSocket connection over TLS. Not thread-safe.
class WsClient {
 public:
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Connects and upgrades. Errors: Unavailable, DeadlineExceeded, PermissionDenied if
  // the server refuses the upgrade.
  static Result<std::unique_ptr<WsClient>> connect(const ClientOptions& options,
                                                   std::string_view target,
                                                   const std::vector<Header>& headers = {});

  // Sends one text frame. Errors: Unavailable if the connection is gone.
  Result<void> send(std::string_view text);

  // Waits for the next text frame. Errors: DeadlineExceeded on timeout (the connection
  // stays usable); Unavailable once closed (message says the close code and reason).
  Result<std::string> receive(std::chrono::milliseconds timeout);

  // The close code the server sent, once receive() reported the close (0 otherwise).
  std::uint16_t close_code() const;

  // Sends a close frame and waits briefly for the server's.
  void close();

  // Drops the TCP connection without a close handshake (to simulate a network loss).
  void abort_for_test();

 private:
  WsClient();
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wl::net
