#include "net/mllp_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <pthread.h>
#include <spdlog/logger.h>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "core/hl7/mllp.hpp"
#include "core/log.hpp"
#include "core/thread_name.hpp"
#include "net/detail/connection_counter.hpp"
#include "net/detail/throttled_warning.hpp"
#include "net/detail/tls_context.hpp"
#include "net/detail/tls_socket.hpp"

// The MLLP listener (docs/transport.md, "MLLP"). Each connection is a session bound to
// one io thread for life, so its state needs no lock: reads feed an MllpDecoder, each
// complete message becomes a numbered slot in the connection's queue of pending ACKs
// and goes to the handler; a reply, from any thread, is posted back to the session,
// which fills its slot and writes every ready slot from the front of the queue. So
// ACKs leave in arrival order whatever order the replies come in, and the queue's
// length is the pipelining bound: at max_in_flight slots the session stops reading.
namespace wl::net {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using detail::TlsSocket;
using Tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = 4096;
// A write buffer grown past this by a burst of large ACKs is released after the write.
constexpr std::size_t kKeptWriteCapacity = 16 * 1024;
constexpr auto kTlsShutdownTimeout = std::chrono::seconds(2);
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

bool is_expected_ending(const ErrorCode& code) {
  return code == asio::error::operation_aborted || code == asio::error::eof ||
         code == asio::error::connection_reset || code == asio::error::broken_pipe ||
         code == asio::error::not_connected || code == ssl::error::stream_truncated;
}

Tcp::socket& socket_of(TlsSocket& stream) { return stream.socket(); }
Tcp::socket& socket_of(Tcp::socket& socket) { return socket; }

// Shared by every session of one server; outlives them (MllpServer::Impl owns it first).
struct MllpState {
  MllpState(MllpOptions server_options, MllpHandler& message_handler)
      : options(std::move(server_options)),
        handler(message_handler),
        counter({options.max_connections, options.max_connections_per_address}, {0, 0}) {}

  std::shared_ptr<ssl::context> tls_context() {
    std::lock_guard lock(tls_mutex);
    return tls;
  }

  const MllpOptions options;
  MllpHandler& handler;
  const std::shared_ptr<spdlog::logger> log = wl::log::get("net");
  std::mutex tls_mutex;
  std::shared_ptr<ssl::context> tls;  // GUARDED_BY(tls_mutex); null for plain MLLP.
  std::atomic<bool> is_stopping{false};
  std::atomic<std::uint64_t> next_connection_id{1};
  // For MllpServer::counts(); relaxed.
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_refused{0};
  std::atomic<std::uint64_t> tls_handshake_failures{0};
  std::atomic<std::uint64_t> frames_received{0};
  std::atomic<std::uint64_t> replies_sent{0};
  std::atomic<std::uint64_t> framing_errors{0};
  std::atomic<std::uint64_t> oversize_frames{0};
  std::atomic<std::uint64_t> truncated_frames{0};
  detail::ConnectionCounter counter;
};

// A session as its worker's registry and its replies see it.
class MllpSessionBase {
 public:
  virtual ~MllpSessionBase() = default;
  // On the session's thread, when the server stops.
  virtual void stop_for_shutdown() = 0;
  // On the stopping thread after the io threads have ended, for sessions the drain did
  // not finish: closes the socket (no I/O runs any more).
  virtual void abandon_after_stop() = 0;
  // From any thread: the handler's ACK for message `sequence`, or nullopt when the
  // reply was dropped uncalled.
  virtual void post_reply(std::uint64_t sequence, std::optional<std::string> ack) = 0;
};

// One io_context and its thread, with the registry of its sessions for stop(). The
// registry's lock is per worker and taken only when a session starts and ends.
struct MllpWorker {
  std::vector<std::shared_ptr<MllpSessionBase>> live_sessions() {
    std::vector<std::shared_ptr<MllpSessionBase>> live;
    std::lock_guard lock(sessions_mutex);
    for (auto& [key, weak] : sessions) {
      if (auto session = weak.lock()) {
        live.push_back(std::move(session));
      }
    }
    return live;
  }

  std::mutex sessions_mutex;
  // GUARDED_BY(sessions_mutex)
  std::unordered_map<MllpSessionBase*, std::weak_ptr<MllpSessionBase>> sessions;
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
};

// The handle behind one MllpReply: the first call delivers the ACK; if every copy of the
// reply is destroyed uncalled, the destructor reports that instead. Holds the session
// alive until then, so a session waiting only for replies is not destroyed.
class ReplyToken {
 public:
  ReplyToken(std::shared_ptr<MllpSessionBase> session, std::uint64_t sequence)
      : session_(std::move(session)), sequence_(sequence) {}
  ~ReplyToken() {
    if (!is_called_.exchange(true)) {
      session_->post_reply(sequence_, std::nullopt);
    }
  }
  ReplyToken(const ReplyToken&) = delete;
  ReplyToken& operator=(const ReplyToken&) = delete;

  void deliver(std::string ack) {
    if (!is_called_.exchange(true)) {
      session_->post_reply(sequence_, std::move(ack));
    }
  }

 private:
  std::shared_ptr<MllpSessionBase> session_;
  const std::uint64_t sequence_;
  std::atomic<bool> is_called_{false};
};

// One MLLP connection over `Stream` (TlsSocket or a plain TCP socket). Runs only on its
// worker's thread, except post_reply().
template <class Stream>
class MllpSession final : public MllpSessionBase,
                          public std::enable_shared_from_this<MllpSession<Stream>> {
 public:
  static constexpr bool kIsTls = std::is_same_v<Stream, TlsSocket>;

  MllpSession(MllpState& state, MllpWorker& worker, std::uint64_t id, std::string remote,
              Stream stream, detail::ConnectionCounter::Slot slot)
      : state_(state),
        worker_(worker),
        id_(id),
        remote_(std::move(remote)),
        stream_(std::move(stream)),
        timer_(worker.io),
        decoder_(state.options.max_frame_bytes),
        slot_(std::move(slot)) {}

  ~MllpSession() override {
    std::lock_guard lock(worker_.sessions_mutex);
    worker_.sessions.erase(this);
  }
  MllpSession(const MllpSession&) = delete;
  MllpSession& operator=(const MllpSession&) = delete;

  // On the worker's thread.
  void start() {
    {
      std::lock_guard lock(worker_.sessions_mutex);
      worker_.sessions.emplace(this, this->weak_from_this());
    }
    if (state_.is_stopping) {
      close_socket();
      return;
    }
    if constexpr (kIsTls) {
      if (!stream_.is_valid()) {
        state_.log->warn("mllp conn_id={} cannot allocate a TLS session", id_);
        close_socket();
        return;
      }
      phase_ = Phase::kHandshake;
      arm_timer(state_.options.tls_handshake_timeout);
      stream_.async_handshake(
          [self = this->shared_from_this()](ErrorCode code) { self->on_handshake(code); });
    } else {
      begin_serving();
    }
  }

  void stop_for_shutdown() override {
    is_stopping_ = true;
    if (phase_ == Phase::kHandshake || is_reading_) {
      ErrorCode ignored;
      socket_of(stream_).cancel(ignored);
    }
    if (phase_ == Phase::kServing) {
      pump();
    }
  }

  void abandon_after_stop() override { close_socket(); }

  void post_reply(std::uint64_t sequence, std::optional<std::string> ack) override {
    asio::post(worker_.io, [self = this->shared_from_this(), sequence, ack = std::move(ack)] {
      self->on_reply(sequence, std::move(ack));
    });
  }

 private:
  enum class Phase { kStarting, kHandshake, kServing, kClosing, kClosed };

  // One message handed to the handler: its ACK once the reply came.
  struct Pending {
    std::optional<std::string> ack;
  };

  void on_handshake(ErrorCode code) {
    if (phase_ != Phase::kHandshake) {
      return;
    }
    if (code) {
      // The peer's problem (old protocol, untrusted certificate, scanner): debug only.
      state_.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
      state_.log->debug("mllp conn_id={} tls handshake failed: {}", id_, code.message());
      close_socket();
      return;
    }
    begin_serving();
  }

  void begin_serving() {
    phase_ = Phase::kServing;
    last_activity_ = SteadyClock::now();
    arm_timer(state_.options.idle_timeout);
    pump();
  }

  // Hands complete messages to the handler within the in-flight bound, then reads more,
  // or closes once the reading side has ended and every ACK is written.
  void pump() {
    if (phase_ != Phase::kServing) {
      return;
    }
    bool is_decoder_empty = false;
    if (!is_stopping_) {
      while (pending_.size() < state_.options.max_in_flight) {
        std::optional<std::string> message = decoder_.next();
        if (!message) {
          is_decoder_empty = true;
          break;
        }
        dispatch(std::move(*message));
        if (phase_ != Phase::kServing) {
          return;  // The handler dropped the reply at once.
        }
      }
    }
    if (is_read_closed_ || is_stopping_) {
      if (pending_.empty() && !is_writing_ && !is_reading_) {
        begin_close();
      }
      return;
    }
    if (is_decoder_empty && !is_reading_ && pending_.size() < state_.options.max_in_flight) {
      do_read();
    }
  }

  void dispatch(std::string payload) {
    const std::uint64_t sequence = first_sequence_ + pending_.size();
    pending_.emplace_back();
    state_.frames_received.fetch_add(1, std::memory_order_relaxed);
    auto token = std::make_shared<ReplyToken>(this->shared_from_this(), sequence);
    MllpReply reply = [token = std::move(token)](std::string ack) {
      token->deliver(std::move(ack));
    };
    state_.handler.on_message(MllpMessage{std::move(payload), remote_, id_}, std::move(reply));
  }

  void do_read() {
    is_reading_ = true;
    stream_.async_read_some(asio::buffer(read_buffer_),
                            [self = this->shared_from_this()](ErrorCode code, std::size_t bytes) {
                              self->on_read(code, bytes);
                            });
  }

  void on_read(ErrorCode code, std::size_t bytes) {
    is_reading_ = false;
    if (phase_ != Phase::kServing) {
      return;
    }
    if (bytes > 0) {
      last_activity_ = SteadyClock::now();
      if (Result<void> fed = decoder_.feed(std::string_view(read_buffer_.data(), bytes)); !fed) {
        // Frames completed before the error are still handled and acknowledged; then
        // the connection closes.
        state_.framing_errors.fetch_add(1, std::memory_order_relaxed);
        if (fed.error().code() == Code::kResourceExhausted) {
          state_.oversize_frames.fetch_add(1, std::memory_order_relaxed);
        }
        state_.log->info("mllp conn_id={} closing: {}", id_, fed.error().message());
        is_read_closed_ = true;
      }
    }
    if (code) {
      is_read_closed_ = true;
      if (decoder_.has_partial_frame() && !decoder_.failed() && !is_stopping_) {
        state_.truncated_frames.fetch_add(1, std::memory_order_relaxed);
        state_.log->info("mllp conn_id={} closed inside a frame: the partial message is dropped",
                         id_);
      } else if (is_expected_ending(code)) {
        state_.log->debug("mllp conn_id={} read ended: {}", id_, code.message());
      } else {
        state_.log->info("mllp conn_id={} read failed: {}", id_, code.message());
      }
    }
    pump();
  }

  void on_reply(std::uint64_t sequence, std::optional<std::string> ack) {
    if (phase_ != Phase::kServing) {
      return;  // The connection has ended: there is nobody to tell.
    }
    if (!ack) {
      state_.log->warn("mllp conn_id={} a message was left unanswered: closing", id_);
      close_socket();
      return;
    }
    if (ack->find_first_of(std::string_view("\x0B\x1C", 2)) != std::string::npos) {
      state_.log->warn("mllp conn_id={} an ACK holds MLLP framing bytes: closing", id_);
      close_socket();
      return;
    }
    pending_[sequence - first_sequence_].ack = std::move(*ack);
    do_write();
  }

  // Writes every ACK ready at the front of the queue, in one write.
  void do_write() {
    if (is_writing_ || phase_ != Phase::kServing) {
      return;
    }
    write_buffer_.clear();
    std::size_t count = 0;
    for (Pending& pending : pending_) {
      if (!pending.ack) {
        break;
      }
      write_buffer_.push_back(hl7::kMllpStart);
      write_buffer_.append(*pending.ack);
      write_buffer_.push_back(hl7::kMllpEnd);
      write_buffer_.push_back(hl7::kMllpTrailer);
      pending.ack = std::string();  // Written from the buffer now; keeps the slot ready.
      ++count;
    }
    if (count == 0) {
      return;
    }
    is_writing_ = true;
    asio::async_write(stream_, asio::buffer(write_buffer_),
                      [self = this->shared_from_this(), count](ErrorCode code, std::size_t) {
                        self->on_write(code, count);
                      });
  }

  void on_write(ErrorCode code, std::size_t count) {
    is_writing_ = false;
    if (phase_ != Phase::kServing) {
      return;
    }
    if (code) {
      if (is_expected_ending(code)) {
        state_.log->debug("mllp conn_id={} write ended: {}", id_, code.message());
      } else {
        state_.log->info("mllp conn_id={} write failed: {}", id_, code.message());
      }
      close_socket();
      return;
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(count));
    first_sequence_ += count;
    state_.replies_sent.fetch_add(count, std::memory_order_relaxed);
    last_activity_ = SteadyClock::now();
    if (write_buffer_.capacity() > kKeptWriteCapacity) {
      write_buffer_ = std::string();
    }
    do_write();
    pump();
  }

  // The deadline of the handshake, the idle limit, or the TLS shutdown, by phase. The
  // idle check reads last_activity_ when the timer fires, so reads never re-arm it.
  void arm_timer(SteadyClock::duration timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([weak = this->weak_from_this()](ErrorCode code) {
      if (code) {
        return;
      }
      if (auto self = weak.lock()) {
        self->on_timer();
      }
    });
  }

  void on_timer() {
    switch (phase_) {
      case Phase::kStarting:
      case Phase::kClosed:
        return;
      case Phase::kHandshake:
        state_.log->debug("mllp conn_id={} tls handshake timed out", id_);
        close_socket();
        return;
      case Phase::kClosing:
        close_socket();
        return;
      case Phase::kServing:
        break;
    }
    const SteadyClock::duration limit = state_.options.idle_timeout;
    const SteadyClock::duration quiet = SteadyClock::now() - last_activity_;
    if (!pending_.empty() || quiet < limit) {
      // A message awaiting its ACK is the server's wait, not the peer's silence.
      arm_timer(pending_.empty() ? limit - quiet : limit);
      return;
    }
    state_.log->debug("mllp conn_id={} idle for {} s: closing", id_,
                      std::chrono::duration_cast<std::chrono::seconds>(limit).count());
    is_read_closed_ = true;
    if (is_reading_) {
      ErrorCode ignored;
      socket_of(stream_).cancel(ignored);  // on_read then closes.
      return;
    }
    begin_close();
  }

  // Every ACK is written and nothing more will be read: TLS says close_notify first.
  void begin_close() {
    if constexpr (kIsTls) {
      phase_ = Phase::kClosing;
      arm_timer(kTlsShutdownTimeout);
      stream_.async_shutdown(
          [self = this->shared_from_this()](ErrorCode) { self->close_socket(); });
    } else {
      close_socket();
    }
  }

  void close_socket() {
    if (phase_ == Phase::kClosed) {
      return;
    }
    phase_ = Phase::kClosed;
    timer_.cancel();
    ErrorCode ignored;
    Tcp::socket& socket = socket_of(stream_);
    socket.shutdown(Tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    pending_.clear();
    slot_.release();
    state_.log->debug("mllp conn_id={} closed", id_);
  }

  MllpState& state_;
  MllpWorker& worker_;
  const std::uint64_t id_;
  const std::string remote_;
  Stream stream_;
  asio::steady_timer timer_;
  hl7::MllpDecoder decoder_;
  detail::ConnectionCounter::Slot slot_;
  std::array<char, kReadChunk> read_buffer_{};
  std::string write_buffer_;
  // Messages handed to the handler whose ACK is not written yet, oldest first; the
  // front one is number first_sequence_.
  std::deque<Pending> pending_;
  std::uint64_t first_sequence_ = 0;
  SteadyClock::time_point last_activity_;
  Phase phase_ = Phase::kStarting;
  bool is_reading_ = false;
  bool is_writing_ = false;
  bool is_read_closed_ = false;  // End of stream, a read error, framing error or idle.
  bool is_stopping_ = false;
};

}  // namespace

class MllpServer::Impl {
 public:
  Impl(MllpOptions options, std::optional<TlsCredentials> tls, MllpHandler& handler)
      : state_(std::move(options), handler), credentials_(std::move(tls)) {}

  ~Impl() { stop(std::chrono::milliseconds(0)); }

  Result<void> start() {
    {
      std::lock_guard lock(mutex_);
      if (is_started_) {
        return error(Code::kFailedPrecondition, "MLLP listener already started");
      }
      is_started_ = true;
    }
    const MllpOptions& options = state_.options;
    if (options.threads == 0 || options.max_frame_bytes == 0 || options.max_in_flight == 0) {
      return error(Code::kInvalidArgument,
                   "MLLP threads, max_frame_bytes and max_in_flight must be at least 1");
    }
    if (credentials_) {
      std::shared_ptr<ssl::context> context =
          WL_TRY(detail::make_server_tls_context(*credentials_));
      credentials_.reset();  // The key stays only inside the SSL_CTX.
      std::lock_guard lock(state_.tls_mutex);
      state_.tls = std::move(context);
    }
    ErrorCode code;
    const asio::ip::address address = asio::ip::make_address(options.address, code);
    if (code) {
      return error(Code::kInvalidArgument, "invalid MLLP listen address");
    }
    for (std::size_t index = 0; index < options.threads; ++index) {
      workers_.push_back(std::make_unique<MllpWorker>());
    }
    acceptor_.emplace(workers_.front()->io);
    accept_timer_.emplace(workers_.front()->io);
    const Tcp::endpoint endpoint(address, options.port);
    acceptor_->open(endpoint.protocol(), code);
    if (!code) {
      acceptor_->set_option(asio::socket_base::reuse_address(true), code);
    }
    if (!code) {
      acceptor_->bind(endpoint, code);
    }
    if (!code) {
      acceptor_->listen(asio::socket_base::max_listen_connections, code);
    }
    if (code) {
      state_.log->error("cannot listen for MLLP on {}:{}: {}", options.address, options.port,
                        code.message());
      accept_timer_.reset();
      acceptor_.reset();
      workers_.clear();
      return error(Code::kUnavailable, "cannot listen on the MLLP address");
    }
    port_ = acceptor_->local_endpoint().port();
    do_accept();
    for (std::size_t index = 0; index < workers_.size(); ++index) {
      MllpWorker& worker = *workers_[index];
      worker.thread = std::thread([&io = worker.io, log = state_.log, index] {
        name_this_thread("wl-mllp-" + std::to_string(index));
        // OpenSSL writes to the sockets itself, without MSG_NOSIGNAL: a write to a reset
        // connection must fail with EPIPE, not kill the process.
        sigset_t pipe_signal;
        sigemptyset(&pipe_signal);
        sigaddset(&pipe_signal, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
        for (;;) {
          try {
            io.run();
            return;
          } catch (const std::exception& failure) {
            log->error("mllp io thread caught an exception from a handler: {}", failure.what());
          }
        }
      });
    }
    is_running_ = true;
    state_.log->info("listening for MLLP{} on {}:{} with {} io threads",
                     state_.tls_context() ? " over TLS" : "", options.address, port_,
                     workers_.size());
    return ok();
  }

  Result<void> reload_credentials(const TlsCredentials& credentials) {
    if (!state_.tls_context()) {
      return error(Code::kFailedPrecondition, "the MLLP listener does not use TLS");
    }
    std::shared_ptr<ssl::context> context = WL_TRY(detail::make_server_tls_context(credentials));
    std::lock_guard lock(state_.tls_mutex);
    state_.tls.swap(context);
    return ok();
  }

  std::uint16_t port() const { return port_; }

  MllpCounts counts() const {
    MllpCounts counts;
    counts.connections_accepted = state_.connections_accepted.load(std::memory_order_relaxed);
    counts.connections_refused = state_.connections_refused.load(std::memory_order_relaxed);
    counts.open_connections = state_.counter.count(detail::ConnectionCounter::Kind::kConnection);
    counts.tls_handshake_failures = state_.tls_handshake_failures.load(std::memory_order_relaxed);
    counts.frames_received = state_.frames_received.load(std::memory_order_relaxed);
    counts.replies_sent = state_.replies_sent.load(std::memory_order_relaxed);
    counts.framing_errors = state_.framing_errors.load(std::memory_order_relaxed);
    counts.oversize_frames = state_.oversize_frames.load(std::memory_order_relaxed);
    counts.truncated_frames = state_.truncated_frames.load(std::memory_order_relaxed);
    return counts;
  }

  void stop(std::chrono::milliseconds drain) {
    {
      std::lock_guard lock(mutex_);
      if (is_stopped_) {
        return;
      }
      is_stopped_ = true;
    }
    if (!is_running_) {
      return;
    }
    state_.is_stopping = true;
    asio::post(workers_.front()->io, [this] {
      ErrorCode ignored;
      acceptor_->close(ignored);
      accept_timer_->cancel();
    });
    for (auto& worker : workers_) {
      asio::post(worker->io, [&worker = *worker] {
        for (auto& session : worker.live_sessions()) {
          session->stop_for_shutdown();
        }
      });
    }
    // Bounded drain: each connection closes itself once its in-flight ACKs are written.
    const auto deadline = SteadyClock::now() + drain;
    while (state_.counter.count(detail::ConnectionCounter::Kind::kConnection) > 0 &&
           SteadyClock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const std::size_t cut = state_.counter.count(detail::ConnectionCounter::Kind::kConnection);
    for (auto& worker : workers_) {
      worker->work.reset();
      worker->io.stop();
    }
    for (auto& worker : workers_) {
      worker->thread.join();
    }
    // The close posted above may not have run within a short drain: the listener must
    // not stay open (connections would queue in its backlog unanswered).
    ErrorCode ignored;
    acceptor_->close(ignored);
    accept_timer_->cancel();
    for (auto& worker : workers_) {
      for (auto& session : worker->live_sessions()) {
        session->abandon_after_stop();
      }
    }
    state_.log->info("MLLP listener stopped; {} connections cut at the drain deadline", cut);
  }

 private:
  void do_accept() {
    if (state_.is_stopping) {
      return;
    }
    MllpWorker& worker = *workers_[next_worker_];
    next_worker_ = (next_worker_ + 1) % workers_.size();
    acceptor_->async_accept(asio::any_io_executor(worker.io.get_executor()),
                            [this, &worker](ErrorCode code, Tcp::socket socket) {
                              on_accept(worker, code, std::move(socket));
                            });
  }

  void on_accept(MllpWorker& worker, ErrorCode code, Tcp::socket socket) {
    if (code == asio::error::operation_aborted || state_.is_stopping) {
      return;
    }
    if (code) {
      // Out of descriptors, or the peer gave up while queued: pause rather than spin.
      state_.log->warn("MLLP accept failed: {}", code.message());
      accept_timer_->expires_after(kAcceptBackoff);
      accept_timer_->async_wait([this](ErrorCode wait_code) {
        if (!wait_code) {
          do_accept();
        }
      });
      return;
    }
    start_session(worker, std::move(socket));
    do_accept();
  }

  void start_session(MllpWorker& worker, Tcp::socket socket) {
    ErrorCode ignored;
    std::string address = socket.remote_endpoint(ignored).address().to_string();
    auto slot = state_.counter.try_acquire(detail::ConnectionCounter::Kind::kConnection, address);
    if (!slot) {
      state_.connections_refused.fetch_add(1, std::memory_order_relaxed);
      if (const std::uint64_t count = refusals_.note()) {
        state_.log->warn("refused {} MLLP connections over the cap of {} in all or {} per address",
                         count, state_.options.max_connections,
                         state_.options.max_connections_per_address);
      }
      socket.close(ignored);
      return;
    }
    socket.set_option(Tcp::no_delay(true), ignored);
    state_.connections_accepted.fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t id = state_.next_connection_id++;
    state_.log->debug("mllp conn_id={} accepted", id);
    if (std::shared_ptr<ssl::context> context = state_.tls_context()) {
      start_on(worker,
               std::make_shared<MllpSession<TlsSocket>>(
                   state_, worker, id, std::move(address),
                   TlsSocket(std::move(socket), context->native_handle()), std::move(*slot)));
    } else {
      start_on(worker,
               std::make_shared<MllpSession<Tcp::socket>>(state_, worker, id, std::move(address),
                                                          std::move(socket), std::move(*slot)));
    }
  }

  template <class Session>
  static void start_on(MllpWorker& worker, std::shared_ptr<Session> session) {
    asio::post(worker.io, [session = std::move(session)] { session->start(); });
  }

  MllpState state_;  // First: outlives the workers and every session on them.
  std::optional<TlsCredentials> credentials_;
  std::vector<std::unique_ptr<MllpWorker>> workers_;
  std::optional<Tcp::acceptor> acceptor_;           // On workers_[0]; destroyed before it.
  std::optional<asio::steady_timer> accept_timer_;  // The accept back-off, likewise.
  std::size_t next_worker_ = 0;                     // Only on the acceptor's thread.
  detail::ThrottledWarning refusals_;               // Likewise.
  std::uint16_t port_ = 0;
  bool is_running_ = false;
  std::mutex mutex_;
  bool is_started_ = false;  // GUARDED_BY(mutex_)
  bool is_stopped_ = false;  // GUARDED_BY(mutex_)
};

MllpServer::MllpServer(MllpOptions options, std::optional<TlsCredentials> tls, MllpHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(tls), handler)) {}

MllpServer::~MllpServer() = default;

Result<void> MllpServer::start() { return impl_->start(); }

Result<void> MllpServer::reload_credentials(const TlsCredentials& credentials) {
  return impl_->reload_credentials(credentials);
}

std::uint16_t MllpServer::port() const { return impl_->port(); }

MllpCounts MllpServer::counts() const { return impl_->counts(); }

void MllpServer::stop(std::chrono::milliseconds drain) { impl_->stop(drain); }

}  // namespace wl::net
