#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include <openssl/ssl.h>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/detail/throw_error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/system/error_code.hpp>

// A server-side TLS stream of our own: OpenSSL driven directly on the non-blocking
// socket, with readiness waits instead of intermediate buffers (docs/transport.md,
// "The server's TLS stream"). An idle connection holds the socket and the SSL object only; with
// SSL_MODE_RELEASE_BUFFERS OpenSSL frees its record buffers whenever they are empty.
//
// TlsSocket models Asio's AsyncReadStream and AsyncWriteStream, so Beast's HTTP and
// WebSocket code runs on it unchanged; its next layer is the TCP socket, so
// beast::get_lowest_layer() reaches the socket (WebSocket timeouts close it).
//
// Threads: like any Asio stream, one thread at a time (its connection's io thread).
// At most one read and one write may be outstanding at once, as Beast guarantees.
namespace wl::net::detail {

class TlsSocket {
 public:
  using Tcp = boost::asio::ip::tcp;
  using ErrorCode = boost::system::error_code;
  using executor_type = Tcp::socket::executor_type;
  using next_layer_type = Tcp::socket;
  using lowest_layer_type = Tcp::socket;

  // Takes the accepted socket. The SSL object takes its own reference to `context`, so the
  // caller need not keep it (a credentials reload may release it). is_valid() is false if
  // OpenSSL could not make the SSL object (out of memory).
  TlsSocket(Tcp::socket socket, SSL_CTX* context);
  TlsSocket(TlsSocket&& other) noexcept = default;
  TlsSocket& operator=(TlsSocket&& other) noexcept = default;
  TlsSocket(const TlsSocket&) = delete;
  TlsSocket& operator=(const TlsSocket&) = delete;
  ~TlsSocket() = default;

  bool is_valid() const { return ssl_ != nullptr; }
  executor_type get_executor() noexcept { return socket_.get_executor(); }
  Tcp::socket& next_layer() noexcept { return socket_; }
  Tcp::socket& socket() noexcept { return socket_; }

  // The server side of the TLS handshake. Handler: void(error_code).
  template <class Handler>
  auto async_handshake(Handler&& handler) {
    return boost::asio::async_compose<Handler, void(ErrorCode)>(Op<Step::kHandshake>{*this},
                                                                handler, socket_);
  }

  // Sends close_notify (without waiting for the peer's). Handler: void(error_code).
  template <class Handler>
  auto async_shutdown(Handler&& handler) {
    return boost::asio::async_compose<Handler, void(ErrorCode)>(Op<Step::kShutdown>{*this}, handler,
                                                                socket_);
  }

  // Reads some decrypted bytes into the first non-empty buffer. Handler:
  // void(error_code, std::size_t). The peer's close_notify ends with asio's eof, an
  // unannounced TCP close with ssl::error::stream_truncated.
  template <class MutableBuffers, class Handler>
  auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    const boost::asio::mutable_buffer first = first_buffer(buffers);
    return boost::asio::async_compose<Handler, void(ErrorCode, std::size_t)>(
        Op<Step::kRead>{*this, first.data(), first.size()}, handler, socket_);
  }

  // Writes some bytes. A sequence of several buffers (a WebSocket frame header and its
  // payload) is gathered into one TLS record of at most kMaxGather bytes, not one
  // record per buffer. Handler: void(error_code, std::size_t).
  //
  // While corked (set_corked), a write that fits the cork (kMaxGather bytes in all) is
  // only appended to it and completes at once; the next write that does not, or the
  // first after uncorking, writes the cork and itself in one SSL_write. So a burst of
  // queued frames goes out in one record and one syscall, not one each.
  template <class ConstBuffers, class Handler>
  auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    Op<Step::kWrite> op{*this};
    const boost::asio::const_buffer buffer = gather(buffers);
    if (is_corked_ && cork_.size() + buffer.size() <= kMaxGather) {
      cork_.append(static_cast<const char*>(buffer.data()), buffer.size());
      op.is_buffered = true;
      op.size = buffer.size();
    } else if (!cork_.empty()) {
      cork_.append(static_cast<const char*>(buffer.data()), buffer.size());
      op.kept = std::make_unique<std::string>(std::move(cork_));
      cork_ = std::string();
      op.prepare_write(boost::asio::buffer(*op.kept));
      op.reported = buffer.size();
    } else {
      op.prepare_write(buffer);
    }
    return boost::asio::async_compose<Handler, void(ErrorCode, std::size_t)>(std::move(op), handler,
                                                                             socket_);
  }

  // See async_write_some. The owner uncorks before its last write of a burst; data
  // left in the cork goes out with the next write of any kind (Beast's own control
  // frames included).
  void set_corked(bool corked) { is_corked_ = corked; }

  // Blocking forms, for Beast's synchronous members (the explicit instantiation of the
  // WebSocket stream compiles them all); the server never calls them.
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, ErrorCode& error) {
    const boost::asio::mutable_buffer first = first_buffer(buffers);
    return run_blocking([&] { return try_read(first.data(), first.size()); }, error);
  }
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    ErrorCode error;
    const std::size_t bytes = read_some(buffers, error);
    boost::asio::detail::throw_error(error);
    return bytes;
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers, ErrorCode& error) {
    const boost::asio::const_buffer buffer = gather(buffers);
    return run_blocking([&] { return try_write(buffer.data(), buffer.size()); }, error);
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers) {
    ErrorCode error;
    const std::size_t bytes = write_some(buffers, error);
    boost::asio::detail::throw_error(error);
    return bytes;
  }

  static constexpr std::size_t kMaxGather = 16 * 1024;

 private:
  enum class Step { kHandshake, kRead, kWrite, kShutdown };
  enum class Want { kNothing, kRead, kWrite };

  struct SslDeleter {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };

  // One attempt of an OpenSSL call on the non-blocking socket: done (with an error or
  // the byte count), or the readiness to wait for before trying again.
  struct Attempt {
    Want want = Want::kNothing;
    ErrorCode error;
    std::size_t bytes = 0;
  };

  // The first non-empty buffer of a sequence (empty if none): reads fill one buffer.
  template <class MutableBuffers>
  static boost::asio::mutable_buffer first_buffer(const MutableBuffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      if (boost::asio::mutable_buffer(*it).size() != 0) {
        return *it;
      }
    }
    return {};
  }

  // Copies a sequence of several buffers, up to kMaxGather bytes, into this thread's
  // scratch buffer and returns it; a single buffer is returned as it is.
  template <class ConstBuffers>
  static boost::asio::const_buffer gather(const ConstBuffers& buffers) {
    auto begin = boost::asio::buffer_sequence_begin(buffers);
    auto end = boost::asio::buffer_sequence_end(buffers);
    std::size_t count = 0;
    boost::asio::const_buffer only;
    for (auto it = begin; it != end; ++it) {
      const boost::asio::const_buffer buffer(*it);
      if (buffer.size() != 0) {
        only = buffer;
        ++count;
      }
    }
    if (count <= 1) {
      return only;
    }
    char* scratch = gather_scratch();
    std::size_t used = 0;
    for (auto it = begin; it != end && used < kMaxGather; ++it) {
      const boost::asio::const_buffer buffer(*it);
      used +=
          boost::asio::buffer_copy(boost::asio::buffer(scratch + used, kMaxGather - used), buffer);
    }
    return {scratch, used};
  }
  static char* gather_scratch();

  template <class Try>
  std::size_t run_blocking(Try attempt_once, ErrorCode& error) {
    for (;;) {
      const Attempt attempt = attempt_once();
      if (attempt.want == Want::kNothing) {
        error = attempt.error;
        return attempt.bytes;
      }
      socket_.wait(attempt.want == Want::kRead ? Tcp::socket::wait_read : Tcp::socket::wait_write,
                   error);
      if (error) {
        return 0;
      }
    }
  }

  Attempt try_handshake();
  Attempt try_read(void* data, std::size_t size);
  Attempt try_write(const void* data, std::size_t size);
  Attempt try_shutdown();
  // Classifies a failed SSL_* call's result.
  Attempt failure(int result);

  // The composed operation for every step: try the OpenSSL call; if it would block,
  // wait for the readiness it wants and try again. A step that finishes without ever
  // waiting posts its completion, so a handler never runs inside its initiating call.
  template <Step kStep>
  struct Op {
    TlsSocket& stream;
    void* read_data = nullptr;
    std::size_t size = 0;
    const void* write_data = nullptr;
    // A gathered write that had to wait: OpenSSL must see the same bytes again, and
    // the thread's scratch buffer may be reused meanwhile, so the op keeps a copy.
    std::unique_ptr<std::string> kept;
    // A corked write: appended, no I/O (it completes with `size`).
    bool is_buffered = false;
    // A write of the cork and this write's bytes: completes with this write's size.
    std::size_t reported = 0;
    bool has_waited = false;
    bool is_done = false;
    Attempt result;

    void prepare_write(boost::asio::const_buffer buffer) {
      write_data = buffer.data();
      size = buffer.size();
    }

    template <class Self>
    void operator()(Self& self, ErrorCode wait_error = {}) {
      if (is_done) {
        // Re-entered through the post below.
        complete(self);
        return;
      }
      if (wait_error) {
        result.error = wait_error;
        finish(self);
        return;
      }
      if (is_buffered) {
        result = Attempt{Want::kNothing, {}, size};
        finish(self);
        return;
      }
      result = attempt();
      if (result.want == Want::kNothing) {
        finish(self);
        return;
      }
      if constexpr (kStep == Step::kWrite) {
        if (!kept && write_data == static_cast<const void*>(gather_scratch())) {
          kept = std::make_unique<std::string>(static_cast<const char*>(write_data), size);
          write_data = kept->data();
        }
      }
      has_waited = true;
      stream.socket_.async_wait(
          result.want == Want::kRead ? Tcp::socket::wait_read : Tcp::socket::wait_write,
          std::move(self));
    }

    Attempt attempt() {
      if constexpr (kStep == Step::kHandshake) {
        return stream.try_handshake();
      } else if constexpr (kStep == Step::kRead) {
        return stream.try_read(read_data, size);
      } else if constexpr (kStep == Step::kWrite) {
        return stream.try_write(write_data, size);
      } else {
        return stream.try_shutdown();
      }
    }

    template <class Self>
    void finish(Self& self) {
      if (has_waited) {
        complete(self);
        return;
      }
      is_done = true;
      boost::asio::post(stream.socket_.get_executor(), std::move(self));
    }

    template <class Self>
    void complete(Self& self) {
      if constexpr (kStep == Step::kWrite) {
        self.complete(result.error, !result.error && reported != 0 ? reported : result.bytes);
      } else if constexpr (kStep == Step::kRead) {
        self.complete(result.error, result.bytes);
      } else {
        self.complete(result.error);
      }
    }
  };

  Tcp::socket socket_;
  std::unique_ptr<SSL, SslDeleter> ssl_;
  // After a fatal SSL error OpenSSL forbids SSL_shutdown.
  bool is_broken_ = false;
  bool is_corked_ = false;
  std::string cork_;  // Corked bytes not yet written; empty (no memory) otherwise.
};

// WebSocket teardown (found by argument-dependent lookup from Beast's websocket
// stream): close_notify, then Beast closes the socket.
void teardown(boost::beast::role_type role, TlsSocket& stream, boost::system::error_code& error);

template <class Handler>
void async_teardown(boost::beast::role_type /*role*/, TlsSocket& stream, Handler&& handler) {
  stream.async_shutdown(std::forward<Handler>(handler));
}

}  // namespace wl::net::detail
