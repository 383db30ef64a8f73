#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.hpp"
#include "net/client.hpp"

// The asynchronous many-connection WebSocket client behind `wardline bench`: thousands
// of TLS WebSocket connections driven by a few io threads. Beast and Asio stay behind
// this header. Not for production clients (no reconnects, no resumption).
namespace wl::net {

struct LoadClientOptions {
  ClientOptions server;            // Host, port, CA; `timeout` bounds connect + handshakes.
  std::size_t threads = 1;         // io threads; each runs its own io_context.
  std::size_t affinity_group = 1;  // Consecutive connections that share an io thread.
  std::size_t max_connecting = 64;      // Connects and handshakes in flight at once.
  std::size_t max_queued_frames = 4096;  // Per connection; send() refuses past it.
};

// Receives the events of a LoadClient's connections. Every callback runs on the io
// thread that owns the connection (LoadClient::thread_of(index)) and must not block.
// Connections are numbered 0..count-1.
class LoadHandler {
 public:
  virtual ~LoadHandler() = default;
  // The TLS and WebSocket handshakes completed; send() may be called now.
  virtual void on_open(std::size_t index) = 0;
  // One complete text message. The view is valid only during the call.
  virtual void on_message(std::size_t index, std::string_view text) = 0;
  // The connection failed to open or ended. Runs at most once per connection and never
  // after stop() has begun. `why`: Unavailable (connect, TLS or I/O failure, or the
  // peer's close frame, whose code the message names), DeadlineExceeded (handshake
  // timeout), PermissionDenied (upgrade refused).
  virtual void on_closed(std::size_t index, const Status& why) = 0;
};

// Opens `count` WebSocket connections to one target and lets the handler drive them.
// Connection i lives on io thread thread_of(i) for life, so per-connection and
// per-thread state of the handler needs no lock when each thread touches only its own.
// Construct and call start()/stop() from one controlling thread; send() and close()
// only on the connection's thread; post() and the counters from any thread.
class LoadClient {
 public:
  // The handler must outlive the client (or at least the return of stop()).
  LoadClient(LoadClientOptions options, LoadHandler& handler);
  ~LoadClient();  // Calls stop().
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  // Resolves the server, starts the io threads and begins opening `count` connections
  // to `target` (at most max_connecting at once). Returns once they are started, not
  // opened: watch on_open/on_closed or opened()/failed(). Errors: InvalidArgument (CA
  // file), Unavailable (the host does not resolve), FailedPrecondition (called twice).
  Result<void> start(std::size_t count, std::string target);

  // Queues one text frame on connection `index`; frames go out in order, one write at
  // a time. Returns false, queuing nothing, if the connection is not open or its queue
  // holds max_queued_frames. Call on the connection's thread only.
  bool send(std::size_t index, std::string text);

  // Runs `task` on connection `index`'s thread. Thread-safe. Dropped after stop().
  void post(std::size_t index, std::function<void()> task);

  // Runs `tick(thread)` on each io thread every `period` until stop(). Call after
  // start(), once.
  void start_ticker(std::chrono::microseconds period, std::function<void(std::size_t)> tick);

  // Sends close frames on every open connection, waits at most `wait` for the close
  // handshakes, then stops and joins the io threads. No callback runs after it
  // returns. Idempotent.
  void stop(std::chrono::milliseconds wait = std::chrono::milliseconds(2000));

  std::size_t thread_count() const;
  std::size_t thread_of(std::size_t index) const;
  std::size_t opened() const;  // Connections whose handshakes completed.
  std::size_t failed() const;  // Connections that failed to open.
  std::size_t closed() const;  // Opened connections that have ended.

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wl::net
