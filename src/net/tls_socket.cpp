#include "net/detail/tls_socket.hpp"

#include <cerrno>

#include <openssl/err.h>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

namespace wl::net::detail {
namespace {

namespace asio = boost::asio;

}  // namespace

TlsSocket::TlsSocket(Tcp::socket socket, SSL_CTX* context)
    : socket_(std::move(socket)), ssl_(SSL_new(context)) {
  if (!ssl_) {
    return;
  }
  ErrorCode ignored;
  socket_.non_blocking(true, ignored);
  SSL_set_fd(ssl_.get(), static_cast<int>(socket_.native_handle()));
  SSL_set_accept_state(ssl_.get());
  // Read whole socket buffers, not a record header then its body: half the recv calls.
  SSL_set_read_ahead(ssl_.get(), 1);
  // A write that waited is retried from the op's own copy of the gathered bytes.
  SSL_set_mode(ssl_.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
}

char* TlsSocket::gather_scratch() {
  // One per io thread; used only between the gather and the SSL_write that follows it.
  thread_local char scratch[kMaxGather];
  return scratch;
}

TlsSocket::Attempt TlsSocket::try_handshake() {
  if (!ssl_) {
    return {Want::kNothing, asio::error::no_memory, 0};
  }
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_.get());
  if (result == 1) {
    return {};
  }
  return failure(result);
}

TlsSocket::Attempt TlsSocket::try_read(void* data, std::size_t size) {
  if (size == 0) {
    return {};
  }
  ERR_clear_error();
  std::size_t bytes = 0;
  const int result = SSL_read_ex(ssl_.get(), data, size, &bytes);
  if (result == 1) {
    return {Want::kNothing, {}, bytes};
  }
  return failure(result);
}

TlsSocket::Attempt TlsSocket::try_write(const void* data, std::size_t size) {
  if (size == 0) {
    return {};
  }
  ERR_clear_error();
  std::size_t bytes = 0;
  const int result = SSL_write_ex(ssl_.get(), data, size, &bytes);
  if (result == 1) {
    return {Want::kNothing, {}, bytes};
  }
  return failure(result);
}

TlsSocket::Attempt TlsSocket::try_shutdown() {
  if (!ssl_ || is_broken_ || SSL_is_init_finished(ssl_.get()) != 1) {
    return {};
  }
  ERR_clear_error();
  const int result = SSL_shutdown(ssl_.get());
  if (result >= 0) {
    // 0: our close_notify is sent. We do not wait for the peer's: the socket closes next.
    return {};
  }
  Attempt attempt = failure(result);
  if (attempt.want == Want::kRead) {
    return {};
  }
  return attempt;
}

TlsSocket::Attempt TlsSocket::failure(int result) {
  const int saved_errno = errno;
  switch (SSL_get_error(ssl_.get(), result)) {
    case SSL_ERROR_WANT_READ:
      return {Want::kRead, {}, 0};
    case SSL_ERROR_WANT_WRITE:
      return {Want::kWrite, {}, 0};
    case SSL_ERROR_ZERO_RETURN:
      // The peer's close_notify: a clean end of stream.
      return {Want::kNothing, asio::error::eof, 0};
    case SSL_ERROR_SYSCALL: {
      is_broken_ = true;
      if (const unsigned long queued = ERR_get_error(); queued != 0) {
        return {Want::kNothing,
                ErrorCode(static_cast<int>(queued), asio::error::get_ssl_category()), 0};
      }
      if (saved_errno != 0) {
        return {Want::kNothing, ErrorCode(saved_errno, asio::error::get_system_category()), 0};
      }
      return {Want::kNothing, asio::ssl::error::stream_truncated, 0};
    }
    case SSL_ERROR_SSL: {
      is_broken_ = true;
      const unsigned long queued = ERR_get_error();
      if (ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        // TCP closed without close_notify (OpenSSL 3 reports it as an SSL error).
        return {Want::kNothing, asio::ssl::error::stream_truncated, 0};
      }
      return {Want::kNothing, ErrorCode(static_cast<int>(queued), asio::error::get_ssl_category()),
              0};
    }
    default:
      is_broken_ = true;
      return {Want::kNothing, asio::error::fault, 0};
  }
}

void teardown(boost::beast::role_type /*role*/, TlsSocket& stream,
              boost::system::error_code& error) {
  // The server's WebSockets are asynchronous and never call this; Beast closes the
  // socket after it.
  error = {};
  stream.socket().shutdown(TlsSocket::Tcp::socket::shutdown_both, error);
}

}  // namespace wl::net::detail
