#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.hpp"
#include "net/mllp_client.hpp"

// The asynchronous many-connection MLLP client behind `wardline bench mllp`: each
// connection keeps one message in flight (send, wait for its ACK, send the next), as
// interface engines do. Asio stays behind this header. Not for production clients (no
// reconnects).
namespace wl::net {

struct MllpLoadOptions {
  // Host, port, TLS and trust (ca_file or the system store; insecure_dev; no
  // certificate_pin); server.timeout bounds each step.
  MllpClientOptions client;
  std::size_t connections = 32;
  std::size_t threads = 1;  // io threads; connection i lives on thread i % threads.
  // The whole run (connects included) ends after this even if messages remain.
  std::chrono::seconds time_limit{300};
};

// What to send and where the ACKs go. Both callbacks run on the connection's io thread
// and must not block; calls for different connections may run at once on different
// threads, calls for one connection never do.
class MllpLoadSource {
 public:
  virtual ~MllpLoadSource() = default;
  // The next message for connection `index` (unframed), or nullopt when it is done.
  virtual std::optional<std::string> next_message(std::size_t index) = 0;
  // The ACK of the message connection `index` sent last, `latency` after that message
  // was handed to the socket. The view is valid only during the call.
  virtual void on_ack(std::size_t index, std::string_view ack,
                      std::chrono::nanoseconds latency) = 0;
};

struct MllpLoadResult {
  std::size_t connections_opened = 0;
  std::size_t connections_failed = 0;  // Failed to open, or ended by an error.
  std::uint64_t acks = 0;
  // From the moment every connection had opened (or failed) to the last ACK.
  std::chrono::nanoseconds elapsed{0};
  bool is_timed_out = false;          // time_limit passed with messages left.
  std::optional<Status> first_error;  // The first connection error, if any.
};

// Opens options.connections connections, and once all have opened (or failed) drives
// them with `source` until each has no more messages, fails, or the time limit passes.
// Blocks; `source` must outlive the call. Errors: InvalidArgument (0 connections or
// threads, a certificate pin, or a CA file that cannot be loaded), Unavailable (the
// host does not resolve). Connection failures are not errors of the call: they are
// counted in the result.
Result<MllpLoadResult> run_mllp_load(const MllpLoadOptions& options, MllpLoadSource& source);

}  // namespace wl::net
