#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

// The stream types of net/, named once so that the TLS layer can be swapped for a
// leaner stream of our own (docs/transport.md, "Idle memory") without touching the
// sessions.
namespace wl::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;

using Tcp = asio::ip::tcp;
// TLS over a TCP stream with Beast's per-operation timeouts. beast::ssl_stream (not a
// raw asio::ssl::stream) writes a WebSocket frame as one TLS record.
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using WsStream = beast::websocket::stream<TlsStream, true>;

}  // namespace wl::net::detail

// Instantiated once, in server.cpp.
extern template class boost::beast::websocket::stream<wl::net::detail::TlsStream, true>;
