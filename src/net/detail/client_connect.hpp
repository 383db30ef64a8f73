#pragma once

#include <openssl/ssl.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "core/status.hpp"
#include "net/client.hpp"

// The client side's connection set-up, shared by the HTTPS/WebSocket clients and the
// MLLP clients (net/client.cpp).
namespace wl::net::detail {

// The client TLS policy (TLS 1.2 or later) and trust from `options`: its CA file, else
// the system store; none with a pin or insecure_dev (a pin is checked after the
// handshake). Errors: InvalidArgument when the CA file cannot be loaded.
Result<void> configure_client_tls(boost::asio::ssl::context& tls, const ClientOptions& options);

// SNI and the name the server's certificate must hold (a DNS name or an IP address).
void set_client_peer_name(SSL* ssl_handle, const ClientOptions& options);

// Resolves options.host, connects the TCP stream under `stream` and, when `with_tls`,
// completes the TLS handshake (and the pin check), each within options.timeout. Blocks,
// running `io` only inside the call. Errors: Unavailable (resolve, connect or TLS
// failure: the message says which), DeadlineExceeded, InvalidArgument (source address).
Result<void> connect_client(boost::asio::io_context& io,
                            boost::beast::ssl_stream<boost::beast::tcp_stream>& stream,
                            const ClientOptions& options, bool with_tls);

}  // namespace wl::net::detail
