// What one idle server-side TLS connection costs in OpenSSL itself, apart from
// everything Wardline adds: the floor under the idle-memory figure of
// docs/benchmarks.md.
//
//   wl_tls_idle_memory [connections]        (default 300)
//
// Makes a server SSL_CTX with the settings of net/server.cpp (TLS 1.2+, AEAD suites,
// SSL_MODE_RELEASE_BUFFERS, read-ahead) and an ECDSA P-256 certificate, then for each
// connection: a socket pair, a full handshake, one record each way. It reports the
// heap bytes (glibc mallinfo2) that the server-side SSL objects hold afterwards,
// split into SSL_new and what the handshake leaves.
#include <fcntl.h>
#include <malloc.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

std::size_t heap_in_use() { return mallinfo2().uordblks; }

SSL_CTX* make_server_context() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* certificate = X509_new();
  X509_set_version(certificate, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate), 0);
  X509_gmtime_adj(X509_getm_notAfter(certificate), 86400);
  X509_set_pubkey(certificate, key);
  X509_NAME* name = X509_get_subject_name(certificate);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(certificate, name);
  X509_sign(certificate, key, EVP_sha256());

  SSL_CTX* context = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(context,
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305");
  SSL_CTX_set_options(context, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION |
                                   SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_use_certificate(context, certificate);
  SSL_CTX_use_PrivateKey(context, key);
  X509_free(certificate);
  EVP_PKEY_free(key);
  return context;
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 300;
  if (count < 1 || count > 5000) {
    std::fprintf(stderr, "connections must be 1..5000\n");
    return 2;
  }
  SSL_CTX* server_context = make_server_context();
  SSL_CTX* client_context = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_mode(client_context, SSL_MODE_RELEASE_BUFFERS);

  std::vector<SSL*> servers;
  std::vector<SSL*> clients;
  std::size_t new_bytes = 0;
  for (int i = 0; i < count; ++i) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) {
      std::perror("socketpair");
      return 1;
    }
    fcntl(pair[0], F_SETFL, O_NONBLOCK);
    fcntl(pair[1], F_SETFL, O_NONBLOCK);
    SSL* client = SSL_new(client_context);
    SSL_set_fd(client, pair[1]);
    SSL_set_connect_state(client);
    const std::size_t before_new = heap_in_use();
    SSL* server = SSL_new(server_context);
    new_bytes += heap_in_use() - before_new;
    SSL_set_fd(server, pair[0]);
    SSL_set_accept_state(server);
    SSL_set_read_ahead(server, 1);
    bool client_done = false;
    bool server_done = false;
    for (int step = 0; step < 100 && !(client_done && server_done); ++step) {
      client_done = client_done || SSL_do_handshake(client) == 1;
      server_done = server_done || SSL_do_handshake(server) == 1;
    }
    if (!client_done || !server_done) {
      std::fprintf(stderr, "handshake %d did not finish\n", i);
      return 1;
    }
    char buffer[256];
    SSL_write(client, "hello", 5);
    SSL_read(server, buffer, sizeof buffer);
    SSL_write(server, "ok", 2);
    SSL_read(client, buffer, sizeof buffer);  // Session tickets.
    SSL_read(client, buffer, sizeof buffer);  // The reply.
    servers.push_back(server);
    clients.push_back(client);
  }
  for (SSL* client : clients) {
    close(SSL_get_fd(client));
    SSL_free(client);
  }
  const std::size_t with_servers = heap_in_use();
  for (SSL* server : servers) {
    close(SSL_get_fd(server));
    SSL_free(server);
  }
  const std::size_t without_servers = heap_in_use();
  const double per_connection =
      static_cast<double>(with_servers - without_servers) / static_cast<double>(count);
  const double per_new = static_cast<double>(new_bytes) / static_cast<double>(count);
  std::printf("%s, %d idle server connections after a handshake and one record each way:\n",
              OpenSSL_version(OPENSSL_VERSION), count);
  std::printf("  %.0f bytes per server SSL object (%.0f from SSL_new, %.0f left by the "
              "handshake)\n",
              per_connection, per_new, per_connection - per_new);
  SSL_CTX_free(client_context);
  SSL_CTX_free(server_context);
  return 0;
}
