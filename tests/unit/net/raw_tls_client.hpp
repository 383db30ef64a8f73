#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/ssl.h>

namespace wl::net::testing {

// Protocol settings a raw client offers; the defaults are a modern client.
struct RawTlsOptions {
  int min_version = TLS1_VERSION;
  int max_version = TLS1_3_VERSION;
  std::string tls12_ciphers = "DEFAULT:@SECLEVEL=0";  // Offer old suites too.
  SSL_SESSION* resume = nullptr;                      // Not owned.
  std::chrono::seconds read_timeout{2};
};

// A bare OpenSSL client over a blocking loopback socket, for what the real client
// refuses to do: old protocol versions, weak suites, malformed HTTP, binary frames.
// Reads time out after options.read_timeout. Not thread-safe.
class RawTlsClient {
 public:
  ~RawTlsClient();
  RawTlsClient(const RawTlsClient&) = delete;
  RawTlsClient& operator=(const RawTlsClient&) = delete;

  // Connects to 127.0.0.1:port and completes the handshake (no certificate check).
  // Returns nullptr if the TCP connect or the handshake fails.
  static std::unique_ptr<RawTlsClient> connect(std::uint16_t port,
                                               const RawTlsOptions& options = {});

  bool write(std::string_view bytes);
  // Reads exactly `count` bytes; returns fewer on close, error or timeout.
  std::string read_exact(std::size_t count);
  // Reads until `delimiter` (inclusive) or close/timeout.
  std::string read_until(std::string_view delimiter);
  // Reads until the peer closes (or the timeout).
  std::string read_all();
  // True if the peer closed the connection (rather than the read timing out).
  bool is_closed_by_peer();

  int version() const;
  std::string cipher() const;
  bool is_session_reused() const;
  // The session for resumption; the caller frees it with SSL_SESSION_free.
  SSL_SESSION* session() const;
  // The certificate the server presented (its leaf), PEM; empty if none.
  std::string peer_certificate_pem() const;

 private:
  RawTlsClient() = default;

  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  int socket_ = -1;
};

}  // namespace wl::net::testing
