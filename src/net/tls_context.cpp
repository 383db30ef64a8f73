#include "net/detail/tls_context.hpp"

#include <openssl/ssl.h>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

namespace wl::net::detail {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using ErrorCode = boost::system::error_code;

// TLS 1.2 suites: forward secret and AEAD only (Mozilla "intermediate" without CBC).
// TLS 1.3 keeps OpenSSL's default suites, which are all AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace

Result<std::shared_ptr<ssl::context>> make_server_tls_context(const TlsCredentials& credentials) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  ssl::context& tls = *context;
  tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::single_dh_use);
  SSL_CTX* native = tls.native_handle();
  SSL_CTX_set_options(
      native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // Stateless session tickets (on by default in OpenSSL 3; SSL_OP_NO_TICKET stays
  // clear) and a server-side cache, so a reconnect storm resumes instead of paying
  // full handshakes (DESIGN.md, Measured).
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
  static constexpr unsigned char kSessionContext[] = "wardline";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return error(Code::kInternal, "TLS policy rejected by OpenSSL");
  }
  ErrorCode code;
  tls.use_certificate_chain(asio::buffer(credentials.certificate_chain_pem), code);
  if (code) {
    return error(Code::kInvalidArgument, "invalid server certificate chain");
  }
  tls.use_private_key(asio::buffer(credentials.private_key_pem), ssl::context::pem, code);
  if (code || SSL_CTX_check_private_key(native) != 1) {
    return error(Code::kInvalidArgument, "invalid server private key");
  }
  return context;
}

}  // namespace wl::net::detail
