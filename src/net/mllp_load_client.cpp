#include "net/mllp_load_client.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "core/hl7/mllp.hpp"
#include "net/detail/client_connect.hpp"

// Each connection is a small state machine on its io thread: connect -> (TLS
// handshake) -> opened; once the controller has seen every connection open or fail,
// it posts the go to each, and each loops: take a message, write it, read until one
// whole frame (its ACK) has arrived, report it, take the next. A plain connection uses
// the TCP stream under the unused TLS stream.
namespace wl::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using Tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;
using Stream = beast::ssl_stream<beast::tcp_stream>;

constexpr std::size_t kReadChunk = 4096;

// Shared by the connections and the controller.
struct Run {
  Run(const MllpLoadOptions& load_options, MllpLoadSource& load_source)
      : options(load_options), source(load_source) {}

  // A connection reached a final or an opening state; wakes the controller.
  void note(bool is_opened, bool is_failed, const Status* why) {
    std::lock_guard lock(mutex);
    if (is_opened) {
      ++opened;
    }
    if (is_failed) {
      ++failed;
      if (why != nullptr && !first_error) {
        first_error = *why;
      }
    }
    changed.notify_all();
  }

  void note_done() {
    std::lock_guard lock(mutex);
    ++done;
    changed.notify_all();
  }

  const MllpLoadOptions& options;
  MllpLoadSource& source;
  ssl::context tls{ssl::context::tls_client};
  Tcp::resolver::results_type endpoints;
  std::atomic<std::uint64_t> acks{0};
  std::atomic<std::int64_t> last_ack_ns{0};  // steady_clock, since its epoch.
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t opened = 0;             // GUARDED_BY(mutex)
  std::size_t failed = 0;             // GUARDED_BY(mutex)
  std::size_t done = 0;               // GUARDED_BY(mutex): ended, with or without error.
  std::optional<Status> first_error;  // GUARDED_BY(mutex)
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Run& run, asio::io_context& io, std::size_t index)
      : run_(run),
        index_(index),
        stream_(io, run.tls),
        decoder_(run.options.client.max_frame_bytes) {}

  void start() {
    auto& tcp = beast::get_lowest_layer(stream_);
    tcp.expires_after(run_.options.client.server.timeout);
    tcp.async_connect(run_.endpoints,
                      [self = shared_from_this()](ErrorCode code, const Tcp::endpoint&) {
                        self->on_connect(code);
                      });
  }

  // The go: starts sending. On the connection's thread.
  void begin() {
    if (is_open_) {
      do_send();
    }
  }

 private:
  void on_connect(ErrorCode code) {
    if (code) {
      fail_to_open(code, "connect");
      return;
    }
    ErrorCode ignored;
    beast::get_lowest_layer(stream_).socket().set_option(Tcp::no_delay(true), ignored);
    if (!run_.options.client.tls) {
      on_open();
      return;
    }
    detail::set_client_peer_name(stream_.native_handle(), run_.options.client.server);
    beast::get_lowest_layer(stream_).expires_after(run_.options.client.server.timeout);
    stream_.async_handshake(ssl::stream_base::client,
                            [self = shared_from_this()](ErrorCode result) {
                              if (result) {
                                self->fail_to_open(result, "TLS handshake");
                              } else {
                                self->on_open();
                              }
                            });
  }

  void on_open() {
    is_open_ = true;
    run_.note(true, false, nullptr);
  }

  void fail_to_open(const ErrorCode& code, std::string_view step) {
    const Status why(code == beast::error::timeout ? Code::kDeadlineExceeded : Code::kUnavailable,
                     std::string(step) + " failed: " + code.message());
    run_.note(false, true, &why);
    run_.note_done();
  }

  void do_send() {
    std::optional<std::string> message = run_.source.next_message(index_);
    if (!message) {
      finish();
      return;
    }
    out_ = hl7::encode_mllp(*message);
    sent_at_ = SteadyClock::now();
    beast::get_lowest_layer(stream_).expires_after(run_.options.client.server.timeout);
    auto on_written = [self = shared_from_this()](ErrorCode code, std::size_t) {
      if (code) {
        self->fail(code, "write");
        return;
      }
      self->do_read();
    };
    if (run_.options.client.tls) {
      asio::async_write(stream_, asio::buffer(out_), std::move(on_written));
    } else {
      asio::async_write(stream_.next_layer(), asio::buffer(out_), std::move(on_written));
    }
  }

  void do_read() {
    auto on_read = [self = shared_from_this()](ErrorCode code, std::size_t bytes) {
      self->on_read(code, bytes);
    };
    if (run_.options.client.tls) {
      stream_.async_read_some(asio::buffer(buffer_), std::move(on_read));
    } else {
      stream_.next_layer().async_read_some(asio::buffer(buffer_), std::move(on_read));
    }
  }

  void on_read(ErrorCode code, std::size_t bytes) {
    if (bytes > 0) {
      if (Result<void> fed = decoder_.feed(std::string_view(buffer_.data(), bytes)); !fed) {
        const Status why(Code::kUnavailable, "the server broke MLLP framing");
        end(&why);
        return;
      }
    }
    if (std::optional<std::string> ack = decoder_.next()) {
      const auto now = SteadyClock::now();
      run_.acks.fetch_add(1, std::memory_order_relaxed);
      run_.last_ack_ns.store(now.time_since_epoch().count(), std::memory_order_relaxed);
      run_.source.on_ack(index_, *ack, now - sent_at_);
      do_send();
      return;
    }
    if (code) {
      fail(code, "read");
      return;
    }
    do_read();
  }

  void fail(const ErrorCode& code, std::string_view step) {
    const Status why(code == beast::error::timeout ? Code::kDeadlineExceeded : Code::kUnavailable,
                     std::string(step) + " failed: " + code.message());
    end(&why);
  }

  void end(const Status* why) {
    {
      std::lock_guard lock(run_.mutex);
      ++run_.failed;
      if (!run_.first_error) {
        run_.first_error = *why;
      }
    }
    finish();
  }

  void finish() {
    ErrorCode ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(Tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).socket().close(ignored);
    run_.note_done();
  }

  Run& run_;
  const std::size_t index_;
  Stream stream_;
  hl7::MllpDecoder decoder_;
  std::array<char, kReadChunk> buffer_{};
  std::string out_;
  SteadyClock::time_point sent_at_;
  bool is_open_ = false;
};

}  // namespace

Result<MllpLoadResult> run_mllp_load(const MllpLoadOptions& options, MllpLoadSource& source) {
  if (options.connections == 0 || options.threads == 0) {
    return error(Code::kInvalidArgument, "connections and threads must be at least 1");
  }
  if (!options.client.server.certificate_pin.empty()) {
    return error(Code::kInvalidArgument, "the MLLP load client does not check pinned keys");
  }
  Run run(options, source);
  WL_TRY(detail::configure_client_tls(run.tls, options.client.server));
  {
    asio::io_context resolver_io;
    Tcp::resolver resolver(resolver_io);
    ErrorCode code;
    run.endpoints = resolver.resolve(options.client.server.host,
                                     std::to_string(options.client.server.port), code);
    if (code) {
      return error(Code::kUnavailable, "cannot resolve the server name");
    }
  }
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (std::size_t index = 0; index < options.threads; ++index) {
    contexts.push_back(std::make_unique<asio::io_context>(1));
    guards.push_back(asio::make_work_guard(*contexts.back()));
  }
  std::vector<std::shared_ptr<Connection>> connections;
  for (std::size_t index = 0; index < options.connections; ++index) {
    asio::io_context& io = *contexts[index % contexts.size()];
    connections.push_back(std::make_shared<Connection>(run, io, index));
    asio::post(io, [connection = connections.back()] { connection->start(); });
  }
  std::vector<std::thread> threads;
  for (auto& io : contexts) {
    threads.emplace_back([&io = *io] { io.run(); });
  }

  const auto deadline = SteadyClock::now() + options.time_limit;
  MllpLoadResult result;
  SteadyClock::time_point began;
  {
    std::unique_lock lock(run.mutex);
    run.changed.wait_until(lock, deadline,
                           [&] { return run.opened + run.failed >= options.connections; });
    began = SteadyClock::now();
    result.connections_opened = run.opened;
  }
  for (std::size_t index = 0; index < connections.size(); ++index) {
    asio::post(*contexts[index % contexts.size()],
               [connection = connections[index]] { connection->begin(); });
  }
  {
    std::unique_lock lock(run.mutex);
    result.is_timed_out =
        !run.changed.wait_until(lock, deadline, [&] { return run.done >= options.connections; });
  }
  for (auto& io : contexts) {
    io->stop();
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  connections.clear();
  {
    std::lock_guard lock(run.mutex);
    result.connections_failed = run.failed;
    result.first_error = run.first_error;
  }
  result.acks = run.acks.load();
  const std::int64_t last_ack = run.last_ack_ns.load();
  if (last_ack != 0) {
    result.elapsed = std::max(
        std::chrono::nanoseconds(0),
        std::chrono::nanoseconds(last_ack) -
            std::chrono::duration_cast<std::chrono::nanoseconds>(began.time_since_epoch()));
  }
  return result;
}

}  // namespace wl::net
