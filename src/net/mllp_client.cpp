#include "net/mllp_client.hpp"

#include <array>
#include <optional>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "core/hl7/mllp.hpp"
#include "net/detail/client_connect.hpp"

// Drives Asio's asynchronous operations on a private io_context, running it only inside
// the calls; beast::tcp_stream's expiry gives every step its deadline. A plain
// connection uses the TCP stream under the (then unused) TLS stream.
namespace wl::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using ErrorCode = boost::system::error_code;
using Stream = beast::ssl_stream<beast::tcp_stream>;

constexpr std::size_t kReadChunk = 4096;
constexpr auto kCloseWait = std::chrono::seconds(2);

// Runs `io` until `is_done`; the operation has its own deadline (tcp_stream expiry).
void run_to_completion(asio::io_context& io, const bool& is_done) {
  while (!is_done) {
    if (io.stopped()) {
      io.restart();
    }
    if (io.run_one() == 0) {
      io.restart();
    }
  }
}

Status io_error(const ErrorCode& code, std::string_view step) {
  if (code == beast::error::timeout) {
    return Status(Code::kDeadlineExceeded, std::string(step) + " timed out");
  }
  if (code == asio::error::eof || code == ssl::error::stream_truncated) {
    return Status(Code::kUnavailable, "the server closed the connection");
  }
  return Status(Code::kUnavailable, std::string(step) + " failed: " + code.message());
}

}  // namespace

class MllpClient::Impl {
 public:
  explicit Impl(const MllpClientOptions& options)
      : options_(options), decoder_(options.max_frame_bytes) {}

  Result<void> connect() {
    WL_TRY(detail::configure_client_tls(tls_, options_.server));
    stream_.emplace(io_, tls_);
    Result<void> connected = detail::connect_client(io_, *stream_, options_.server, options_.tls);
    if (!connected) {
      drop();
    }
    return connected;
  }

  Result<void> send(std::string_view message) {
    if (!stream_) {
      return error(Code::kUnavailable, "the connection is closed");
    }
    const std::string framed = hl7::encode_mllp(message);
    ErrorCode code;
    bool is_done = false;
    beast::get_lowest_layer(*stream_).expires_after(options_.server.timeout);
    auto on_written = [&](ErrorCode result, std::size_t) {
      code = result;
      is_done = true;
    };
    if (options_.tls) {
      asio::async_write(*stream_, asio::buffer(framed), on_written);
    } else {
      asio::async_write(stream_->next_layer(), asio::buffer(framed), on_written);
    }
    run_to_completion(io_, is_done);
    if (code) {
      drop();
      return std::unexpected(io_error(code, "MLLP write"));
    }
    return ok();
  }

  Result<std::string> receive() {
    // One deadline for the whole frame, however many reads it takes.
    if (stream_) {
      beast::get_lowest_layer(*stream_).expires_after(options_.server.timeout);
    }
    for (;;) {
      if (std::optional<std::string> message = decoder_.next()) {
        return std::move(*message);
      }
      if (!stream_) {
        return error(Code::kUnavailable, "the connection is closed");
      }
      ErrorCode code;
      std::size_t bytes = 0;
      bool is_done = false;
      auto on_read = [&](ErrorCode result, std::size_t count) {
        code = result;
        bytes = count;
        is_done = true;
      };
      if (options_.tls) {
        stream_->async_read_some(asio::buffer(buffer_), on_read);
      } else {
        stream_->next_layer().async_read_some(asio::buffer(buffer_), on_read);
      }
      run_to_completion(io_, is_done);
      if (bytes > 0) {
        if (Result<void> fed = decoder_.feed(std::string_view(buffer_.data(), bytes)); !fed) {
          drop();
          if (std::optional<std::string> message = decoder_.next()) {
            return std::move(*message);
          }
          return error(Code::kUnavailable,
                       "the server broke MLLP framing: " + fed.error().message());
        }
      }
      if (code) {
        drop();
        if (std::optional<std::string> message = decoder_.next()) {
          return std::move(*message);
        }
        return std::unexpected(io_error(code, "waiting for the ACK"));
      }
    }
  }

  void close() {
    if (!stream_) {
      return;
    }
    if (options_.tls) {
      bool is_done = false;
      beast::get_lowest_layer(*stream_).expires_after(kCloseWait);
      stream_->async_shutdown([&](ErrorCode) { is_done = true; });
      run_to_completion(io_, is_done);
    }
    drop();
  }

 private:
  void drop() {
    if (!stream_) {
      return;
    }
    ErrorCode ignored;
    beast::get_lowest_layer(*stream_).socket().shutdown(asio::ip::tcp::socket::shutdown_both,
                                                        ignored);
    beast::get_lowest_layer(*stream_).socket().close(ignored);
    stream_.reset();
  }

  const MllpClientOptions options_;
  asio::io_context io_{1};
  ssl::context tls_{ssl::context::tls_client};
  std::optional<Stream> stream_;
  hl7::MllpDecoder decoder_;
  std::array<char, kReadChunk> buffer_{};
};

MllpClient::MllpClient() = default;

MllpClient::~MllpClient() {
  if (impl_) {
    impl_->close();
  }
}

Result<std::unique_ptr<MllpClient>> MllpClient::connect(const MllpClientOptions& options) {
  std::unique_ptr<MllpClient> client(new MllpClient());
  client->impl_ = std::make_unique<Impl>(options);
  WL_TRY(client->impl_->connect());
  return client;
}

Result<void> MllpClient::send(std::string_view message) { return impl_->send(message); }

Result<std::string> MllpClient::receive() { return impl_->receive(); }

Result<std::string> MllpClient::exchange(std::string_view message) {
  WL_TRY(send(message));
  return receive();
}

void MllpClient::close() { impl_->close(); }

}  // namespace wl::net
