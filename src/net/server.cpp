#include "net/server.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <spdlog/logger.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/file.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "core/fifo.hpp"
#include "core/log.hpp"
#include "core/thread_name.hpp"
#include "net/detail/connection_counter.hpp"
#include "net/detail/redirect.hpp"
#include "net/detail/streams.hpp"
#include "net/detail/throttled_warning.hpp"
#include "net/detail/tls_context.hpp"

// The one explicit instantiation of the WebSocket stream (declared extern in
// net/detail/streams.hpp; STYLE.md section 6).
template class boost::beast::websocket::stream<wl::net::detail::TlsStream, true>;

namespace wl::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using detail::Tcp;
using detail::TlsStream;
using detail::WsStream;
using ErrorCode = boost::system::error_code;

constexpr const char* kHsts = "max-age=63072000; includeSubDomains";
constexpr std::size_t kMaxCloseReasonBytes = 123;  // RFC 6455 section 5.5.
constexpr auto kTlsShutdownTimeout = std::chrono::seconds(2);
// What is read and dropped after refusing a body unread (HttpSession::do_discard).
constexpr std::size_t kDiscardLimit = 256 * 1024;
constexpr std::size_t kDiscardChunk = 16 * 1024;
constexpr auto kDiscardTimeout = std::chrono::seconds(2);
// A TLS connection starts with a handshake record (RFC 8446 section 5.1); plain HTTP
// with a method token (RFC 9110 section 9.1), which the first byte tells apart.
constexpr std::uint8_t kTlsHandshakeRecord = 0x16;
// The request line and headers of a plain HTTP request (RedirectSession).
constexpr std::size_t kRedirectHeadLimit = 4 * 1024;

// Peer closes, cancellations and timeouts end a session without being errors
// (STYLE.md section 8): they are logged at debug level only.
bool is_expected_ending(const ErrorCode& code) {
  // A peer that answers our close_notify (or close frame) with more data.
  if (code.category() == asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(code.value())) ==
          SSL_R_APPLICATION_DATA_AFTER_CLOSE_NOTIFY) {
    return true;
  }
  return code == asio::error::operation_aborted || code == asio::error::eof ||
         code == asio::error::connection_reset || code == asio::error::broken_pipe ||
         code == asio::error::not_connected || code == ssl::error::stream_truncated ||
         code == websocket::error::closed || code == beast::error::timeout ||
         code == http::error::end_of_stream || code == http::error::partial_message;
}

// The cap on open connections: the configured one, and no more than the process's
// descriptor limit leaves after a reserve for the store, logs and files.
std::size_t connection_cap(std::size_t configured) {
  constexpr rlim_t kReservedDescriptors = 128;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return configured;
  }
  const auto available = static_cast<std::size_t>(
      limit.rlim_cur > kReservedDescriptors ? limit.rlim_cur - kReservedDescriptors : 1);
  return configured == 0 ? available : std::min(configured, available);
}

// Shared by every session of one server; outlives them (Server::Impl owns it first).
struct ServerState {
  ServerState(ServerOptions server_options, HttpHandler& http_handler, WsHandlerFactory factory)
      : options(std::move(server_options)),
        http(http_handler),
        ws_factory(std::move(factory)),
        counter(
            {connection_cap(options.limits.connections), options.limits.connections_per_address},
            {options.limits.handshakes, options.limits.handshakes_per_address}) {}

  // The TLS context for connections accepted from now on. Thread-safe. Each SSL object
  // holds a reference to the SSL_CTX it was made from, so after a swap open connections
  // keep theirs, and an old context is freed when its last connection ends.
  std::shared_ptr<ssl::context> tls_context() {
    std::lock_guard lock(tls_mutex);
    return tls;
  }

  const ServerOptions options;
  std::mutex tls_mutex;
  std::shared_ptr<ssl::context> tls;  // GUARDED_BY(tls_mutex); null until start().
  HttpHandler& http;
  const WsHandlerFactory ws_factory;
  const std::shared_ptr<spdlog::logger> log = wl::log::get("net");
  std::atomic<std::uint64_t> next_connection_id{1};
  std::atomic<std::size_t> live_sessions{0};
  std::atomic<bool> is_stopping{false};
  // For Server::counts(); relaxed.
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_refused{0};
  std::atomic<std::uint64_t> tls_handshakes{0};
  std::atomic<std::uint64_t> tls_handshake_failures{0};
  std::atomic<std::size_t> ws_queued_frames{0};  // In every WebSocket's outgoing queue.
  // The bound TLS port, where redirects point; set by start() before any session exists.
  std::uint16_t https_port = 0;
  detail::ConnectionCounter counter;
};

// A session as the per-context registry sees it.
class Session {
 public:
  virtual ~Session() = default;
  // Runs on the session's thread when the server stops.
  virtual void stop_for_shutdown() = 0;
  // Runs on the stopping thread after the io threads have ended, for sessions the
  // drain did not finish: releases application state (no I/O is possible any more).
  virtual void abandon_after_stop() {}
};

// One io_context and the thread that runs it, with the registry of its sessions.
// stop() posts the close-all to each worker. The registry's lock is per worker and
// almost never contended: a session usually ends on its own thread, but the last
// shared_ptr to one may be dropped elsewhere (a handler thread keeping a Respond or a
// WsConnection), and its destructor unregisters it there.
struct Worker final : IoThread {
  explicit Worker(std::size_t worker_index) : worker_index(worker_index) {}

  std::size_t index() const override { return worker_index; }
  void post(std::function<void()> task) override { asio::post(io, std::move(task)); }

  // Copies the live sessions out (then use them without the lock).
  std::vector<std::shared_ptr<Session>> live_sessions() {
    std::vector<std::shared_ptr<Session>> live;
    std::lock_guard lock(sessions_mutex);
    for (auto& [key, weak] : sessions) {
      if (auto session = weak.lock()) {
        live.push_back(std::move(session));
      }
    }
    return live;
  }

  const std::size_t worker_index;
  std::mutex sessions_mutex;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;  // GUARDED_BY(sessions_mutex)
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
};

// Counts the session as live and registers it with its worker for stop().
class SessionBase : public Session {
 public:
  SessionBase(ServerState& state, Worker& worker, std::uint64_t id, std::string remote)
      : state_(state), worker_(worker), id_(id), remote_(std::move(remote)) {
    ++state_.live_sessions;
  }
  ~SessionBase() override {
    {
      std::lock_guard lock(worker_.sessions_mutex);
      worker_.sessions.erase(this);
    }
    --state_.live_sessions;
  }
  SessionBase(const SessionBase&) = delete;
  SessionBase& operator=(const SessionBase&) = delete;

 protected:
  // Call on the worker's thread before the first asynchronous step.
  void register_session(std::weak_ptr<Session> self) {
    std::lock_guard lock(worker_.sessions_mutex);
    worker_.sessions.emplace(this, std::move(self));
  }

  void log_ending(const ErrorCode& code, std::string_view step) const {
    if (is_expected_ending(code)) {
      state_.log->debug("conn_id={} {} ended: {}", id_, step, code.message());
    } else {
      state_.log->info("conn_id={} {} failed: {}", id_, step, code.message());
    }
  }

  ServerState& state_;
  Worker& worker_;
  const std::uint64_t id_;
  const std::string remote_;
};

// --- WebSocket session ------------------------------------------------------------

// One upgraded connection. Owns its stream and runs only on its worker's thread; the
// handler owns a shared_ptr to it until on_closed() returns, then the handler is
// destroyed, which ends the cycle.
class WsSession final : public SessionBase,
                        public WsConnection,
                        public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(ServerState& state, Worker& worker, std::uint64_t id, std::string remote,
            TlsStream&& stream, std::unique_ptr<WsHandler> handler,
            detail::ConnectionCounter::Slot connection_slot)
      : SessionBase(state, worker, id, std::move(remote)),
        ws_(std::move(stream)),
        handler_(std::move(handler)),
        connection_slot_(std::move(connection_slot)) {}

  ~WsSession() override {
    // Normally finish() has run; on_closed() must run exactly once in any case.
    if (handler_) {
      handler_->on_closed();
    }
  }

  // Completes the upgrade. Runs on the worker's thread.
  void start(http::request<http::string_body> upgrade) {
    register_session(weak_from_this());
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(state_.options.ws_message_limit);
    // One frame per message, so a message is one TLS record, not 4 KiB fragments.
    ws_.auto_fragment(false);
    ws_.text(true);
    upgrade_.emplace(std::move(upgrade));
    if (state_.is_stopping) {
      // The server began stopping after this upgrade was read: say goodbye at once.
      stop_for_shutdown();
    }
    ws_.async_accept(*upgrade_,
                     beast::bind_front_handler(&WsSession::on_accept, shared_from_this()));
  }

  std::uint64_t id() const override { return id_; }
  const std::string& remote_address() const override { return remote_; }
  IoThread& io_thread() const override { return worker_; }

  void post(std::function<void()> task) override {
    // weak_from_this() and worker_ are fixed at construction: safe from any thread.
    asio::post(worker_.io, [weak = weak_from_this(), task = std::move(task)] {
      if (auto self = weak.lock(); self && !self->is_finished_) {
        task();
      }
    });
  }

  bool try_send(std::shared_ptr<const std::string> text) override {
    if (is_closing_ || is_finished_ || !text) {
      return false;
    }
    if (queue_.size() >= state_.options.ws_queue_frames) {
      is_drain_pending_ = true;
      return false;
    }
    queue_.push_back(std::move(text));
    state_.ws_queued_frames.fetch_add(1, std::memory_order_relaxed);
    do_write();
    return true;
  }

  std::size_t queued_frames() const override { return queue_.size(); }

  void close(CloseCode code, std::string_view reason) override {
    begin_close(static_cast<std::uint16_t>(code), reason);
  }

  void set_deadline(std::chrono::milliseconds timeout, CloseCode code,
                    std::string reason) override {
    if (is_finished_) {
      return;
    }
    deadline_ = std::make_unique<asio::steady_timer>(worker_.io, timeout);
    deadline_->async_wait(
        [weak = weak_from_this(), code, reason = std::move(reason)](ErrorCode error) {
          if (error) {
            return;  // Cancelled or replaced.
          }
          if (auto self = weak.lock()) {
            self->state_.log->debug("conn_id={} deadline passed: {}", self->id_, reason);
            self->deadline_.reset();
            self->close(code, reason);
          }
        });
  }

  void cancel_deadline() override { deadline_.reset(); }

  void stop_for_shutdown() override { close(CloseCode::kGoingAway, "server stopping"); }

  // The handler may hold this connection, a cycle no teardown would break: end it.
  void abandon_after_stop() override { finish(); }

 private:
  void on_accept(ErrorCode code) {
    upgrade_.reset();
    if (code) {
      log_ending(code, "websocket upgrade");
      finish();
      return;
    }
    is_open_ = true;
    state_.log->debug("conn_id={} websocket open", id_);
    handler_->on_open(shared_from_this());
    do_write();  // Frames or a close queued by on_open (or by stop()).
    do_read();
  }

  void do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, shared_from_this()));
  }

  void on_read(ErrorCode code, std::size_t /*bytes*/) {
    if (code) {
      // Beast has already answered a close frame, or sent 1009 for an oversized
      // message; either way the connection is over.
      log_ending(code, "websocket read");
      if (code == websocket::error::closed) {
        state_.log->debug("conn_id={} peer closed with code {}", id_, ws_.reason().code);
      }
      finish();
      return;
    }
    if (!ws_.got_text()) {
      // Binary data has no meaning in our protocol (RFC 6455 1003: unsupported data).
      buffer_.consume(buffer_.size());
      force_close(static_cast<std::uint16_t>(websocket::close_code::unknown_data),
                  "text frames only");
      do_read();
      return;
    }
    if (!is_closing_) {
      const auto data = buffer_.cdata();
      handler_->on_message(std::string_view(static_cast<const char*>(data.data()), data.size()));
    }
    // Release the buffer: Beast grows it only when a payload arrives, so an idle
    // connection then holds no read buffer at all (docs/transport.md, "The server's TLS stream").
    buffer_ = beast::flat_buffer();
    if (!is_finished_) {
      do_read();
    }
  }

  // The write loop: one frame at a time, then the close frame once the queue is empty.
  void do_write() {
    if (is_writing_ || !is_open_ || is_finished_) {
      return;
    }
    if (!queue_.empty()) {
      is_writing_ = true;
      // Frames queued behind this one: let it wait in the cork, so the burst goes out
      // in one TLS write; the burst's last frame writes them all.
      ws_.next_layer().set_corked(queue_.size() > 1);
      ws_.async_write(asio::buffer(*queue_.front()),
                      beast::bind_front_handler(&WsSession::on_write, shared_from_this()));
      return;
    }
    if (is_closing_ && !is_close_sent_) {
      is_close_sent_ = true;
      is_writing_ = true;
      ws_.next_layer().set_corked(false);
      ws_.async_close(close_reason_,
                      beast::bind_front_handler(&WsSession::on_close, shared_from_this()));
    }
  }

  void on_write(ErrorCode code, std::size_t /*bytes*/) {
    is_writing_ = false;
    if (code) {
      log_ending(code, "websocket write");
      clear_queue();
      // The pending read then fails too and finishes the session.
      ErrorCode ignored;
      beast::get_lowest_layer(ws_).close(ignored);
      return;
    }
    if (!queue_.empty()) {
      queue_.pop_front();
      state_.ws_queued_frames.fetch_sub(1, std::memory_order_relaxed);
    }
    if (queue_.empty() && is_drain_pending_ && !is_finished_ && !is_closing_) {
      is_drain_pending_ = false;
      handler_->on_drained();
    }
    do_write();
  }

  void on_close(ErrorCode code) {
    is_writing_ = false;
    if (code) {
      log_ending(code, "websocket close");
    }
  }

  void begin_close(std::uint16_t code, std::string_view reason) {
    if (is_closing_ || is_finished_) {
      return;
    }
    is_closing_ = true;
    close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code),
                                            reason.substr(0, kMaxCloseReasonBytes));
    do_write();
  }

  // Closes ahead of the queued frames (protocol errors): only the frame being written
  // still goes out.
  void force_close(std::uint16_t code, std::string_view reason) {
    if (is_writing_ && !queue_.empty()) {
      state_.ws_queued_frames.fetch_sub(queue_.size() - 1, std::memory_order_relaxed);
      queue_.keep_front_only();
    } else {
      clear_queue();
    }
    begin_close(code, reason);
  }

  // Drops every queued frame, and counts them out of ServerCounts::ws_queued_frames.
  void clear_queue() {
    state_.ws_queued_frames.fetch_sub(queue_.size(), std::memory_order_relaxed);
    queue_.clear();
  }

  void finish() {
    if (is_finished_) {
      return;
    }
    is_finished_ = true;
    clear_queue();
    deadline_.reset();
    state_.log->debug("conn_id={} websocket closed", id_);
    if (handler_) {
      handler_->on_closed();
      handler_.reset();
    }
  }

  WsStream ws_;
  std::unique_ptr<WsHandler> handler_;
  detail::ConnectionCounter::Slot connection_slot_;
  std::unique_ptr<asio::steady_timer> deadline_;  // Only while a deadline is armed.
  std::optional<http::request<http::string_body>> upgrade_;
  beast::flat_buffer buffer_;
  Fifo<std::shared_ptr<const std::string>> queue_;  // front = frame being written
  websocket::close_reason close_reason_;
  bool is_open_ = false;
  bool is_writing_ = false;
  bool is_drain_pending_ = false;
  bool is_closing_ = false;
  bool is_close_sent_ = false;
  bool is_finished_ = false;
};

// --- Plain HTTP: a redirect to https -----------------------------------------------

// One plain HTTP connection, on the TLS port (told apart by its first byte) or on the
// plain port: reads one request line and headers, at most kRedirectHeadLimit within
// options.http_redirect_timeout, answers them with a redirect to https (or 400, 431)
// and closes. Nothing else is ever served without TLS, so no token or PHI crosses it.
// Runs only on its worker's thread.
class RedirectSession final : public SessionBase,
                              public std::enable_shared_from_this<RedirectSession> {
 public:
  // The slots count this connection against the caps, like a TLS one; the handshake
  // slot stays held until it closes, since it has not authenticated anything either.
  RedirectSession(ServerState& state, Worker& worker, std::uint64_t id, std::string remote,
                  Tcp::socket socket, detail::ConnectionCounter::Slot connection_slot,
                  detail::ConnectionCounter::Slot handshake_slot)
      : SessionBase(state, worker, id, std::move(remote)),
        socket_(std::move(socket)),
        deadline_(socket_.get_executor()),
        buffer_(kRedirectHeadLimit),
        connection_slot_(std::move(connection_slot)),
        handshake_slot_(std::move(handshake_slot)) {}

  // Runs on the worker's thread.
  void start() {
    register_session(weak_from_this());
    if (state_.is_stopping) {
      return;
    }
    parser_.header_limit(static_cast<std::uint32_t>(kRedirectHeadLimit));
    expires_after(state_.options.http_redirect_timeout);
    http::async_read_header(
        socket_, buffer_, parser_,
        beast::bind_front_handler(&RedirectSession::on_read_header, shared_from_this()));
  }

  void stop_for_shutdown() override {
    ErrorCode ignored;
    socket_.close(ignored);
  }

 private:
  void on_read_header(ErrorCode code, std::size_t /*bytes*/) {
    deadline_.cancel();
    if (code == http::error::header_limit || code == http::error::buffer_overflow) {
      answer(http::status::request_header_fields_too_large, {});
      return;
    }
    if (code && code.category() == http::make_error_code(http::error::bad_target).category() &&
        code != http::error::partial_message && code != http::error::end_of_stream) {
      answer(http::status::bad_request, {});
      return;
    }
    if (code) {
      log_ending(code, "plain http read");
      return;
    }
    const auto& request = parser_.get();
    // A request with two Host headers is malformed (RFC 9112 section 3.2).
    const std::optional<std::string> location =
        request.count(http::field::host) > 1
            ? std::nullopt
            : detail::https_location(request[http::field::host], request.target(),
                                     state_.options.redirect_hosts, state_.https_port);
    if (!location) {
      state_.log->debug("conn_id={} plain http with an invalid host", id_);
      answer(http::status::bad_request, {});
      return;
    }
    // 301 lets a client turn a POST into a GET; 308 keeps the method (RFC 9110 15.4).
    const bool is_safe =
        request.method() == http::verb::get || request.method() == http::verb::head;
    state_.log->debug("conn_id={} plain http redirected to https", id_);
    answer(is_safe ? http::status::moved_permanently : http::status::permanent_redirect, *location);
  }

  // No Strict-Transport-Security here: a browser ignores it over plain HTTP (RFC 6797
  // section 8.1), and every https answer carries it.
  void answer(http::status status, const std::string& location) {
    response_.emplace(status, 11);
    if (!location.empty()) {
      response_->set(http::field::location, location);
    }
    response_->keep_alive(false);
    response_->prepare_payload();
    expires_after(state_.options.http_redirect_timeout);
    http::async_write(socket_, *response_,
                      beast::bind_front_handler(&RedirectSession::on_write, shared_from_this()));
  }

  void on_write(ErrorCode code, std::size_t /*bytes*/) {
    deadline_.cancel();
    response_.reset();
    if (code) {
      log_ending(code, "plain http write");
      return;
    }
    // The client may still be sending (a body, more requests): closing with unread
    // data would reset the connection and could lose the answer. Half-close, then read
    // and drop what comes, bounded as HttpSession::do_discard is.
    ErrorCode ignored;
    socket_.shutdown(Tcp::socket::shutdown_send, ignored);
    do_discard();
  }

  void do_discard() {
    buffer_.consume(buffer_.size());
    expires_after(kDiscardTimeout);
    socket_.async_read_some(
        buffer_.prepare(kRedirectHeadLimit),
        beast::bind_front_handler(&RedirectSession::on_discard, shared_from_this()));
  }

  void on_discard(ErrorCode code, std::size_t bytes) {
    deadline_.cancel();
    discarded_ += bytes;
    if (!code && discarded_ < kDiscardLimit) {
      do_discard();
      return;
    }
    ErrorCode ignored;
    socket_.close(ignored);
  }

  // When the deadline passes the socket closes, and the step in progress fails.
  void expires_after(std::chrono::steady_clock::duration timeout) {
    deadline_.expires_after(timeout);
    deadline_.async_wait([weak = weak_from_this()](ErrorCode code) {
      if (code) {
        return;  // Re-armed or cancelled.
      }
      if (auto self = weak.lock()) {
        self->state_.log->debug("conn_id={} plain http deadline passed", self->id_);
        ErrorCode ignored;
        self->socket_.close(ignored);
      }
    });
  }

  Tcp::socket socket_;
  asio::steady_timer deadline_;
  beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  std::optional<http::response<http::empty_body>> response_;
  detail::ConnectionCounter::Slot connection_slot_;
  detail::ConnectionCounter::Slot handshake_slot_;
  std::size_t discarded_ = 0;
};

// --- HTTP session -----------------------------------------------------------------

bool is_safe_header_text(std::string_view text) {
  return text.find_first_of("\r\n") == std::string_view::npos;
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

// One TLS connection serving HTTP/1.1 requests one at a time (keep-alive) until it
// upgrades to a WebSocket or closes. Runs only on its worker's thread, except for the
// Respond callable, which posts back to it.
class HttpSession final : public SessionBase, public std::enable_shared_from_this<HttpSession> {
 public:
  // The slots count this connection and its handshake against the caps (docs/transport.md).
  HttpSession(ServerState& state, Worker& worker, std::uint64_t id, std::string remote,
              Tcp::socket socket, detail::ConnectionCounter::Slot connection_slot,
              detail::ConnectionCounter::Slot handshake_slot)
      : SessionBase(state, worker, id, std::move(remote)),
        stream_(std::move(socket), state.tls_context()->native_handle()),
        deadline_(stream_.get_executor()),
        connection_slot_(std::move(connection_slot)),
        handshake_slot_(std::move(handshake_slot)) {}

  // Runs on the worker's thread.
  void start() {
    register_session(weak_from_this());
    if (state_.is_stopping) {
      return;
    }
    if (!stream_.is_valid()) {
      state_.log->warn("conn_id={} cannot allocate a TLS session", id_);
      return;
    }
    phase_ = Phase::kHandshake;
    expires_after(state_.options.tls_handshake_timeout);
    do_sniff();
  }

  void stop_for_shutdown() override {
    is_stopping_ = true;
    // Idle or mid-handshake: end now. A request being handled gets its response, then
    // the connection closes (on_write sees is_stopping_).
    if (phase_ == Phase::kHandshake || phase_ == Phase::kReading) {
      ErrorCode ignored;
      stream_.socket().cancel(ignored);
    }
  }

 private:
  enum class Phase { kIdle, kHandshake, kReading, kAdmitting, kHandling, kWriting, kClosing };

  // The first byte, peeked (left for OpenSSL to read), tells TLS from plain HTTP, within
  // the handshake's deadline. As in TlsSocket, the wait starts only after a try found
  // nothing, so the edge-triggered reactor cannot have reported the data already.
  void do_sniff() {
    std::uint8_t first = 0;
    const ssize_t peeked =
        ::recv(stream_.socket().native_handle(), &first, 1, MSG_PEEK | MSG_DONTWAIT);
    const int failure = errno;
    if (peeked == 1) {
      on_first_byte(first);
      return;
    }
    if (peeked < 0 && (failure == EAGAIN || failure == EWOULDBLOCK || failure == EINTR)) {
      stream_.socket().async_wait(
          Tcp::socket::wait_read,
          beast::bind_front_handler(&HttpSession::on_readable, shared_from_this()));
      return;
    }
    deadline_.cancel();
    handshake_slot_.release();
    log_ending(peeked == 0 ? ErrorCode(asio::error::eof)
                           : ErrorCode(failure, boost::system::system_category()),
               "tls handshake");
  }

  void on_readable(ErrorCode code) {
    if (code) {
      deadline_.cancel();
      handshake_slot_.release();
      log_ending(code, "tls handshake");
      return;
    }
    do_sniff();
  }

  void on_first_byte(std::uint8_t first) {
    if (first == kTlsHandshakeRecord) {
      stream_.async_handshake(
          beast::bind_front_handler(&HttpSession::on_handshake, shared_from_this()));
      return;
    }
    deadline_.cancel();
    phase_ = Phase::kIdle;
    if (first >= 'A' && first <= 'Z') {
      // Plain HTTP on the TLS port: the connection becomes a redirect. The SSL object,
      // never used, is freed with this session; it does not own the descriptor.
      auto redirect = std::make_shared<RedirectSession>(
          state_, worker_, id_, remote_, std::move(stream_.socket()), std::move(connection_slot_),
          std::move(handshake_slot_));
      redirect->start();
      return;
    }
    state_.log->debug("conn_id={} neither tls nor http: closed", id_);
    ErrorCode ignored;
    stream_.socket().close(ignored);
  }

  void on_handshake(ErrorCode code) {
    deadline_.cancel();
    handshake_slot_.release();
    if (code) {
      // Failed handshakes are the peer's problem (old protocol, untrusted CA, scanner):
      // debug only, so that they cannot flood the log.
      state_.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
      state_.log->debug("conn_id={} tls handshake failed: {}", id_, code.message());
      return;
    }
    state_.tls_handshakes.fetch_add(1, std::memory_order_relaxed);
    do_read();
  }

  // A request is read in two steps: the line and headers (do_read), then, once the
  // handler has admitted it, the body within the route's limit (do_read_body).
  void do_read() {
    if (is_stopping_) {
      do_shutdown();
      return;
    }
    phase_ = Phase::kReading;
    // A fresh parser per request: an idle connection keeps none.
    parser_.emplace();
    parser_->body_limit(state_.options.http_body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(state_.options.http_header_limit, UINT32_MAX)));
    expires_after(state_.options.http_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&HttpSession::on_read_header, shared_from_this()));
  }

  // Answers read errors: true if the session has handled it (an error response, or
  // the end of the connection).
  bool on_read_error(const ErrorCode& code) {
    if (!code) {
      return false;
    }
    if (code == http::error::end_of_stream) {
      do_shutdown();
      return true;
    }
    if (code == http::error::body_limit) {
      send_error(413, "request body too large");
      return true;
    }
    if (code == http::error::header_limit) {
      send_error(431, "request headers too large");
      return true;
    }
    if (code.category() == http::make_error_code(http::error::bad_target).category() &&
        code != http::error::partial_message) {
      state_.log->debug("conn_id={} malformed request: {}", id_, code.message());
      send_error(400, "malformed request");
      return true;
    }
    log_ending(code, "http read");
    return true;
  }

  void on_read_header(ErrorCode code, std::size_t /*bytes*/) {
    deadline_.cancel();
    if (on_read_error(code)) {
      return;
    }
    if (is_stopping_) {
      // stop() ran after this request arrived but before we saw it.
      do_shutdown();
      return;
    }
    const auto& header = parser_->get();
    is_keep_alive_ = header.keep_alive();
    is_head_ = header.method() == http::verb::head;
    request_.emplace();
    Request& request = *request_;
    request.method = std::string(header.method_string());
    request.target = std::string(header.target());
    request.remote_address = remote_;
    request.connection_id = id_;
    request.headers.reserve(std::distance(header.begin(), header.end()));
    for (const auto& field : header) {
      request.headers.push_back(
          Header{std::string(field.name_string()), std::string(field.value())});
    }
    state_.log->debug("conn_id={} {} request", id_, request.method);

    const auto& ws_paths = state_.options.ws_paths;
    if (websocket::is_upgrade(header) &&
        std::find(ws_paths.begin(), ws_paths.end(), path_of(request.target)) != ws_paths.end()) {
      if (!parser_->is_done()) {
        send_error(400, "an upgrade request has no body");
        return;
      }
      Request upgrade_request = std::move(*request_);
      request_.reset();
      upgrade(parser_->release(), upgrade_request);
      return;
    }

    phase_ = Phase::kAdmitting;
    Admit admit = [self = shared_from_this()](Admission admission) {
      asio::post(self->worker_.io, [self, admission = std::move(admission)]() mutable {
        self->on_admitted(std::move(admission));
      });
    };
    try {
      state_.http.admit(request, std::move(admit));
    } catch (const std::exception& failure) {
      state_.log->error("conn_id={} http admit threw: {}", id_, failure.what());
      send_error(500, "internal error");
    }
  }

  void on_admitted(Admission admission) {
    if (phase_ != Phase::kAdmitting) {
      state_.log->warn("conn_id={} admit called more than once", id_);
      return;
    }
    if (admission.refusal) {
      // An announced body stays unread, so the connection cannot carry another request.
      if (!parser_->is_done()) {
        is_keep_alive_ = false;
        is_body_unread_ = true;
      }
      parser_.reset();
      request_.reset();
      phase_ = Phase::kHandling;
      on_respond(std::move(*admission.refusal));
      return;
    }
    const auto announced = parser_->content_length();
    if (announced && *announced > admission.body_limit) {
      is_body_unread_ = true;
      send_error(413, "request body too large");
      return;
    }
    if (parser_->is_done()) {
      handle_request();
      return;
    }
    // Chunked bodies are counted against the limit as they arrive.
    parser_->body_limit(admission.body_limit);
    phase_ = Phase::kReading;
    expires_after(state_.options.http_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read_body, shared_from_this()));
  }

  void on_read_body(ErrorCode code, std::size_t /*bytes*/) {
    deadline_.cancel();
    if (code == http::error::end_of_stream) {
      code = http::error::partial_message;  // The peer left mid-body.
    }
    if (on_read_error(code)) {
      return;
    }
    if (is_stopping_) {
      do_shutdown();
      return;
    }
    handle_request();
  }

  void handle_request() {
    Request request = std::move(*request_);
    request_.reset();
    request.body = std::move(parser_->release().body());
    parser_.reset();
    phase_ = Phase::kHandling;
    Respond respond = [self = shared_from_this()](Response response) {
      asio::post(self->worker_.io, [self, response = std::move(response)]() mutable {
        self->on_respond(std::move(response));
      });
    };
    try {
      state_.http.handle(std::move(request), std::move(respond));
    } catch (const std::exception& failure) {
      state_.log->error("conn_id={} http handler threw: {}", id_, failure.what());
      on_respond(Response{500, "text/plain", "internal error", {}});
    }
  }

  void upgrade(http::request<http::string_body> message, const Request& request) {
    std::unique_ptr<WsHandler> handler = state_.ws_factory ? state_.ws_factory(request) : nullptr;
    if (!handler) {
      phase_ = Phase::kHandling;
      is_keep_alive_ = false;
      on_respond(Response{404, "text/plain", "not found", {}});
      return;
    }
    deadline_.cancel();
    phase_ = Phase::kIdle;
    auto session = std::make_shared<WsSession>(state_, worker_, id_, remote_, std::move(stream_),
                                               std::move(handler), std::move(connection_slot_));
    session->start(std::move(message));
  }

  // Runs on the worker's thread: the handler's answer, or an error of our own.
  void on_respond(Response answer) {
    if (phase_ != Phase::kHandling) {
      state_.log->warn("conn_id={} respond called more than once", id_);
      return;
    }
    if (answer.file.is_open()) {
      beast::file body_file;
      ErrorCode code;
      body_file.native_handle(answer.file.release());
      http::file_body::value_type body;
      body.reset(std::move(body_file), code);
      if (code) {
        state_.log->warn("conn_id={} cannot send a file: {}", id_, code.message());
        answer = Response{500, "text/plain", "internal error", {}};
      } else if (!is_head_) {
        file_response_.emplace(static_cast<http::status>(answer.status), 11);
        prepare_response(*file_response_, answer);
        file_response_->body() = std::move(body);
        file_response_->prepare_payload();
        do_write();
        return;
      } else {
        // HEAD: the file's length, no body.
        response_.emplace(static_cast<http::status>(answer.status), 11);
        prepare_response(*response_, answer);
        response_->content_length(body.size());
        do_write();
        return;
      }
    }
    response_.emplace(static_cast<http::status>(answer.status), 11);
    prepare_response(*response_, answer);
    response_->body() = std::move(answer.body);
    response_->prepare_payload();
    if (is_head_) {
      response_->body().clear();  // The header keeps the length (RFC 9110 section 9.3.2).
    }
    do_write();
  }

  // The status line's companions: the handler's headers (refusing line breaks), the
  // security headers and keep-alive. The body is set by the caller.
  template <typename Body>
  void prepare_response(http::response<Body>& response, const Response& answer) {
    bool has_cache_control = false;
    for (const Header& header : answer.headers) {
      if (!is_safe_header_text(header.name) || !is_safe_header_text(header.value) ||
          header.name.empty()) {
        state_.log->warn("conn_id={} dropped a response header with a line break", id_);
        continue;
      }
      has_cache_control = has_cache_control || beast::iequals(header.name, "Cache-Control");
      response.insert(header.name, header.value);
    }
    if (!has_cache_control) {
      response.set(http::field::cache_control, "no-store");
    }
    response.set(http::field::strict_transport_security, kHsts);
    response.set("X-Content-Type-Options", "nosniff");
    response.set(http::field::content_type, is_safe_header_text(answer.content_type)
                                                ? answer.content_type
                                                : std::string("application/octet-stream"));
    response.keep_alive(is_keep_alive_ && !is_stopping_);
  }

  void send_error(int status, std::string_view text) {
    phase_ = Phase::kHandling;
    is_keep_alive_ = false;
    parser_.reset();
    request_.reset();
    on_respond(Response{status, "text/plain", std::string(text), {}});
  }

  void do_write() {
    phase_ = Phase::kWriting;
    auto on_write = beast::bind_front_handler(&HttpSession::on_write, shared_from_this());
    if (file_response_) {
      // A file may take longer than one timeout to reach a slow client: the deadline
      // is for making progress, re-armed as each piece is written (on_file_progress).
      expires_after(state_.options.http_timeout);
      file_serializer_.emplace(*file_response_);
      do_write_file();
      return;
    }
    expires_after(state_.options.http_timeout);
    http::async_write(stream_, *response_, std::move(on_write));
  }

  void do_write_file() {
    http::async_write_some(
        stream_, *file_serializer_,
        beast::bind_front_handler(&HttpSession::on_file_progress, shared_from_this()));
  }

  void on_file_progress(ErrorCode code, std::size_t /*bytes*/) {
    if (!code && !file_serializer_->is_done()) {
      expires_after(state_.options.http_timeout);
      do_write_file();
      return;
    }
    file_serializer_.reset();
    on_write(code, 0);
  }

  void on_write(ErrorCode code, std::size_t /*bytes*/) {
    deadline_.cancel();
    const bool keep_alive = file_response_ ? file_response_->keep_alive() : response_->keep_alive();
    response_.reset();
    file_response_.reset();  // Closes the file.
    if (code) {
      log_ending(code, "http write");
      return;
    }
    if (!keep_alive || is_stopping_) {
      if (is_body_unread_) {
        do_discard();
        return;
      }
      do_shutdown();
      return;
    }
    do_read();
  }

  // The answer went out before the body it refused: the client may still be sending
  // it. Closing now would reset the connection, and a client that writes its whole
  // request before reading would lose the answer with it. So read and drop what comes
  // (as nginx's lingering close does), at most kDiscardLimit bytes and
  // kDiscardTimeout, then close.
  void do_discard() {
    phase_ = Phase::kClosing;
    buffer_.consume(buffer_.size());
    expires_after(kDiscardTimeout);
    stream_.async_read_some(
        buffer_.prepare(kDiscardChunk),
        beast::bind_front_handler(&HttpSession::on_discard, shared_from_this()));
  }

  void on_discard(ErrorCode code, std::size_t bytes) {
    deadline_.cancel();
    discarded_ += bytes;
    if (code || discarded_ >= kDiscardLimit) {
      if (code && code != asio::error::eof) {
        log_ending(code, "discarding an unread body");
        return;
      }
      do_shutdown();
      return;
    }
    do_discard();
  }

  void do_shutdown() {
    phase_ = Phase::kClosing;
    expires_after(kTlsShutdownTimeout);
    stream_.async_shutdown(
        beast::bind_front_handler(&HttpSession::on_shutdown, shared_from_this()));
  }

  void on_shutdown(ErrorCode code) {
    deadline_.cancel();
    if (code) {
      state_.log->debug("conn_id={} tls shutdown ended: {}", id_, code.message());
    }
    ErrorCode ignored;
    stream_.socket().shutdown(Tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  // The deadline of the step in progress (handshake, request read, response write,
  // shutdown): when it passes, the socket closes and that step fails. The timer lives
  // only as long as the HTTP session; a WebSocket uses Beast's own timeouts.
  void expires_after(std::chrono::steady_clock::duration timeout) {
    deadline_.expires_after(timeout);
    deadline_.async_wait([weak = weak_from_this()](ErrorCode code) {
      if (code) {
        return;  // Re-armed or cancelled.
      }
      if (auto self = weak.lock()) {
        self->state_.log->debug("conn_id={} http deadline passed", self->id_);
        ErrorCode ignored;
        self->stream_.socket().close(ignored);
      }
    });
  }

  TlsStream stream_;
  asio::steady_timer deadline_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<Request> request_;                   // The request being admitted or read.
  detail::ConnectionCounter::Slot connection_slot_;  // Passed on to the WebSocket.
  detail::ConnectionCounter::Slot handshake_slot_;   // Held until the handshake ends.
  std::optional<http::response<http::string_body>> response_;
  // A response streamed from a file (Response::file); only while it is being written.
  std::optional<http::response<http::file_body>> file_response_;
  std::optional<http::response_serializer<http::file_body>> file_serializer_;
  bool is_head_ = false;
  bool is_body_unread_ = false;  // The answer refused an announced body unread.
  std::size_t discarded_ = 0;
  Phase phase_ = Phase::kIdle;
  bool is_keep_alive_ = true;
  bool is_stopping_ = false;
};

}  // namespace

// One listening socket and the back-off of its accepting, both on the first worker's
// context and used only on its thread.
struct Listener {
  // kTls: TLS, with plain HTTP told apart and redirected; kPlainHttp: only redirects.
  enum class Kind { kTls, kPlainHttp };

  Listener(asio::io_context& io, Kind listener_kind)
      : kind(listener_kind), acceptor(io), timer(io) {}

  ErrorCode listen(const Tcp::endpoint& endpoint) {
    ErrorCode code;
    acceptor.open(endpoint.protocol(), code);
    if (!code) {
      acceptor.set_option(asio::socket_base::reuse_address(true), code);
    }
    if (!code) {
      acceptor.bind(endpoint, code);
    }
    if (!code) {
      acceptor.listen(asio::socket_base::max_listen_connections, code);
    }
    return code;
  }

  const Kind kind;
  Tcp::acceptor acceptor;
  asio::steady_timer timer;  // The EMFILE back-off.
  std::chrono::milliseconds backoff{0};
};

// --- Server -----------------------------------------------------------------------

class Server::Impl {
 public:
  Impl(ServerOptions options, TlsCredentials credentials, HttpHandler& http,
       WsHandlerFactory ws_factory)
      : state_(std::move(options), http, std::move(ws_factory)),
        credentials_(std::move(credentials)) {}

  ~Impl() { stop(std::chrono::milliseconds(0)); }

  bool responsive(std::chrono::milliseconds timeout) {
    struct Answers {
      std::mutex mutex;
      std::condition_variable all_in;
      std::size_t left = 0;  // Guarded by mutex.
    };
    auto answers = std::make_shared<Answers>();
    {
      // workers_ changes only in start() and stop(), under mutex_.
      std::lock_guard lock(mutex_);
      if (!is_running_ || is_stop_started_) {
        return false;
      }
      answers->left = workers_.size();
      for (auto& worker : workers_) {
        asio::post(worker->io, [answers] {
          {
            std::lock_guard answered(answers->mutex);
            --answers->left;
          }
          answers->all_in.notify_one();
        });
      }
    }
    std::unique_lock lock(answers->mutex);
    return answers->all_in.wait_for(lock, timeout, [&] { return answers->left == 0; });
  }

  ServerCounts counts() const {
    using Kind = detail::ConnectionCounter::Kind;
    ServerCounts counts;
    counts.connections_accepted = state_.connections_accepted.load(std::memory_order_relaxed);
    counts.connections_refused = state_.connections_refused.load(std::memory_order_relaxed);
    counts.tls_handshakes = state_.tls_handshakes.load(std::memory_order_relaxed);
    counts.tls_handshake_failures = state_.tls_handshake_failures.load(std::memory_order_relaxed);
    counts.open_connections = state_.counter.count(Kind::kConnection);
    counts.open_handshakes = state_.counter.count(Kind::kHandshake);
    counts.ws_queued_frames = state_.ws_queued_frames.load(std::memory_order_relaxed);
    return counts;
  }

  Result<void> start() {
    {
      std::lock_guard lock(mutex_);
      if (is_started_) {
        return error(Code::kFailedPrecondition, "server already started");
      }
      is_started_ = true;
    }
    std::shared_ptr<ssl::context> context = WL_TRY(detail::make_server_tls_context(credentials_));
    credentials_ = {};  // The key stays only inside the SSL_CTX.
    {
      std::lock_guard lock(state_.tls_mutex);
      state_.tls = std::move(context);
    }

    ErrorCode code;
    const asio::ip::address address = asio::ip::make_address(state_.options.address, code);
    if (code) {
      return error(Code::kInvalidArgument, "invalid listen address");
    }
    std::size_t threads = state_.options.threads;
    if (threads == 0) {
      threads = std::max(1U, std::thread::hardware_concurrency());
    }
    for (std::size_t index = 0; index < threads; ++index) {
      workers_.push_back(std::make_unique<Worker>(index));
    }
    try {
      // Asio makes a context's reactor (an epoll and an eventfd descriptor) with the
      // first socket or timer on it. Make every worker's now: made lazily, the first
      // connection accepted onto a worker would need descriptors the server may have
      // run out of, and Asio throws when it cannot get them.
      for (auto& worker : workers_) {
        Tcp::socket unused(worker->io);
      }
    } catch (const std::exception& failure) {
      state_.log->error("cannot start the io contexts: {}", failure.what());
      workers_.clear();
      return error(Code::kUnavailable, "cannot start the io contexts");
    }
    // Listening sockets and their timers are made on workers_[0], whose thread runs
    // every accept.
    tls_listener_.emplace(workers_.front()->io, Listener::Kind::kTls);
    std::uint16_t failed_port = state_.options.port;
    code = tls_listener_->listen(Tcp::endpoint(address, state_.options.port));
    if (!code && state_.options.http_redirect_port) {
      failed_port = *state_.options.http_redirect_port;
      plain_listener_.emplace(workers_.front()->io, Listener::Kind::kPlainHttp);
      code = plain_listener_->listen(Tcp::endpoint(address, failed_port));
    }
    if (code) {
      state_.log->error("cannot listen on {}:{}: {}", state_.options.address, failed_port,
                        code.message());
      plain_listener_.reset();
      tls_listener_.reset();
      workers_.clear();
      return error(Code::kUnavailable, "cannot listen on the server address");
    }
    port_ = tls_listener_->acceptor.local_endpoint().port();
    state_.https_port = port_;
    reserve_descriptor_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    do_accept(*tls_listener_);
    if (plain_listener_) {
      http_redirect_port_ = plain_listener_->acceptor.local_endpoint().port();
      do_accept(*plain_listener_);
    }
    for (std::size_t index = 0; index < workers_.size(); ++index) {
      Worker& worker = *workers_[index];
      worker.thread = std::thread([&io = worker.io, log = state_.log, index] {
        name_this_thread("wl-io-" + std::to_string(index));
        // OpenSSL writes to the sockets itself, without MSG_NOSIGNAL: a write to a
        // connection the peer has reset must fail with EPIPE, not kill the process.
        // Blocked here, a SIGPIPE stays pending on this thread and is never delivered.
        sigset_t pipe_signal;
        sigemptyset(&pipe_signal);
        sigaddset(&pipe_signal, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
        // Handlers must not throw; if one does, log it and keep the other sessions
        // served rather than terminating the process.
        for (;;) {
          try {
            io.run();
            return;
          } catch (const std::exception& failure) {
            log->error("io thread caught an exception from a handler: {}", failure.what());
          }
        }
      });
    }
    {
      std::lock_guard lock(mutex_);  // responsive() reads it, and workers_, under mutex_.
      is_running_ = true;
    }
    state_.log->info("listening on {}:{} with {} io threads", state_.options.address, port_,
                     threads);
    if (plain_listener_) {
      state_.log->info("redirecting plain http on {}:{} to https", state_.options.address,
                       http_redirect_port_);
    }
    return ok();
  }

  std::uint16_t port() const { return port_; }
  std::uint16_t http_redirect_port() const { return http_redirect_port_; }

  Result<void> reload_credentials(const TlsCredentials& credentials) {
    if (!state_.tls_context()) {
      return error(Code::kFailedPrecondition, "server not started");
    }
    std::shared_ptr<ssl::context> context = WL_TRY(detail::make_server_tls_context(credentials));
    {
      std::lock_guard lock(state_.tls_mutex);
      state_.tls.swap(context);
    }
    // `context` now holds the old one; connections made from it keep it alive.
    state_.log->info("tls credentials reloaded; new connections use them");
    return ok();
  }

  void stop(std::chrono::milliseconds drain) {
    {
      std::unique_lock lock(mutex_);
      if (is_stop_started_) {
        stopped_.wait(lock, [this] { return is_stopped_; });
        return;
      }
      is_stop_started_ = true;
    }
    if (is_running_) {
      state_.is_stopping = true;
      asio::post(workers_.front()->io, [this] {
        ErrorCode ignored;
        for (std::optional<Listener>* listener : {&tls_listener_, &plain_listener_}) {
          if (*listener) {
            (*listener)->acceptor.close(ignored);
            (*listener)->timer.cancel();
          }
        }
      });
      for (auto& worker : workers_) {
        asio::post(worker->io, [&worker = *worker] {
          for (auto& session : worker.live_sessions()) {
            session->stop_for_shutdown();
          }
        });
      }
      // Bounded drain: sessions close themselves after their close handshakes.
      const auto deadline = std::chrono::steady_clock::now() + drain;
      while (state_.live_sessions.load() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      for (auto& worker : workers_) {
        worker->work.reset();
        worker->io.stop();
      }
      for (auto& worker : workers_) {
        worker->thread.join();
      }
      for (auto& worker : workers_) {
        for (auto& session : worker->live_sessions()) {
          session->abandon_after_stop();
        }
      }
      state_.log->info("stopped; {} connections cut at the drain deadline",
                       state_.live_sessions.load());
    }
    std::lock_guard lock(mutex_);
    is_stopped_ = true;
    stopped_.notify_all();
  }

  void wait() {
    std::unique_lock lock(mutex_);
    stopped_.wait(lock, [this] { return is_stopped_; });
  }

 private:
  // Arms the next accept. Accepting never stops while the server runs: whatever
  // happened to the last connection, this is called again, and if arming itself fails
  // (Asio throws when it cannot allocate) the back-off timer retries.
  void do_accept(Listener& listener) {
    if (state_.is_stopping) {
      return;
    }
    Worker& worker = *workers_[next_worker_];
    next_worker_ = (next_worker_ + 1) % workers_.size();
    try {
      // The socket is created on the chosen worker's context: the connection lives there.
      listener.acceptor.async_accept(
          asio::any_io_executor(worker.io.get_executor()),
          [this, &listener, &worker](ErrorCode code, Tcp::socket socket) {
            on_accept(listener, worker, code, std::move(socket));
          });
    } catch (const std::exception& failure) {
      state_.log->error("cannot wait for connections: {}; retrying", failure.what());
      back_off(listener);
    }
  }

  void on_accept(Listener& listener, Worker& worker, ErrorCode code, Tcp::socket socket) {
    if (code == asio::error::operation_aborted || state_.is_stopping) {
      return;
    }
    if (code == asio::error::no_descriptors ||
        code == boost::system::errc::too_many_files_open_in_system) {
      on_out_of_descriptors(listener);
      return;
    }
    if (code) {
      // ECONNABORTED and the like: the peer gave up while queued. Nothing to back off from.
      if (const std::uint64_t count = accept_failures_.note()) {
        state_.log->warn("accept failed {} times: {}", count, code.message());
      }
    } else {
      listener.backoff = std::chrono::milliseconds(0);
      if (!reserve_descriptor_.is_open()) {
        reserve_descriptor_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
      }
      try {
        start_session(listener.kind, worker, std::move(socket));
      } catch (const std::exception& failure) {
        // The connection is dropped (its socket closes with the unwinding); the server
        // goes on accepting.
        state_.log->error("dropped a new connection: {}", failure.what());
      }
    }
    do_accept(listener);
  }

  void start_session(Listener::Kind kind, Worker& worker, Tcp::socket socket) {
    ErrorCode ignored;
    const Tcp::endpoint peer = socket.remote_endpoint(ignored);
    std::string address = peer.address().to_string();
    // Caps are checked before TLS, so a flood of connections or handshakes from one
    // address costs a socket and a close, nothing more (docs/transport.md).
    auto connection =
        state_.counter.try_acquire(detail::ConnectionCounter::Kind::kConnection, address);
    auto handshake = connection ? state_.counter.try_acquire(
                                      detail::ConnectionCounter::Kind::kHandshake, address)
                                : std::nullopt;
    if (!connection || !handshake) {
      state_.connections_refused.fetch_add(1, std::memory_order_relaxed);
      if (const std::uint64_t count = refusals_.note()) {
        state_.log->warn("refused {} connections over the connection or handshake caps", count);
      }
      socket.close(ignored);
      return;
    }
    socket.set_option(Tcp::no_delay(true), ignored);
    state_.connections_accepted.fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t id = state_.next_connection_id++;
    state_.log->debug("conn_id={} accepted", id);
    if (kind == Listener::Kind::kPlainHttp) {
      start_on(worker, std::make_shared<RedirectSession>(state_, worker, id, std::move(address),
                                                         std::move(socket), std::move(*connection),
                                                         std::move(*handshake)));
    } else {
      start_on(worker, std::make_shared<HttpSession>(state_, worker, id, std::move(address),
                                                     std::move(socket), std::move(*connection),
                                                     std::move(*handshake)));
    }
  }

  template <typename SessionType>
  static void start_on(Worker& worker, std::shared_ptr<SessionType> session) {
    asio::post(worker.io, [session = std::move(session)] { session->start(); });
  }

  // accept() fails with EMFILE/ENFILE while connections wait in the backlog: re-arming
  // at once would spin (the waiting connection keeps the listener readable). Close the
  // reserve descriptor, take one waiting connection and close it (its client learns at
  // once rather than hanging), reopen the reserve and wait before accepting again,
  // doubling the pause up to a second while it lasts.
  //
  // Other threads open descriptors too (the store, static files on other io threads),
  // so one may take the freed slot first: then nothing is shed this time, and the
  // reserve, if it cannot be reopened now, is reopened after a later accept. Either
  // way the back-off goes on, so a lost race costs a shed, never the acceptor.
  void on_out_of_descriptors(Listener& listener) {
    if (const std::uint64_t count = descriptor_failures_.note()) {
      state_.log->warn("out of file descriptors: {} accepts failed; shedding and backing off",
                       count);
    }
    if (reserve_descriptor_.is_open()) {
      reserve_descriptor_.reset();
      const int shed = ::accept4(listener.acceptor.native_handle(), nullptr, nullptr,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (shed >= 0) {
        ::close(shed);
      }
    }
    reserve_descriptor_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    back_off(listener);
  }

  // Accepts again after a pause: 10 ms, doubling up to a second while failures last.
  void back_off(Listener& listener) {
    listener.backoff = std::clamp(listener.backoff * 2, kMinAcceptBackoff, kMaxAcceptBackoff);
    listener.timer.expires_after(listener.backoff);
    listener.timer.async_wait([this, &listener](ErrorCode code) {
      if (!code && !state_.is_stopping) {
        do_accept(listener);
      }
    });
  }

  static constexpr auto kMinAcceptBackoff = std::chrono::milliseconds(10);
  static constexpr auto kMaxAcceptBackoff = std::chrono::milliseconds(1000);

  ServerState state_;  // First: outlives the workers and every session on them.
  TlsCredentials credentials_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::optional<Listener> tls_listener_;    // On workers_[0]; destroyed before it.
  std::optional<Listener> plain_listener_;  // Only with options.http_redirect_port.
  // Only on the acceptor's thread:
  std::size_t next_worker_ = 0;
  UniqueFd reserve_descriptor_;  // Freed to shed one connection when descriptors run out.
  detail::ThrottledWarning accept_failures_;
  detail::ThrottledWarning descriptor_failures_;
  detail::ThrottledWarning refusals_;
  std::uint16_t port_ = 0;
  std::uint16_t http_redirect_port_ = 0;
  bool is_running_ = false;
  std::mutex mutex_;
  std::condition_variable stopped_;
  bool is_started_ = false;
  bool is_stop_started_ = false;
  bool is_stopped_ = false;
};

Server::Server(ServerOptions options, TlsCredentials credentials, HttpHandler& http,
               WsHandlerFactory ws_factory)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(credentials), http,
                                   std::move(ws_factory))) {}

Server::~Server() = default;

Result<void> Server::start() { return impl_->start(); }

Result<void> Server::reload_credentials(TlsCredentials credentials) {
  return impl_->reload_credentials(credentials);
}

std::uint16_t Server::port() const { return impl_->port(); }

ServerCounts Server::counts() const { return impl_->counts(); }

bool Server::responsive(std::chrono::milliseconds timeout) { return impl_->responsive(timeout); }

std::uint16_t Server::http_redirect_port() const { return impl_->http_redirect_port(); }

void Server::stop(std::chrono::milliseconds drain) { impl_->stop(drain); }

void Server::wait() { impl_->wait(); }

}  // namespace wl::net
