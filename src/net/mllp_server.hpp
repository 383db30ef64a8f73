#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/status.hpp"
#include "net/server.hpp"

// The MLLP listener for the hospital's HL7 v2 feed (docs/transport.md, "MLLP"). Asio
// stays behind this header: api/ and cli/ see only these types.
namespace wl::net {

struct MllpOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 2575;  // 0 picks a free port; read it back with MllpServer::port().
  std::size_t threads = 1;    // io threads, each with its own io_context.
  // Open connections in all; over it a new connection is closed at once (and counted).
  std::size_t max_connections = 256;
  // Open connections from one peer address (0: no cap); over it likewise. An interface
  // engine holds one or a few; the cap keeps one host from taking every slot.
  std::size_t max_connections_per_address = 64;
  // The largest message (between the start and end blocks); over it, or on broken
  // framing, the connection closes.
  std::size_t max_frame_bytes = std::size_t{1} << 20;
  // Per connection: messages handed to the handler whose ACK is not written yet. At
  // the bound the connection reads nothing more until one is written.
  std::size_t max_in_flight = 32;
  // A connection with no message awaiting its ACK and no byte received for this long
  // is closed.
  std::chrono::seconds idle_timeout{600};
  std::chrono::seconds tls_handshake_timeout{10};
};

// One complete message as it arrived, without its framing.
struct MllpMessage {
  std::string payload;
  std::string remote_address;  // The peer's IP address, no port.
  std::uint64_t connection_id = 0;
};

// Completes one message with its acknowledgement (the ACK message, unframed: net frames
// it). Call it exactly once, from any thread, before the MllpServer is destroyed. The
// ACKs of one connection are written in the order its messages arrived, whatever the
// order of the calls. Dropping it uncalled closes the connection (the sender resends
// what it has no ACK for). An ACK containing 0x0B or 0x1C, which cannot be framed, also
// closes the connection.
using MllpReply = std::function<void(std::string ack_payload)>;

// The application side of the listener. Must outlive the MllpServer.
class MllpHandler {
 public:
  virtual ~MllpHandler() = default;
  // One message. Runs on the connection's io thread and must not block: hand the work
  // to another thread and call `reply` from there.
  virtual void on_message(MllpMessage message, MllpReply reply) = 0;
};

// What an MllpServer counted since it started (docs/operations.md, "Monitoring").
struct MllpCounts {
  std::uint64_t connections_accepted = 0;
  // Over max_connections or max_connections_per_address: closed at once.
  std::uint64_t connections_refused = 0;
  std::size_t open_connections = 0;  // Now.
  std::uint64_t tls_handshake_failures = 0;
  std::uint64_t frames_received = 0;  // Complete messages handed to the handler.
  std::uint64_t replies_sent = 0;     // ACKs written to the socket.
  // Frames over max_frame_bytes and broken framing: each closed its connection.
  std::uint64_t framing_errors = 0;
  // Of those, frames over max_frame_bytes; the rest were broken framing.
  std::uint64_t oversize_frames = 0;
  // Connections the peer closed inside a frame: that partial message was dropped.
  std::uint64_t truncated_frames = 0;
};

// Listens for MLLP (HL7 v2.5.1 Appendix C, release 1) on one port, plain or over TLS
// (TLS 1.2 and 1.3, AEAD suites only, the HTTPS server's policy). Each connection
// lives on one io thread; its messages go to the handler in order and their ACKs go
// back framed in the same order. Not copyable. start(), stop() and the destructor from
// one controlling thread; port() and counts() from any thread.
class MllpServer {
 public:
  // With `tls`, every connection must start with a TLS handshake; without, the port
  // speaks plain MLLP. `handler` must outlive the server.
  MllpServer(MllpOptions options, std::optional<TlsCredentials> tls, MllpHandler& handler);
  ~MllpServer();  // Calls stop(0ms).
  MllpServer(const MllpServer&) = delete;
  MllpServer& operator=(const MllpServer&) = delete;

  // Binds, listens and starts the io threads. Errors: Unavailable if the address
  // cannot be bound; InvalidArgument for a bad address, bad credentials or options of
  // 0 (threads, max_frame_bytes, max_in_flight); FailedPrecondition if called twice.
  [[nodiscard]] Result<void> start();

  // Serves `credentials` to connections accepted from now on (the open ones keep
  // theirs). Thread-safe. Errors: InvalidArgument for credentials OpenSSL refuses (the
  // old ones stay in use); FailedPrecondition unless the server was started with TLS.
  [[nodiscard]] Result<void> reload_credentials(const TlsCredentials& credentials);

  // The bound port (after start()).
  std::uint16_t port() const;
  // For /metrics. Any thread.
  MllpCounts counts() const;

  // Stops accepting and reading; messages already handed to the handler still get
  // their ACKs written, for at most `drain`; then every connection closes and the io
  // threads end. Messages read but not yet handed over are dropped unacknowledged (the
  // sender resends them). Idempotent; blocks up to `drain`. Must not be called from
  // the handler.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(2000));

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wl::net
