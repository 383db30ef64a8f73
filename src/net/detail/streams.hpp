#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "net/detail/tls_socket.hpp"

// The stream types of net/, named once (STYLE.md section 6).
namespace wl::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;

using Tcp = asio::ip::tcp;

// Server side: OpenSSL on the non-blocking socket with no buffers of its own while
// idle (docs/transport.md, "The server's TLS stream"). It gathers a WebSocket frame's header and
// payload into one TLS record.
using TlsStream = TlsSocket;
using WsStream = beast::websocket::stream<TlsStream, true>;

// Client side (chat, bench, tests): Asio's SSL stream with Beast's per-operation
// timeouts; memory per connection does not matter there. beast::ssl_stream (not a raw
// asio::ssl::stream) writes a WebSocket frame as one TLS record.
using ClientTlsStream = beast::ssl_stream<beast::tcp_stream>;
using ClientWsStream = beast::websocket::stream<ClientTlsStream, true>;

}  // namespace wl::net::detail

// Instantiated once each: the server's in server.cpp, the clients' in client.cpp.
extern template class boost::beast::websocket::stream<wl::net::detail::TlsStream, true>;
extern template class boost::beast::websocket::stream<wl::net::detail::ClientTlsStream, true>;
