#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "core/status.hpp"
#include "net/server.hpp"

namespace wl::net::detail {

// A server-side TLS context for `credentials`: the one place the servers' TLS policy is
// set (docs/transport.md, "TLS policy"): TLS 1.2 and 1.3 only, forward-secret AEAD suites
// only, no renegotiation or compression, session tickets and a server cache. The HTTPS
// server and the MLLP listener both use it, at start and at every reload. Errors:
// InvalidArgument for a chain or key OpenSSL refuses (or a key that does not match);
// Internal if OpenSSL refuses the policy itself.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(
    const TlsCredentials& credentials);

}  // namespace wl::net::detail
