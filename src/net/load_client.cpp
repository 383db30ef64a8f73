#include "net/load_client.hpp"

#include <atomic>
#include <deque>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream_base.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "net/detail/streams.hpp"

// Each connection is a small state machine driven by completion handlers on its io
// thread: connect -> TLS handshake -> WebSocket handshake -> open (one read pending,
// at most one write in flight). Connects are started in a bounded wave: each finished
// attempt launches the next index, so at most max_connecting handshakes run at once.
namespace wl::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using detail::Tcp;
using WsStream = detail::ClientWsStream;
using ErrorCode = boost::system::error_code;

bool is_ip_literal(const std::string& host) {
  ErrorCode code;
  asio::ip::make_address(host, code);
  return !code;
}

}  // namespace

class LoadClient::Impl {
 public:
  Impl(LoadClientOptions options, LoadHandler& handler)
      : options_(std::move(options)), handler_(handler), tls_(ssl::context::tls_client) {
    if (options_.threads == 0) {
      options_.threads = 1;
    }
    if (options_.affinity_group == 0) {
      options_.affinity_group = 1;
    }
    if (options_.max_connecting == 0) {
      options_.max_connecting = 1;
    }
    for (std::size_t i = 0; i < options_.threads; ++i) {
      contexts_.push_back(std::make_unique<asio::io_context>(1));
    }
  }

  ~Impl() { stop(std::chrono::milliseconds(0)); }

  Result<void> start(std::size_t count, std::string target) {
    if (started_) {
      return error(Code::kFailedPrecondition, "the load client was started already");
    }
    SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_2_VERSION);
    ErrorCode code;
    if (options_.server.insecure_dev) {
      tls_.set_verify_mode(ssl::verify_none);
    } else {
      tls_.set_verify_mode(ssl::verify_peer, code);
      if (options_.server.ca_file.empty()) {
        tls_.set_default_verify_paths(code);
      } else {
        tls_.load_verify_file(options_.server.ca_file, code);
      }
      if (code) {
        return error(Code::kInvalidArgument, "cannot load the CA certificate");
      }
    }
    Tcp::resolver resolver(*contexts_.front());
    const auto results =
        resolver.resolve(options_.server.host, std::to_string(options_.server.port), code);
    if (code || results.empty()) {
      return error(Code::kUnavailable, "cannot resolve the server name");
    }
    endpoint_ = results.begin()->endpoint();
    target_ = std::move(target);
    host_header_ = (options_.server.host.find(':') != std::string::npos
                        ? "[" + options_.server.host + "]"
                        : options_.server.host) +
                   ":" + std::to_string(options_.server.port);
    is_ip_host_ = is_ip_literal(options_.server.host);

    connections_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      connections_.push_back(
          std::make_shared<Connection>(*this, i, contexts_[thread_of(i)]->get_executor()));
    }
    started_ = true;
    for (auto& context : contexts_) {
      guards_.emplace_back(context->get_executor());
    }
    for (auto& context : contexts_) {
      threads_.emplace_back([&io = *context] { io.run(); });
    }
    const std::size_t first_wave = std::min(count, options_.max_connecting);
    for (std::size_t i = 0; i < first_wave; ++i) {
      launch_next();
    }
    return ok();
  }

  bool send(std::size_t index, std::string text) {
    if (index >= connections_.size()) {
      return false;
    }
    return connections_[index]->send(std::move(text));
  }

  void post(std::size_t index, std::function<void()> task) {
    if (index >= connections_.size() || stopping_.load()) {
      return;
    }
    asio::post(*contexts_[thread_of(index)], [this, task = std::move(task)] {
      if (!stopping_.load()) {
        task();
      }
    });
  }

  void start_ticker(std::chrono::microseconds period, std::function<void(std::size_t)> tick) {
    tick_ = std::move(tick);
    tick_period_ = period;
    for (std::size_t i = 0; i < contexts_.size(); ++i) {
      timers_.push_back(std::make_unique<asio::steady_timer>(*contexts_[i]));
    }
    for (std::size_t i = 0; i < contexts_.size(); ++i) {
      asio::post(*contexts_[i], [this, i] { schedule_tick(i); });
    }
  }

  void stop(std::chrono::milliseconds wait) {
    if (!started_ || stopped_) {
      return;
    }
    stopped_ = true;
    stopping_.store(true);
    for (auto& connection : connections_) {
      asio::post(connection->executor(), [connection] { connection->close(); });
    }
    // The close handshakes finish on the io threads; poll the count here.
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (closing_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (auto& context : contexts_) {
      context->stop();
    }
    for (auto& thread : threads_) {
      thread.join();
    }
    threads_.clear();
    guards_.clear();
    timers_.clear();
    connections_.clear();
  }

  std::size_t thread_count() const { return contexts_.size(); }
  std::size_t thread_of(std::size_t index) const {
    return (index / options_.affinity_group) % contexts_.size();
  }
  std::size_t opened() const { return opened_.load(); }
  std::size_t failed() const { return failed_.load(); }
  std::size_t closed() const { return closed_.load(); }

 private:
  // One connection. Lives in connections_ and in its pending handlers; every member is
  // touched only on its io thread.
  class Connection : public std::enable_shared_from_this<Connection> {
   public:
    Connection(Impl& owner, std::size_t index, asio::io_context::executor_type executor)
        : owner_(owner), index_(index), executor_(executor) {}

    asio::io_context::executor_type executor() const { return executor_; }

    void do_connect() {
      if (owner_.stopping_.load()) {
        owner_.on_attempt_done();
        return;
      }
      ws_.emplace(executor_, owner_.tls_);
      auto& tcp = beast::get_lowest_layer(*ws_);
      tcp.expires_after(owner_.options_.server.timeout);
      tcp.async_connect(owner_.endpoint_,
                        [self = shared_from_this()](ErrorCode code) { self->on_connect(code); });
    }

    bool send(std::string text) {
      if (state_ != State::kOpen || queue_.size() >= owner_.options_.max_queued_frames) {
        return false;
      }
      queue_.push_back(std::move(text));
      if (queue_.size() == 1) {
        do_write();
      }
      return true;
    }

    void close() {
      if (state_ != State::kOpen) {
        return;
      }
      state_ = State::kClosing;
      owner_.closing_.fetch_add(1);
      ws_->async_close(websocket::close_code::normal, [self = shared_from_this()](ErrorCode) {
        self->finish_closing();
      });
    }

   private:
    enum class State { kConnecting, kOpen, kClosing, kClosed };

    void on_connect(ErrorCode code) {
      if (code) {
        return fail_open(code, "connect");
      }
      auto& tcp = beast::get_lowest_layer(*ws_);
      ErrorCode ignored;
      tcp.socket().set_option(Tcp::no_delay(true), ignored);
      SSL* ssl_handle = ws_->next_layer().native_handle();
      const std::string& host = owner_.options_.server.host;
      if (owner_.is_ip_host_) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), host.c_str());
      } else {
        SSL_set_tlsext_host_name(ssl_handle, host.c_str());
        SSL_set1_host(ssl_handle, host.c_str());
      }
      tcp.expires_after(owner_.options_.server.timeout);
      ws_->next_layer().async_handshake(
          ssl::stream_base::client,
          [self = shared_from_this()](ErrorCode result) { self->on_tls_handshake(result); });
    }

    void on_tls_handshake(ErrorCode code) {
      if (code) {
        return fail_open(code, "TLS handshake");
      }
      // The WebSocket stream's own timeouts take over from the TCP stream's timer.
      beast::get_lowest_layer(*ws_).expires_never();
      websocket::stream_base::timeout timeouts{};
      timeouts.handshake_timeout = owner_.options_.server.timeout;
      timeouts.idle_timeout = websocket::stream_base::none();
      timeouts.keep_alive_pings = false;
      ws_->set_option(timeouts);
      ws_->set_option(websocket::stream_base::decorator(
          [](websocket::request_type& request) { request.set("User-Agent", "wardline-bench"); }));
      ws_->read_message_max(owner_.options_.server.max_message_size);
      ws_->auto_fragment(false);
      ws_->text(true);
      ws_->async_handshake(
          owner_.host_header_, owner_.target_,
          [self = shared_from_this()](ErrorCode result) { self->on_ws_handshake(result); });
    }

    void on_ws_handshake(ErrorCode code) {
      if (code) {
        return fail_open(code, "WebSocket handshake");
      }
      state_ = State::kOpen;
      owner_.opened_.fetch_add(1);
      owner_.on_attempt_done();
      if (owner_.stopping_.load()) {
        return;
      }
      do_read();
      owner_.handler_.on_open(index_);
    }

    void fail_open(ErrorCode code, std::string_view step) {
      state_ = State::kClosed;
      owner_.failed_.fetch_add(1);
      owner_.on_attempt_done();
      ws_.reset();
      if (owner_.stopping_.load()) {
        return;
      }
      Status why(Code::kUnavailable, std::string(step) + " failed: " + code.message());
      if (code == beast::error::timeout) {
        why = Status(Code::kDeadlineExceeded, std::string(step) + " timed out");
      } else if (code == websocket::error::upgrade_declined) {
        why = Status(Code::kPermissionDenied, "the server refused the upgrade");
      }
      owner_.handler_.on_closed(index_, why);
    }

    void do_read() {
      ws_->async_read(buffer_, [self = shared_from_this()](ErrorCode code, std::size_t) {
        self->on_read(code);
      });
    }

    void on_read(ErrorCode code) {
      if (code) {
        return end(code);
      }
      if (state_ == State::kOpen && !owner_.stopping_.load()) {
        const auto data = buffer_.cdata();
        owner_.handler_.on_message(
            index_, std::string_view(static_cast<const char*>(data.data()), data.size()));
      }
      buffer_.consume(buffer_.size());
      if (state_ == State::kOpen || state_ == State::kClosing) {
        do_read();
      }
    }

    void do_write() {
      ws_->async_write(asio::buffer(queue_.front()),
                       [self = shared_from_this()](ErrorCode code, std::size_t) {
                         self->on_write(code);
                       });
    }

    void on_write(ErrorCode code) {
      if (code) {
        return end(code);
      }
      queue_.pop_front();
      if (!queue_.empty() && state_ == State::kOpen) {
        do_write();
      }
    }

    // The read or a write failed: the connection is over.
    void end(ErrorCode code) {
      if (state_ == State::kClosed) {
        return;
      }
      if (state_ == State::kClosing) {
        // Our close handshake finishes in its own handler.
        return;
      }
      state_ = State::kClosed;
      queue_.clear();
      owner_.closed_.fetch_add(1);
      if (owner_.stopping_.load()) {
        return;
      }
      std::string reason;
      if (code == websocket::error::closed) {
        reason = "closed by the server with code " + std::to_string(ws_->reason().code);
      } else {
        reason = "connection lost: " + code.message();
      }
      owner_.handler_.on_closed(index_, Status(Code::kUnavailable, reason));
    }

    void finish_closing() {
      if (state_ == State::kClosing) {
        state_ = State::kClosed;
        owner_.closed_.fetch_add(1);
        owner_.closing_.fetch_sub(1);
      }
    }

    Impl& owner_;
    std::size_t index_;
    asio::io_context::executor_type executor_;
    std::optional<WsStream> ws_;
    beast::flat_buffer buffer_;
    std::deque<std::string> queue_;
    State state_ = State::kConnecting;
  };

  // A connect attempt finished (either way): start the next index, if any.
  void on_attempt_done() { launch_next(); }

  void launch_next() {
    const std::size_t index = next_to_connect_.fetch_add(1);
    if (index >= connections_.size()) {
      return;
    }
    auto connection = connections_[index];
    asio::post(connection->executor(), [connection] { connection->do_connect(); });
  }

  void schedule_tick(std::size_t thread) {
    if (stopping_.load()) {
      return;
    }
    auto& timer = *timers_[thread];
    timer.expires_after(tick_period_);
    timer.async_wait([this, thread](ErrorCode code) {
      if (code || stopping_.load()) {
        return;
      }
      tick_(thread);
      schedule_tick(thread);
    });
  }

  LoadClientOptions options_;
  LoadHandler& handler_;
  ssl::context tls_;
  Tcp::endpoint endpoint_;
  std::string target_;
  std::string host_header_;
  bool is_ip_host_ = false;
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> next_to_connect_{0};
  std::atomic<std::size_t> opened_{0};
  std::atomic<std::size_t> failed_{0};
  std::atomic<std::size_t> closed_{0};
  std::atomic<std::size_t> closing_{0};
  std::function<void(std::size_t)> tick_;
  std::chrono::microseconds tick_period_{1000};
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::unique_ptr<asio::steady_timer>> timers_;
  std::vector<std::shared_ptr<Connection>> connections_;
  std::vector<std::thread> threads_;
};

LoadClient::LoadClient(LoadClientOptions options, LoadHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

LoadClient::~LoadClient() = default;

Result<void> LoadClient::start(std::size_t count, std::string target) {
  return impl_->start(count, std::move(target));
}

bool LoadClient::send(std::size_t index, std::string text) {
  return impl_->send(index, std::move(text));
}

void LoadClient::post(std::size_t index, std::function<void()> task) {
  impl_->post(index, std::move(task));
}

void LoadClient::start_ticker(std::chrono::microseconds period,
                              std::function<void(std::size_t)> tick) {
  impl_->start_ticker(period, std::move(tick));
}

void LoadClient::stop(std::chrono::milliseconds wait) { impl_->stop(wait); }

std::size_t LoadClient::thread_count() const { return impl_->thread_count(); }
std::size_t LoadClient::thread_of(std::size_t index) const { return impl_->thread_of(index); }
std::size_t LoadClient::opened() const { return impl_->opened(); }
std::size_t LoadClient::failed() const { return impl_->failed(); }
std::size_t LoadClient::closed() const { return impl_->closed(); }

}  // namespace wl::net
