#include "net/client.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse.hpp>

#include "net/detail/certificate_pin.hpp"
#include "net/detail/client_connect.hpp"
#include "net/detail/streams.hpp"

// The one explicit instantiation of the clients' WebSocket stream (declared extern in
// net/detail/streams.hpp).
template class boost::beast::websocket::stream<wl::net::detail::ClientTlsStream, true>;

// The blocking clients drive Beast's asynchronous operations on a private io_context,
// running it only inside their calls. Every step has a deadline: connect, handshake
// and HTTP I/O through beast::tcp_stream's expiry; WebSocket receive by running the
// context for at most the timeout while one read stays pending across calls.
namespace wl::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using detail::Tcp;
using TlsStream = detail::ClientTlsStream;
using WsStream = detail::ClientWsStream;
using ErrorCode = boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr auto kCloseWait = std::chrono::seconds(2);

bool is_ip_literal(const std::string& host) {
  ErrorCode code;
  asio::ip::make_address(host, code);
  return !code;
}

// "host:port" for the Host header, with brackets around IPv6 literals (RFC 7230 5.4).
std::string host_header(const ClientOptions& options) {
  const bool is_ipv6 = options.host.find(':') != std::string::npos;
  return (is_ipv6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(options.port);
}

Status io_error(const ErrorCode& code, std::string_view step) {
  if (code == beast::error::timeout) {
    return Status(Code::kDeadlineExceeded, std::string(step) + " timed out");
  }
  return Status(Code::kUnavailable, std::string(step) + " failed: " + code.message());
}

Result<void> configure_tls(ssl::context& tls, const ClientOptions& options) {
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  if (options.insecure_dev || !options.certificate_pin.empty()) {
    // A pinned key is checked after the handshake (check_pin), before any request.
    tls.set_verify_mode(ssl::verify_none);
    return ok();
  }
  ErrorCode code;
  tls.set_verify_mode(ssl::verify_peer, code);
  if (options.ca_file.empty()) {
    tls.set_default_verify_paths(code);
  } else {
    tls.load_verify_file(options.ca_file, code);
  }
  if (code) {
    return error(Code::kInvalidArgument, "cannot load the CA certificate");
  }
  return ok();
}

// Runs `io` until `is_done` or `deadline`. Returns false on the deadline.
bool run_until(asio::io_context& io, const bool& is_done, Clock::time_point deadline) {
  while (!is_done) {
    if (io.stopped()) {
      io.restart();
    }
    if (io.run_one_until(deadline) == 0 && !is_done && Clock::now() >= deadline) {
      return false;
    }
  }
  return true;
}

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

// Whether the peer's certificate has the pinned public key. Errors: Unavailable if not.
Result<void> check_pin(SSL* ssl_handle, const ClientOptions& options) {
  X509* peer = SSL_get1_peer_certificate(ssl_handle);
  const std::optional<std::string> pin =
      peer == nullptr ? std::nullopt : detail::spki_sha256_base64(peer);
  X509_free(peer);
  if (!pin || *pin != options.certificate_pin) {
    return error(Code::kUnavailable,
                 "the server's certificate does not have the pinned public key");
  }
  return ok();
}

// Resolves, connects and, unless `with_tls` is false, completes the TLS handshake (SNI,
// peer and host name verification) on `stream`, within options.timeout.
Result<void> connect_tls(asio::io_context& io, TlsStream& stream, const ClientOptions& options,
                         bool with_tls = true) {
  Tcp::resolver resolver(io);
  ErrorCode code;
  const auto endpoints = resolver.resolve(options.host, std::to_string(options.port), code);
  if (code) {
    return error(Code::kUnavailable, "cannot resolve the server name");
  }
  auto& tcp = beast::get_lowest_layer(stream);
  tcp.expires_after(options.timeout);
  bool is_done = false;
  if (options.source_address.empty()) {
    tcp.async_connect(endpoints, [&](ErrorCode result, const Tcp::endpoint&) {
      code = result;
      is_done = true;
    });
  } else {
    // Bound to the given local address first, so a test can speak from 127.0.0.2.
    const Tcp::endpoint target = *endpoints.begin();
    const auto source = asio::ip::make_address(options.source_address, code);
    if (code) {
      return error(Code::kInvalidArgument, "invalid source address");
    }
    tcp.socket().open(target.protocol(), code);
    if (!code) {
      tcp.socket().bind(Tcp::endpoint(source, 0), code);
    }
    if (code) {
      return std::unexpected(io_error(code, "bind"));
    }
    tcp.async_connect(target, [&](ErrorCode result) {
      code = result;
      is_done = true;
    });
  }
  run_to_completion(io, is_done);
  if (code) {
    return std::unexpected(io_error(code, "connect"));
  }
  ErrorCode ignored;
  tcp.socket().set_option(Tcp::no_delay(true), ignored);
  if (!with_tls) {
    return ok();
  }

  SSL* ssl_handle = stream.native_handle();
  detail::set_client_peer_name(ssl_handle, options);
  tcp.expires_after(options.timeout);
  is_done = false;
  stream.async_handshake(ssl::stream_base::client, [&](ErrorCode result) {
    code = result;
    is_done = true;
  });
  run_to_completion(io, is_done);
  if (code) {
    if (code.category() == asio::error::get_ssl_category()) {
      return error(Code::kUnavailable, "TLS handshake failed (certificate not trusted?)");
    }
    return std::unexpected(io_error(code, "TLS handshake"));
  }
  if (!options.certificate_pin.empty()) {
    return check_pin(ssl_handle, options);
  }
  return ok();
}

}  // namespace

namespace detail {

Result<void> configure_client_tls(asio::ssl::context& tls, const ClientOptions& options) {
  return configure_tls(tls, options);
}

void set_client_peer_name(SSL* ssl_handle, const ClientOptions& options) {
  if (is_ip_literal(options.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), options.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl_handle, options.host.c_str());
    SSL_set1_host(ssl_handle, options.host.c_str());
  }
}

Result<void> connect_client(asio::io_context& io, ClientTlsStream& stream,
                            const ClientOptions& options, bool with_tls) {
  return connect_tls(io, stream, options, with_tls);
}

}  // namespace detail

Result<ClientOptions> parse_server_url(std::string_view url, ClientOptions base) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    return error(Code::kInvalidArgument, "server URL is not a URL");
  }
  if (parsed->scheme() != "https") {
    return error(Code::kInvalidArgument, "server URL must start with https://");
  }
  if (parsed->has_userinfo() || parsed->has_query() || parsed->has_fragment() ||
      (!parsed->path().empty() && parsed->path() != "/")) {
    return error(Code::kInvalidArgument, "server URL must be https://host[:port]");
  }
  std::string host;
  if (parsed->host_type() == boost::urls::host_type::ipv6) {
    host = parsed->host_ipv6_address().to_string();
  } else {
    host = parsed->host();
  }
  if (host.empty()) {
    return error(Code::kInvalidArgument, "server URL has no host");
  }
  std::uint16_t port = 443;
  if (parsed->has_port()) {
    // Parsed here: port_number() wraps values above 65535.
    const std::string_view digits = parsed->port();
    unsigned long value = 0;
    const auto [end, parse_error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || parse_error != std::errc() || end != digits.data() + digits.size() ||
        value == 0 || value > 65535) {
      return error(Code::kInvalidArgument, "server URL has an invalid port");
    }
    port = static_cast<std::uint16_t>(value);
  }
  base.host = std::move(host);
  base.port = port;
  return base;
}

// --- HttpsClient ------------------------------------------------------------------

class HttpsClient::Impl {
 public:
  explicit Impl(ClientOptions options) : options_(std::move(options)) {}

  Result<Response> request(std::string_view method, std::string_view target, std::string_view body,
                           const std::vector<Header>& headers) {
    // A kept-alive connection may have been closed by the server while idle; one
    // retry on a fresh connection covers that (and only that) case.
    const bool is_reused = stream_.has_value();
    Result<Response> result = exchange(method, target, body, headers);
    if (!result && is_reused && result.error().code() == Code::kUnavailable) {
      result = exchange(method, target, body, headers);
    }
    return result;
  }

 private:
  Result<Response> exchange(std::string_view method, std::string_view target, std::string_view body,
                            const std::vector<Header>& headers) {
    if (!stream_) {
      WL_TRY(connect());
    }
    http::request<http::string_body> message;
    message.method_string(method);
    message.target(target);
    message.version(11);
    message.set(http::field::host, host_header(options_));
    message.set(http::field::user_agent, "wardline");
    for (const Header& header : headers) {
      message.set(header.name, header.value);
    }
    message.body() = std::string(body);
    message.keep_alive(true);
    message.prepare_payload();

    auto& tcp = beast::get_lowest_layer(*stream_);
    ErrorCode code;
    bool is_done = false;
    tcp.expires_after(options_.timeout);
    http::async_write(*stream_, message, [&](ErrorCode result, std::size_t) {
      code = result;
      is_done = true;
    });
    run_to_completion(io_, is_done);
    if (code) {
      disconnect();
      return std::unexpected(io_error(code, "HTTPS write"));
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.max_message_size);
    // A response to HEAD has a Content-Length but no body (RFC 9110 section 9.3.2).
    parser.skip(method == "HEAD");
    is_done = false;
    tcp.expires_after(options_.timeout);
    http::async_read(*stream_, buffer_, parser, [&](ErrorCode result, std::size_t) {
      code = result;
      is_done = true;
    });
    run_to_completion(io_, is_done);
    if (code) {
      disconnect();
      return std::unexpected(io_error(code, "HTTPS read"));
    }
    http::response<http::string_body> answer = parser.release();
    Response response;
    response.status = static_cast<int>(answer.result_int());
    response.content_type = std::string(answer[http::field::content_type]);
    for (const auto& field : answer) {
      response.headers.push_back(
          Header{std::string(field.name_string()), std::string(field.value())});
    }
    response.body = std::move(answer.body());
    if (!answer.keep_alive()) {
      disconnect();
    }
    return response;
  }

  Result<void> connect() {
    tls_.emplace(ssl::context::tls_client);
    WL_TRY(configure_tls(*tls_, options_));
    stream_.emplace(io_, *tls_);
    buffer_.clear();
    Result<void> connected = connect_tls(io_, *stream_, options_);
    if (!connected) {
      disconnect();
    }
    return connected;
  }

  void disconnect() {
    stream_.reset();
    // Handlers of the dropped stream (timer cancellations) are discarded with it.
    io_.restart();
    io_.poll();
  }

  ClientOptions options_;
  asio::io_context io_{1};
  std::optional<ssl::context> tls_;
  std::optional<TlsStream> stream_;
  beast::flat_buffer buffer_;
};

HttpsClient::HttpsClient(ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpsClient::~HttpsClient() = default;

Result<Response> HttpsClient::request(std::string_view method, std::string_view target,
                                      std::string_view body, const std::vector<Header>& headers) {
  return impl_->request(method, target, body, headers);
}

// --- WsClient ---------------------------------------------------------------------

class WsClient::Impl {
 public:
  explicit Impl(const ClientOptions& options) : options_(options), tls_(ssl::context::tls_client) {}

  Result<void> connect(std::string_view target, const std::vector<Header>& headers) {
    WL_TRY(configure_tls(tls_, options_));
    ws_.emplace(io_, tls_);
    WL_TRY(connect_tls(io_, ws_->next_layer(), options_));

    ws_->set_option(websocket::stream_base::decorator([headers](websocket::request_type& request) {
      request.set(http::field::user_agent, "wardline");
      for (const Header& header : headers) {
        request.set(header.name, header.value);
      }
    }));
    ws_->read_message_max(options_.max_message_size);
    ws_->auto_fragment(false);
    ws_->text(true);
    beast::get_lowest_layer(*ws_).expires_after(options_.timeout);
    websocket::response_type response;
    ErrorCode code;
    bool is_done = false;
    ws_->async_handshake(response, host_header(options_), target, [&](ErrorCode result) {
      code = result;
      is_done = true;
    });
    run_to_completion(io_, is_done);
    if (code == websocket::error::upgrade_declined) {
      return error(Code::kPermissionDenied,
                   "server refused the upgrade with HTTP " + std::to_string(response.result_int()));
    }
    if (code) {
      return std::unexpected(io_error(code, "WebSocket handshake"));
    }
    // From here on, receive() and send() bound their own waits.
    beast::get_lowest_layer(*ws_).expires_never();
    is_open_ = true;
    return ok();
  }

  Result<void> send(std::string_view text) {
    if (is_closed_) {
      return error(Code::kUnavailable, closed_message());
    }
    ErrorCode code;
    bool is_done = false;
    ws_->async_write(asio::buffer(text.data(), text.size()), [&](ErrorCode result, std::size_t) {
      code = result;
      is_done = true;
    });
    if (!run_until(io_, is_done, Clock::now() + options_.timeout)) {
      // A write cannot be abandoned half-way: the connection is unusable now.
      drop();
      run_to_completion(io_, is_done);
      is_closed_ = true;
      closed_reason_ = "connection dropped after a send timeout";
      return error(Code::kDeadlineExceeded, "WebSocket send timed out");
    }
    if (code) {
      mark_closed(code);
      return std::unexpected(io_error(code, "WebSocket send"));
    }
    return ok();
  }

  Result<std::string> receive(std::chrono::milliseconds timeout) {
    if (!is_read_pending_ && !is_read_done_) {
      if (is_closed_) {
        return error(Code::kUnavailable, closed_message());
      }
      start_read();
    }
    if (!run_until(io_, is_read_done_, Clock::now() + timeout)) {
      return error(Code::kDeadlineExceeded, "no message within the timeout");
    }
    is_read_done_ = false;
    if (read_error_) {
      mark_closed(read_error_);
      return error(Code::kUnavailable, closed_message());
    }
    std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    return text;
  }

  std::uint16_t close_code() const { return close_code_; }

  void close() {
    if (is_closed_ || !is_open_) {
      return;
    }
    bool is_done = false;
    ws_->async_close(websocket::close_code::normal, [&](ErrorCode) { is_done = true; });
    const auto deadline = Clock::now() + std::min<Clock::duration>(options_.timeout, kCloseWait);
    const bool is_clean = run_until(io_, is_done, deadline) &&
                          (!is_read_pending_ || run_until(io_, is_read_done_, deadline));
    if (!is_clean) {
      drop();
      run_to_completion(io_, is_done);
    }
    is_closed_ = true;
  }

  void abort() {
    if (!is_open_ || is_closed_) {
      return;
    }
    drop();
    is_closed_ = true;
    closed_reason_ = "connection aborted";
  }

 private:
  void start_read() {
    is_read_pending_ = true;
    ws_->async_read(buffer_, [this](ErrorCode result, std::size_t) {
      read_error_ = result;
      is_read_pending_ = false;
      is_read_done_ = true;
    });
  }

  // Closes the TCP socket at once (RST), without TLS or WebSocket close handshakes.
  void drop() {
    auto& socket = beast::get_lowest_layer(*ws_).socket();
    ErrorCode ignored;
    socket.set_option(asio::socket_base::linger(true, 0), ignored);
    socket.close(ignored);
  }

  void mark_closed(const ErrorCode& code) {
    if (is_closed_) {
      return;
    }
    is_closed_ = true;
    // The close frame's code counts even when the TLS teardown after it failed.
    if (code == websocket::error::closed || ws_->reason().code != 0) {
      close_code_ = ws_->reason().code;
      closed_reason_ = "connection closed by the server with code " + std::to_string(close_code_);
    } else {
      closed_reason_ = "connection lost: " + code.message();
    }
  }

  std::string closed_message() const {
    return closed_reason_.empty() ? std::string("connection closed") : closed_reason_;
  }

  ClientOptions options_;
  asio::io_context io_{1};
  ssl::context tls_;
  std::optional<WsStream> ws_;
  beast::flat_buffer buffer_;
  ErrorCode read_error_;
  bool is_open_ = false;  // The upgrade completed.
  bool is_read_pending_ = false;
  bool is_read_done_ = false;
  bool is_closed_ = false;
  std::uint16_t close_code_ = 0;
  std::string closed_reason_;
};

WsClient::WsClient() = default;

WsClient::~WsClient() {
  if (impl_) {
    impl_->close();
  }
}

Result<std::unique_ptr<WsClient>> WsClient::connect(const ClientOptions& options,
                                                    std::string_view target,
                                                    const std::vector<Header>& headers) {
  std::unique_ptr<WsClient> client(new WsClient());
  client->impl_ = std::make_unique<Impl>(options);
  WL_TRY(client->impl_->connect(target, headers));
  return client;
}

Result<void> WsClient::send(std::string_view text) { return impl_->send(text); }

Result<std::string> WsClient::receive(std::chrono::milliseconds timeout) {
  return impl_->receive(timeout);
}

std::uint16_t WsClient::close_code() const { return impl_->close_code(); }

void WsClient::close() { impl_->close(); }

void WsClient::abort_for_test() { impl_->abort(); }

}  // namespace wl::net
