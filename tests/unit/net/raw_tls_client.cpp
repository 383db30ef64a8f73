#include "unit/net/raw_tls_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

#include <openssl/pem.h>

namespace wl::net::testing {

RawTlsClient::~RawTlsClient() {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
  }
  if (context_ != nullptr) {
    SSL_CTX_free(context_);
  }
  if (socket_ >= 0) {
    ::close(socket_);
  }
}

std::unique_ptr<RawTlsClient> RawTlsClient::connect(std::uint16_t port,
                                                    const RawTlsOptions& options) {
  std::unique_ptr<RawTlsClient> client(new RawTlsClient());
  client->socket_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (client->socket_ < 0) {
    return nullptr;
  }
  timeval timeout{static_cast<time_t>(options.read_timeout.count()), 0};
  ::setsockopt(client->socket_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(client->socket_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(client->socket_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return nullptr;
  }
  client->context_ = SSL_CTX_new(TLS_client_method());
  // Security level 0 lets OpenSSL 3 offer TLS 1.0/1.1 at all, so a refusal below is
  // the server's doing.
  SSL_CTX_set_security_level(client->context_, 0);
  SSL_CTX_set_min_proto_version(client->context_, options.min_version);
  SSL_CTX_set_max_proto_version(client->context_, options.max_version);
  SSL_CTX_set_cipher_list(client->context_, options.tls12_ciphers.c_str());
  SSL_CTX_set_verify(client->context_, SSL_VERIFY_NONE, nullptr);
  client->ssl_ = SSL_new(client->context_);
  SSL_set_fd(client->ssl_, client->socket_);
  SSL_set_tlsext_host_name(client->ssl_, "localhost");
  if (options.resume != nullptr) {
    SSL_set_session(client->ssl_, options.resume);
  }
  if (SSL_connect(client->ssl_) != 1) {
    return nullptr;
  }
  return client;
}

bool RawTlsClient::write(std::string_view bytes) {
  std::size_t written = 0;
  return SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written) == 1 && written == bytes.size();
}

std::string RawTlsClient::read_exact(std::size_t count) {
  std::string result(count, '\0');
  std::size_t offset = 0;
  while (offset < count) {
    std::size_t read = 0;
    if (SSL_read_ex(ssl_, result.data() + offset, count - offset, &read) != 1) {
      break;
    }
    offset += read;
  }
  result.resize(offset);
  return result;
}

std::string RawTlsClient::read_until(std::string_view delimiter) {
  std::string result;
  char byte = 0;
  std::size_t read = 0;
  while (result.find(delimiter) == std::string::npos && SSL_read_ex(ssl_, &byte, 1, &read) == 1) {
    result.push_back(byte);
  }
  return result;
}

std::string RawTlsClient::read_all() {
  std::string result;
  char chunk[4096];
  std::size_t read = 0;
  while (SSL_read_ex(ssl_, chunk, sizeof chunk, &read) == 1) {
    result.append(chunk, read);
  }
  return result;
}

bool RawTlsClient::is_closed_by_peer() {
  char byte = 0;
  std::size_t read = 0;
  errno = 0;
  if (SSL_read_ex(ssl_, &byte, 1, &read) == 1) {
    return false;
  }
  const int reason = SSL_get_error(ssl_, 0);
  // A clean close_notify or a TCP close; EAGAIN (the read timeout) is not a close.
  return reason == SSL_ERROR_ZERO_RETURN ||
         (reason == SSL_ERROR_SYSCALL && errno != EAGAIN && errno != EWOULDBLOCK) ||
         reason == SSL_ERROR_SSL;
}

int RawTlsClient::version() const { return SSL_version(ssl_); }

std::string RawTlsClient::cipher() const { return SSL_get_cipher_name(ssl_); }

bool RawTlsClient::is_session_reused() const { return SSL_session_reused(ssl_) == 1; }

SSL_SESSION* RawTlsClient::session() const { return SSL_get1_session(ssl_); }

std::string RawTlsClient::peer_certificate_pem() const {
  X509* certificate = SSL_get0_peer_certificate(ssl_);
  BIO* bio = BIO_new(BIO_s_mem());
  std::string pem;
  if (certificate != nullptr && bio != nullptr && PEM_write_bio_X509(bio, certificate) == 1) {
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    pem.assign(data, static_cast<std::size_t>(length));
  }
  BIO_free(bio);
  return pem;
}

}  // namespace wl::net::testing
