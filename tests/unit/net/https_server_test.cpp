#include "net/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "net/client.hpp"
#include "unit/net/net_test_support.hpp"
#include "unit/net/raw_tls_client.hpp"
#include "unit/net/throwaway_ca.hpp"

namespace wl::net {
namespace {

using testing::RawTlsClient;
using testing::RawTlsOptions;
using testing::TestServer;
using testing::ThrowawayCa;

// The leaf of a PEM chain, re-encoded as the one certificate PEM a client sees.
std::string leaf_pem(std::string_view chain) {
  testing::TestX509Ptr leaf = testing::first_certificate(chain);
  std::string pem;
  if (leaf) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, leaf.get());
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    pem.assign(data, static_cast<std::size_t>(length));
    BIO_free(bio);
  }
  return pem;
}

// One request on an open raw connection; returns the response head and body.
std::string raw_get(RawTlsClient& client, std::string_view target) {
  if (!client.write("GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n\r\n")) {
    return {};
  }
  std::string head = client.read_until("\r\n\r\n");
  const std::size_t at = head.find("Content-Length: ");
  if (at == std::string::npos) {
    return head;
  }
  return head + client.read_exact(std::stoul(head.substr(at + 16)));
}

TEST(HttpsServerTest, GetAndPostRoundTripThroughHandlerOnAnotherThread) {
  TestServer server;
  HttpsClient client(server.client_options());

  auto get = client.request("GET", "/hello?x=1", {}, {{"X-Test", "seen"}});
  ASSERT_TRUE(get) << get.error().to_string();
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "GET /hello?x=1 ");
  EXPECT_EQ(get->content_type, "text/plain");
  EXPECT_EQ(get->header("X-Answered-Off-Io-Thread"), "yes");
  EXPECT_EQ(get->header("X-Echo-Header"), "seen");

  auto post = client.request("POST", "/messages", R"({"text":"hi"})");
  ASSERT_TRUE(post) << post.error().to_string();
  EXPECT_EQ(post->status, 200);
  EXPECT_EQ(post->body, R"(POST /messages {"text":"hi"})");
  // Keep-alive: both requests used one connection.
  EXPECT_EQ(get->header("X-Connection-Id"), post->header("X-Connection-Id"));
}

TEST(HttpsServerTest, ResponsiveOnlyWhileEveryIoThreadAnswers) {
  ServerOptions options;
  options.threads = 2;
  TestServer server(options);
  EXPECT_TRUE(server.server().responsive(std::chrono::seconds(1)));
  // A handler that blocks its io thread: the server is not responsive until it returns.
  std::thread stalled([&] {
    HttpsClient client(server.client_options());
    (void)client.request("GET", "/stall", {}, {{"X-Stall-Ms", "1500"}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(server.server().responsive(std::chrono::milliseconds(200)));
  stalled.join();
  EXPECT_TRUE(server.server().responsive(std::chrono::seconds(1)));
  server.server().stop();
  EXPECT_FALSE(server.server().responsive(std::chrono::seconds(1))) << "stopped";
}

TEST(HttpsServerTest, AddsSecurityHeadersToEveryResponse) {
  TestServer server;
  HttpsClient client(server.client_options());
  auto response = client.request("GET", "/");
  ASSERT_TRUE(response) << response.error().to_string();
  EXPECT_NE(response->header("Strict-Transport-Security").find("max-age="), std::string::npos);
  EXPECT_EQ(response->header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(response->header("Cache-Control"), "no-store");
  EXPECT_EQ(response->header("Content-Type"), "text/plain");
}

TEST(HttpsServerTest, KeepsCacheControlSetByTheHandler) {
  TestServer server;
  HttpsClient client(server.client_options());
  auto response = client.request("GET", "/cache");
  ASSERT_TRUE(response) << response.error().to_string();
  EXPECT_EQ(response->header("Cache-Control"), "max-age=60");
  EXPECT_EQ(response->header("X-Content-Type-Options"), "nosniff");
}

TEST(HttpsServerTest, RejectsOversizedBodyWith413AndKeepsServing) {
  ServerOptions options;
  options.http_body_limit = 1024;
  TestServer server(options);
  HttpsClient client(server.client_options());

  auto rejected = client.request("POST", "/upload", std::string(4096, 'a'));
  ASSERT_TRUE(rejected) << rejected.error().to_string();
  EXPECT_EQ(rejected->status, 413);
  EXPECT_EQ(rejected->header("Strict-Transport-Security").empty(), false);

  auto accepted = client.request("POST", "/upload", std::string(1000, 'a'));
  ASSERT_TRUE(accepted) << accepted.error().to_string();
  EXPECT_EQ(accepted->status, 200);
}

TEST(HttpsServerTest, RejectsOversizedHeadersWith431) {
  ServerOptions options;
  options.http_header_limit = 2048;
  TestServer server(options);
  HttpsClient client(server.client_options());
  auto rejected = client.request("GET", "/", {}, {{"X-Big", std::string(4096, 'b')}});
  ASSERT_TRUE(rejected) << rejected.error().to_string();
  EXPECT_EQ(rejected->status, 431);
}

TEST(HttpsServerTest, AnswersMalformedRequestWith400AndCloses) {
  TestServer server;
  auto raw = RawTlsClient::connect(server.port());
  ASSERT_TRUE(raw);
  ASSERT_TRUE(raw->write("THIS IS NOT HTTP\r\n\r\n"));
  const std::string answer = raw->read_all();
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
  EXPECT_NE(answer.find("Strict-Transport-Security"), std::string::npos);
}

TEST(HttpsServerTest, RefusesTls11) {
  TestServer server;
  RawTlsOptions options;
  options.max_version = TLS1_1_VERSION;
  EXPECT_FALSE(RawTlsClient::connect(server.port(), options));
}

TEST(HttpsServerTest, AcceptsTls12WithAnAeadSuite) {
  TestServer server;
  RawTlsOptions options;
  options.max_version = TLS1_2_VERSION;
  auto raw = RawTlsClient::connect(server.port(), options);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->version(), TLS1_2_VERSION);
  const std::string cipher = raw->cipher();
  EXPECT_TRUE(cipher.find("GCM") != std::string::npos ||
              cipher.find("CHACHA20") != std::string::npos)
      << cipher;
  ASSERT_TRUE(raw->write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
  EXPECT_TRUE(raw->read_all().starts_with("HTTP/1.1 200"));
}

TEST(HttpsServerTest, RefusesTls12CbcSuites) {
  TestServer server;
  RawTlsOptions options;
  options.max_version = TLS1_2_VERSION;
  options.tls12_ciphers = "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0";
  EXPECT_FALSE(RawTlsClient::connect(server.port(), options));
}

TEST(HttpsServerTest, ResumesTls13SessionsWithTickets) {
  TestServer server;
  auto first = RawTlsClient::connect(server.port());
  ASSERT_TRUE(first);
  EXPECT_EQ(first->version(), TLS1_3_VERSION);
  // TLS 1.3 tickets arrive after the handshake: read a response to receive them.
  ASSERT_TRUE(first->write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
  ASSERT_TRUE(first->read_all().starts_with("HTTP/1.1 200"));
  SSL_SESSION* session = first->session();
  ASSERT_NE(session, nullptr);

  RawTlsOptions options;
  options.resume = session;
  auto second = RawTlsClient::connect(server.port(), options);
  SSL_SESSION_free(session);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->is_session_reused());
}

TEST(HttpsServerTest, ClientWithoutTheCaFailsVerification) {
  TestServer server;
  ClientOptions options = server.client_options();
  options.ca_file.clear();  // System trust store: does not know the local CA.
  HttpsClient client(options);
  auto response = client.request("GET", "/");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), Code::kUnavailable);
}

TEST(HttpsServerTest, ClientWithAnotherCaFailsVerification) {
  TestServer server;
  testing::TempDirectory other;
  auto other_certificates = ensure_local_certificates(other.path());
  ASSERT_TRUE(other_certificates);
  ClientOptions options = server.client_options();
  options.ca_file = other_certificates->ca_certificate.string();
  HttpsClient client(options);
  auto response = client.request("GET", "/");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), Code::kUnavailable);
}

TEST(HttpsServerTest, InsecureDevClientSkipsVerification) {
  TestServer server;
  ClientOptions options = server.client_options();
  options.ca_file.clear();
  options.insecure_dev = true;
  HttpsClient client(options);
  auto response = client.request("GET", "/");
  ASSERT_TRUE(response) << response.error().to_string();
  EXPECT_EQ(response->status, 200);
}

TEST(HttpsServerTest, ClientRejectsCertificateForAnotherAddress) {
  // 127.0.0.2 is loopback on Linux but not in the certificate's SANs.
  ServerOptions server_options;
  server_options.address = "127.0.0.2";
  TestServer server(server_options);
  ClientOptions options = server.client_options();
  options.host = "127.0.0.2";
  HttpsClient client(options);
  auto response = client.request("GET", "/");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), Code::kUnavailable);
}

TEST(HttpsServerTest, ClientVerifiesTheLocalhostName) {
  TestServer server;
  ClientOptions options = server.client_options();
  options.host = "localhost";
  HttpsClient client(options);
  auto response = client.request("GET", "/");
  // localhost may resolve to ::1 first, where nothing listens; the client tries each.
  ASSERT_TRUE(response) << response.error().to_string();
  EXPECT_EQ(response->status, 200);
}

TEST(HttpsServerTest, ClosesConnectionThatNeverStartsTls) {
  ServerOptions options;
  options.tls_handshake_timeout = std::chrono::seconds(1);
  TestServer server(options);
  const int socket = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(socket, 0);
  timeval timeout{10, 0};
  ::setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server.port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(socket, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  char byte = 0;
  // 0 = closed by the server; -1 would be our 10 s receive timeout.
  EXPECT_EQ(::recv(socket, &byte, 1, 0), 0);
  ::close(socket);
}

TEST(HttpsServerTest, ClosesIdleKeepAliveConnection) {
  ServerOptions options;
  options.http_timeout = std::chrono::seconds(1);
  TestServer server(options);
  RawTlsOptions raw_options;
  raw_options.read_timeout = std::chrono::seconds(10);
  auto raw = RawTlsClient::connect(server.port(), raw_options);
  ASSERT_TRUE(raw);
  ASSERT_TRUE(raw->write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  const std::string head = raw->read_until("\r\n\r\n");
  ASSERT_TRUE(head.starts_with("HTTP/1.1 200")) << head;
  raw->read_exact(std::string_view("GET / ").size());  // The echoed body.
  EXPECT_TRUE(raw->is_closed_by_peer());
}

TEST(ServerTest, StartFailsOnBadCredentials) {
  testing::EchoHttpHandler http;
  ServerOptions options;
  options.port = 0;
  Server server(options, TlsCredentials{"not pem", "not pem"}, http, nullptr);
  auto started = server.start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code(), Code::kInvalidArgument);
}

TEST(ServerTest, StartFailsWhenThePortIsTaken) {
  TestServer first;
  testing::EchoHttpHandler http;
  ServerOptions options;
  options.port = first.port();
  options.threads = 1;
  Server second(options, testing::test_credentials(), http, nullptr);
  auto started = second.start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code(), Code::kUnavailable);
}

TEST(ServerTest, ReloadedCredentialsServeNewConnectionsWhileOpenOnesKeepTheirs) {
  TestServer server;
  const std::string old_leaf = leaf_pem(testing::test_credentials().certificate_chain_pem);
  auto before = RawTlsClient::connect(server.port());
  ASSERT_TRUE(before);
  EXPECT_EQ(before->peer_certificate_pem(), old_leaf);
  ASSERT_NE(raw_get(*before, "/first").find("GET /first"), std::string::npos);
  auto socket = WsClient::connect(server.client_options(), "/api/v1/ws");
  ASSERT_TRUE(socket) << socket.error().to_string();

  const ThrowawayCa hospital;
  const testing::PemPair issued = hospital.issue("DNS:localhost,IP:127.0.0.1");
  auto reloaded =
      server.server().reload_credentials(TlsCredentials{issued.certificate, issued.key});
  ASSERT_TRUE(reloaded) << reloaded.error().to_string();

  auto after = RawTlsClient::connect(server.port());
  ASSERT_TRUE(after);
  EXPECT_EQ(after->peer_certificate_pem(), leaf_pem(issued.certificate));
  EXPECT_NE(raw_get(*after, "/new").find("GET /new"), std::string::npos);
  // A client that trusts only the new CA verifies the new certificate.
  ClientOptions trusting_new = server.client_options();
  testing::TempDirectory directory;
  trusting_new.ca_file = (directory.path() / "hospital-ca.pem").string();
  std::ofstream(trusting_new.ca_file) << hospital.certificate_pem();
  HttpsClient verified(trusting_new);
  auto answer = verified.request("GET", "/verified");
  ASSERT_TRUE(answer) << answer.error().to_string();
  EXPECT_EQ(answer->status, 200);

  // The connections opened before the reload go on with the old certificate.
  EXPECT_NE(raw_get(*before, "/second").find("GET /second"), std::string::npos);
  EXPECT_EQ(before->peer_certificate_pem(), old_leaf);
  ASSERT_TRUE((*socket)->send("still here"));
  auto echoed = (*socket)->receive(std::chrono::seconds(5));
  ASSERT_TRUE(echoed) << echoed.error().to_string();
  EXPECT_EQ(*echoed, "still here");
}

TEST(ServerTest, ReloadRefusesBadCredentialsAndKeepsServingTheOldOnes) {
  TestServer server;
  const std::string old_leaf = leaf_pem(testing::test_credentials().certificate_chain_pem);
  const ThrowawayCa hospital;
  const testing::PemPair first = hospital.issue("DNS:localhost");
  const testing::PemPair second = hospital.issue("DNS:localhost");

  auto garbage = server.server().reload_credentials(TlsCredentials{"not pem", "not pem"});
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code(), Code::kInvalidArgument);
  auto mismatched =
      server.server().reload_credentials(TlsCredentials{first.certificate, second.key});
  ASSERT_FALSE(mismatched);
  EXPECT_EQ(mismatched.error().code(), Code::kInvalidArgument);

  auto client = RawTlsClient::connect(server.port());
  ASSERT_TRUE(client);
  EXPECT_EQ(client->peer_certificate_pem(), old_leaf);
  EXPECT_NE(raw_get(*client, "/still").find("GET /still"), std::string::npos);
}

TEST(ServerTest, StopIsIdempotentAndWaitReturnsAfterIt) {
  TestServer server;
  server.server().stop();
  server.server().stop();
  server.server().wait();
  HttpsClient client(server.client_options());
  EXPECT_FALSE(client.request("GET", "/"));
}

}  // namespace
}  // namespace wl::net
