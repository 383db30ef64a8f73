#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "core/unique_fd.hpp"

// The HTTPS and WebSocket server. Beast and Asio stay behind this header: api/ sees
// only Request, Response, WsConnection and the handler interfaces.
namespace wl::net {

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // Path and query: "/api/v1/threads?limit=20".
  std::string body;
  std::vector<Header> headers;
  std::string remote_address;  // The peer's IP address, no port.
  std::uint64_t connection_id = 0;

  // The first header with this name (case-insensitive), or "" if absent.
  std::string_view header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<Header> headers;  // Extra headers; security headers are added by net.
  // When open, the body is this regular file instead of `body`: net streams it from
  // the start in small pieces as the connection writes, so a large file is never held
  // in memory, and closes it afterwards. To a HEAD request only its length goes out.
  UniqueFd file;

  // As Request::header (a client reads the answer's headers with it).
  std::string_view header(std::string_view name) const;
};

// Completes one request. Call it exactly once, from any thread, before the Server is
// destroyed. Dropping it uncalled ends the connection without a response.
using Respond = std::function<void(Response)>;

// What an HttpHandler decides from a request's line and headers, before any byte of
// its body is read, so that nobody can make the server buffer a body for a route that
// does not exist or a caller it will refuse.
struct Admission {
  // When set: answer this at once; the body is never read (the connection then closes
  // if one was announced).
  std::optional<Response> refusal;
  // Otherwise, the largest body the route takes; a longer one gets 413 and a close.
  std::size_t body_limit = 0;
};

// Completes admit(). Call it exactly once, from any thread, before the Server is
// destroyed.
using Admit = std::function<void(Admission)>;

// Handles plain HTTPS requests. Both methods run on the connection's io thread and
// must not block: they hand blocking work to another thread and call back later. The
// connection reads nothing more until they have.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // The request line and headers are in (head.body is empty): decide whether to read
  // the body and how much of it may come. The default admits any body within
  // ServerOptions::http_body_limit.
  virtual void admit(const Request& head, Admit admit);
  // The whole request, body included, after admit() let it in.
  virtual void handle(Request request, Respond respond) = 0;
};

enum class CloseCode : std::uint16_t {
  kNormal = 1000,
  kGoingAway = 1001,
  kProtocolError = 1002,
  kPolicyViolation = 1008,  // Used for auth failures and slow consumers.
  kTooBig = 1009,
  kInternalError = 1011,
  kTryAgainLater = 1013,  // The server is overloaded: reconnect after a pause.
};

// One of the server's io threads. Per-thread state is kept by index(); work reaches the
// thread with post(). Lives until the Server is destroyed.
class IoThread {
 public:
  // 0 to the number of io threads less one.
  virtual std::size_t index() const = 0;
  // Runs task on this thread, after the tasks posted before it. Thread-safe. Dropped
  // once the server has stopped. Not after the Server is destroyed.
  virtual void post(std::function<void()> task) = 0;

 protected:
  ~IoThread() = default;
};

// One accepted WebSocket connection. The connection runs on one io thread for life;
// every method except post(), id() and remote_address() must be called on that thread
// (inside a WsHandler callback or a task given to post()).
class WsConnection {
 public:
  virtual ~WsConnection() = default;

  virtual std::uint64_t id() const = 0;
  virtual const std::string& remote_address() const = 0;
  // The io thread it runs on.
  virtual IoThread& io_thread() const = 0;

  // Runs task on the connection's thread. Thread-safe. Dropped silently if the
  // connection has closed. Not after the Server is destroyed.
  virtual void post(std::function<void()> task) = 0;

  // Queues a text frame. Returns false, queuing nothing, if the bounded outgoing queue
  // is full; the handler's on_drained() runs once it has emptied. Also false, with no
  // on_drained() to follow, once close() was called or the connection ended.
  virtual bool try_send(std::shared_ptr<const std::string> text) = 0;

  // Frames queued and not yet written.
  virtual std::size_t queued_frames() const = 0;

  // Sends a close frame after the queued frames and ends the connection.
  virtual void close(CloseCode code, std::string_view reason) = 0;

  // Closes the connection with `code` and `reason` unless cancel_deadline() is called
  // within `timeout` (for example: authenticate in time). One deadline at a time; a
  // new one replaces the old. Its timer exists only while it is armed.
  virtual void set_deadline(std::chrono::milliseconds timeout, CloseCode code,
                            std::string reason) = 0;
  virtual void cancel_deadline() = 0;
};

// The application side of one WebSocket connection. Every callback runs on the
// connection's thread; none may block. The handler object lives until on_closed()
// returns.
class WsHandler {
 public:
  virtual ~WsHandler() = default;
  // The upgrade completed. The connection stays valid until on_closed().
  virtual void on_open(std::shared_ptr<WsConnection> connection) = 0;
  // One complete text message (binary frames close the connection with 1003).
  virtual void on_message(std::string_view text) = 0;
  // The outgoing queue emptied after a try_send() returned false.
  virtual void on_drained() = 0;
  // The connection ended (either side, or an error). No further callbacks follow.
  // Runs exactly once, also when the upgrade handshake fails after the factory made
  // this handler (then without on_open).
  virtual void on_closed() = 0;
};

// Called on the io thread for each upgrade request to a WebSocket path. Returns the
// handler, or nullptr to refuse with 404.
using WsHandlerFactory = std::function<std::unique_ptr<WsHandler>(const Request& upgrade)>;

// Caps on what a client may hold before it has authenticated (docs/transport.md,
// "Connection limits"). 0 means no cap.
struct ConnectionLimits {
  // Open connections (TLS, HTTP and WebSocket) in all; also capped by the process's
  // descriptor limit less a reserve. Over it: the new connection is closed at once.
  std::size_t connections = 50000;
  // Open connections from one IP address. Behind a load balancer that does not pass
  // the client's address, every client shares one: raise it or set 0.
  std::size_t connections_per_address = 1000;
  // TLS handshakes in progress (each costs CPU and memory before anything is known
  // about the peer), in all and from one address.
  std::size_t handshakes = 512;
  std::size_t handshakes_per_address = 64;
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8443;  // 0 picks a free port; read it back with Server::port().
  std::size_t threads = 0;    // io_context threads; 0 = one per core.
  ConnectionLimits limits;
  // Ceiling on any request body; each route's own limit (Admission) is usually far
  // smaller. Over it: 413 and close.
  std::size_t http_body_limit = 1 << 20;
  std::size_t http_header_limit = 16 * 1024;  // Request line + headers; over it: 431 and close.
  std::size_t ws_message_limit = 64 * 1024;
  std::size_t ws_queue_frames = 512;  // Bound of each connection's outgoing queue.
  std::chrono::seconds http_timeout{30};
  std::chrono::seconds tls_handshake_timeout{10};
  std::vector<std::string> ws_paths{"/api/v1/ws"};
  // Plain HTTP gets only a redirect to https (docs/transport.md, "Plain HTTP"), on the
  // TLS port and, when set, on this port of the same address (0 picks a free one; read
  // it back with Server::http_redirect_port()).
  std::optional<std::uint16_t> http_redirect_port;
  // The names a redirect's Location may name (serve --hostname). Empty: the request's
  // Host header, once validated.
  std::vector<std::string> redirect_hosts;
  // A plain HTTP request's line and headers must arrive within this, and within 4 KiB.
  std::chrono::milliseconds http_redirect_timeout{5000};
};

// PEM text of the server's certificate chain and private key.
struct TlsCredentials {
  std::string certificate_chain_pem;
  std::string private_key_pem;
};

// What a Server counted since it started: cumulative counts, and the connections open
// now (docs/operations.md, "Monitoring").
struct ServerCounts {
  std::uint64_t connections_accepted = 0;  // Within the caps.
  std::uint64_t connections_refused = 0;   // Over a connection or handshake cap: closed at once.
  std::uint64_t tls_handshakes = 0;        // Completed.
  std::uint64_t tls_handshake_failures = 0;
  std::size_t open_connections = 0;  // Now, TLS and plain.
  std::size_t open_handshakes = 0;   // Now: accepted, TLS not done yet.
  std::size_t ws_queued_frames = 0;  // Now: frames waiting in WebSockets' outgoing queues.
};

// Serves HTTPS (TLS 1.2 and 1.3, AEAD suites only, HSTS) and WebSocket upgrades on one
// port; plain HTTP on that port (and on an optional plain port) is only redirected to
// it. Handlers must outlive the server. Not copyable.
class Server {
 public:
  Server(ServerOptions options, TlsCredentials credentials, HttpHandler& http,
         WsHandlerFactory ws_factory);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the io threads. Errors: Unavailable if the address
  // cannot be bound; InvalidArgument for bad credentials.
  Result<void> start();

  // Serves `credentials` to connections accepted from now on, under the same TLS policy
  // as start(); connections already open keep the certificate they were accepted with
  // until they end. Resumption state is per credentials: clients of the old ones do one
  // full handshake. Thread-safe; does not block on I/O. Errors: InvalidArgument for
  // credentials OpenSSL refuses (the old ones stay in use); FailedPrecondition unless
  // start() has succeeded.
  Result<void> reload_credentials(TlsCredentials credentials);

  // The bound port (after start()).
  std::uint16_t port() const;
  // What the server counted since start (for /metrics). Any thread.
  ServerCounts counts() const;
  // Whether every io thread ran a task posted to it within `timeout`: a service
  // manager's watchdog asks this, since a stuck io thread stops serving while the
  // process lives. False once a stop has begun. Blocks up to `timeout`; any thread.
  bool responsive(std::chrono::milliseconds timeout);
  // The bound plain HTTP port (after start()); 0 without ServerOptions::http_redirect_port.
  std::uint16_t http_redirect_port() const;

  // Stops accepting, closes WebSockets with 1001 (going away), waits at most
  // `drain` for in-flight work, then stops the threads. Idempotent. Must not be
  // called from a handler (an io thread). The destructor calls stop(0ms).
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(2000));

  // Blocks until stop() has finished.
  void wait();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wl::net
