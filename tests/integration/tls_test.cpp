// The server's certificate as an operator sees it (docs/operations.md, "TLS
// certificates"): the hospital's own, reloaded on SIGHUP, or the generated one, whose
// CA is name-constrained and leaves no private key behind.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <boost/json/value.hpp>

#include "cli/run_file.hpp"
#include "net/certificates.hpp"
#include "support/server_process.hpp"
#include "support/test_client.hpp"
#include "unit/net/raw_tls_client.hpp"
#include "unit/net/throwaway_ca.hpp"

namespace wl::testing {
namespace {

namespace fs = std::filesystem;
using net::testing::files_in;
using net::testing::PemPair;
using net::testing::RawTlsClient;
using net::testing::read_text;
using net::testing::TestX509Ptr;
using net::testing::ThrowawayCa;
using net::testing::write_text;

// The first certificate of a PEM text, re-encoded as a client sees it.
std::string leaf_pem(const std::string& chain) {
  TestX509Ptr leaf = net::testing::first_certificate(chain);
  std::string pem;
  BIO* bio = BIO_new(BIO_s_mem());
  if (leaf && PEM_write_bio_X509(bio, leaf.get()) == 1) {
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    pem.assign(data, static_cast<std::size_t>(length));
  }
  BIO_free(bio);
  return pem;
}

// The certificate a new connection to the server is given.
std::string served_certificate(std::uint16_t port) {
  auto client = RawTlsClient::connect(port);
  return client ? client->peer_certificate_pem() : std::string();
}

// Waits (at most 10 s) until new connections are given `pem`; a reload runs on the
// server's main thread after the signal, so the first connection may precede it.
bool is_served_soon(std::uint16_t port, const std::string& pem) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (served_certificate(port) == pem) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Waits (at most 10 s) until the server's output contains `text`.
bool has_output_soon(const ServerProcess& server, std::string_view text) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (server.output().find(text) != std::string::npos) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// An HTTP exchange on an open raw connection: the status line of the answer.
std::string status_line_of_get(RawTlsClient& client) {
  if (!client.write("GET /api/v1/me HTTP/1.1\r\nHost: localhost\r\n\r\n")) {
    return {};
  }
  const std::string head = client.read_until("\r\n\r\n");
  const std::size_t at = head.find("Content-Length: ");
  if (at != std::string::npos) {
    client.read_exact(std::stoul(head.substr(at + 16)));
  }
  return head.substr(0, head.find("\r\n"));
}

bool has_critical_name_constraints(const fs::path& ca_pem) {
  TestX509Ptr ca = net::testing::first_certificate(read_text(ca_pem));
  int critical = -1;
  void* constraints =
      ca ? X509_get_ext_d2i(ca.get(), NID_name_constraints, &critical, nullptr) : nullptr;
  NAME_CONSTRAINTS_free(static_cast<NAME_CONSTRAINTS*>(constraints));
  return constraints != nullptr && critical == 1;
}

class TlsTest : public ::testing::Test {
 protected:
  // Writes the hospital's certificate and key where --tls-cert and --tls-key point.
  void install(const PemPair& pair) {
    write_text(certificate_path(), pair.certificate);
    write_text(key_path(), pair.key);
  }
  fs::path certificate_path() const { return temp_.path() / "hospital.pem"; }
  fs::path key_path() const { return temp_.path() / "hospital.key"; }
  fs::path data_dir() const { return temp_.path() / "data"; }

  std::unique_ptr<ServerProcess> start_with_own_certificate() {
    auto server = std::make_unique<ServerProcess>(
        data_dir(), std::vector<std::string>{"--tls-cert", certificate_path().string(), "--tls-key",
                                             key_path().string()});
    server->start();
    return server;
  }

  // Client options that trust only the hospital's CA.
  net::ClientOptions trusting_hospital(const ServerProcess& server) const {
    net::ClientOptions options = server.client_options();
    options.ca_file = (temp_.path() / "hospital-ca.pem").string();
    write_text(options.ca_file, hospital_.certificate_pem());
    return options;
  }

  // `wardline serve` with this certificate and key; its exit code and output.
  int serve_with(const fs::path& certificate, const fs::path& key, std::string* output) {
    return run_wardline({"serve", "--port", "0", "--data-dir", data_dir().string(), "--tls-cert",
                         certificate.string(), "--tls-key", key.string()},
                        output);
  }

  TempDir temp_;
  ThrowawayCa hospital_;
};

TEST_F(TlsTest, GeneratedCaIsNameConstrainedAndLeavesNoPrivateKey) {
  ServerProcess server(data_dir());
  server.start();
  ASSERT_NE(server.port(), 0);
  const fs::path tls = data_dir() / "tls";
  EXPECT_EQ(files_in(tls), (std::set<std::string>{"ca.pem", "server.pem", "server.key"}));
  EXPECT_TRUE(has_critical_name_constraints(tls / "ca.pem"));
  // Clients that trust ca.pem accept the certificate it constrains.
  TestClient client(server.client_options(), "rn.harper");
  EXPECT_FALSE(client.token().empty());
  EXPECT_NE(server.output().find("wardline: certificate authority "), std::string::npos);
}

TEST_F(TlsTest, ReplacesTheCaOfAnOlderDataDirectoryAndDestroysItsKey) {
  // What an older version left: an unconstrained CA with its key beside the server's.
  const fs::path tls = data_dir() / "tls";
  fs::create_directories(tls);
  const ThrowawayCa old_ca("Wardline Local CA");
  const PemPair old_server = old_ca.issue("DNS:localhost,IP:127.0.0.1,IP:::1");
  write_text(tls / "ca.pem", old_ca.certificate_pem());
  write_text(tls / "ca.key", "-----BEGIN PRIVATE KEY-----\nold\n-----END PRIVATE KEY-----\n");
  write_text(tls / "server.pem", old_server.certificate);
  write_text(tls / "server.key", old_server.key);

  ServerProcess server(data_dir());
  server.start();
  ASSERT_NE(server.port(), 0);
  EXPECT_EQ(files_in(tls), (std::set<std::string>{"ca.pem", "server.pem", "server.key"}));
  EXPECT_NE(read_text(tls / "ca.pem"), old_ca.certificate_pem());
  EXPECT_TRUE(has_critical_name_constraints(tls / "ca.pem"));
  EXPECT_TRUE(has_output_soon(server, "wardline: NEW certificate authority"));
  TestClient client(server.client_options(), "rn.harper");
  EXPECT_FALSE(client.token().empty());
}

TEST_F(TlsTest, HostnameFlagsNameTheGeneratedCertificate) {
  ServerProcess server(data_dir(), {"--hostname", "wardline.test", "--hostname", "127.0.0.1"});
  server.start();
  ASSERT_NE(server.port(), 0);
  TestX509Ptr leaf = net::testing::first_certificate(read_text(data_dir() / "tls" / "server.pem"));
  ASSERT_TRUE(leaf);
  EXPECT_EQ(X509_check_host(leaf.get(), "wardline.test", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "127.0.0.1", 0), 1);
  EXPECT_NE(X509_check_host(leaf.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_ip_asc(leaf.get(), "::1", 0), 1);
  // The client checks 127.0.0.1 against the certificate.
  TestClient client(server.client_options(), "rn.harper");
  EXPECT_FALSE(client.token().empty());
}

TEST_F(TlsTest, ServesTheHospitalsOwnCertificate) {
  const PemPair issued = hospital_.issue("DNS:localhost,IP:127.0.0.1");
  install(issued);
  // An older version's CA key, left over: it goes even though the local CA is unused.
  fs::create_directories(data_dir() / "tls");
  write_text(data_dir() / "tls" / "ca.key", "-----BEGIN PRIVATE KEY-----\nold\n");
  auto server = start_with_own_certificate();
  ASSERT_NE(server->port(), 0);
  EXPECT_FALSE(fs::exists(data_dir() / "tls" / "ca.key"));

  EXPECT_EQ(served_certificate(server->port()), leaf_pem(issued.certificate));
  TestClient client(trusting_hospital(*server), "rn.harper");
  EXPECT_FALSE(client.token().empty());
  // No local CA is made beside it.
  EXPECT_FALSE(fs::exists(data_dir() / "tls" / "ca.pem"));
}

TEST_F(TlsTest, RefusesToStartWithAMissingMismatchedOrExpiredCertificate) {
  const PemPair issued = hospital_.issue("DNS:localhost");
  const PemPair other = hospital_.issue("DNS:localhost");
  const PemPair expired =
      hospital_.issue("DNS:localhost", -std::chrono::hours(48), -std::chrono::hours(24));
  write_text(temp_.path() / "issued.pem", issued.certificate);
  write_text(temp_.path() / "other.key", other.key);
  write_text(temp_.path() / "expired.pem", expired.certificate);
  write_text(temp_.path() / "expired.key", expired.key);

  std::string output;
  EXPECT_NE(serve_with(temp_.path() / "absent.pem", temp_.path() / "other.key", &output), 0);
  EXPECT_NE(output.find("certificate file not found"), std::string::npos) << output;
  EXPECT_NE(serve_with(temp_.path() / "issued.pem", temp_.path() / "absent.key", &output), 0);
  EXPECT_NE(output.find("key file not found"), std::string::npos) << output;
  EXPECT_NE(serve_with(temp_.path() / "issued.pem", temp_.path() / "other.key", &output), 0);
  EXPECT_NE(output.find("private key does not match certificate"), std::string::npos) << output;
  EXPECT_NE(serve_with(temp_.path() / "expired.pem", temp_.path() / "expired.key", &output), 0);
  EXPECT_NE(output.find("certificate has expired"), std::string::npos) << output;
}

TEST_F(TlsTest, SighupServesTheNewCertificateToNewConnectionsWhileOpenOnesGoOn) {
  const PemPair first = hospital_.issue("DNS:localhost,IP:127.0.0.1");
  install(first);
  auto server = start_with_own_certificate();
  ASSERT_NE(server->port(), 0);

  // Open before the reload: a signed-in WebSocket and a keep-alive HTTP connection.
  TestClient client(trusting_hospital(*server), "rn.harper");
  ASSERT_EQ(client.connect().at("type").as_string(), "welcome");
  auto keep_alive = RawTlsClient::connect(server->port());
  ASSERT_TRUE(keep_alive);
  EXPECT_EQ(status_line_of_get(*keep_alive), "HTTP/1.1 401 Unauthorized");

  const PemPair second = hospital_.issue("DNS:localhost,IP:127.0.0.1");
  install(second);
  server->send_signal(SIGHUP);
  EXPECT_TRUE(is_served_soon(server->port(), leaf_pem(second.certificate)));

  // The connections from before the reload still work, on the certificate they had.
  client.send_frame(boost::json::object{{"type", "ping"}, {"ref", "after-reload"}});
  const boost::json::value pong = client.next_matching(
      [](const boost::json::value& frame) { return frame.at("type").as_string() == "pong"; });
  ASSERT_TRUE(pong.is_object());
  EXPECT_EQ(pong.at("ref").as_string(), "after-reload");
  EXPECT_EQ(status_line_of_get(*keep_alive), "HTTP/1.1 401 Unauthorized");
  EXPECT_EQ(keep_alive->peer_certificate_pem(), leaf_pem(first.certificate));
  // The server did not stop: SIGHUP is not a stop signal.
  TestClient later(trusting_hospital(*server), "dr.patel");
  EXPECT_FALSE(later.token().empty());

  // The run file follows the new key, and `wardline admin` trusts the hospital's
  // certificate by it (no CA, whatever names it holds).
  const auto pin = net::certificate_pin(second.certificate);
  ASSERT_TRUE(pin);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto run = cli::read_run_file(server->data_dir() / cli::kRunFileName);
  while ((!run || run->certificate_pin != *pin) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    run = cli::read_run_file(server->data_dir() / cli::kRunFileName);
  }
  ASSERT_TRUE(run);
  EXPECT_EQ(run->certificate_pin, *pin);
  std::string output;
  EXPECT_EQ(
      run_wardline({"admin", "--data-dir", server->data_dir().string(), "org", "list"}, &output), 0)
      << output;
  EXPECT_NE(output.find("Mercy General (demo)"), std::string::npos) << output;
}

TEST_F(TlsTest, SighupWithABadReplacementKeepsServingTheOldCertificate) {
  const PemPair first = hospital_.issue("DNS:localhost,IP:127.0.0.1");
  install(first);
  auto server = start_with_own_certificate();
  ASSERT_NE(server->port(), 0);

  // A new certificate with somebody else's key, as after a half-finished copy.
  const PemPair second = hospital_.issue("DNS:localhost,IP:127.0.0.1");
  const PemPair unrelated = hospital_.issue("DNS:localhost");
  install(PemPair{second.certificate, unrelated.key});
  server->send_signal(SIGHUP);
  EXPECT_TRUE(has_output_soon(*server, "cannot reload"));
  EXPECT_EQ(served_certificate(server->port()), leaf_pem(first.certificate));
  TestClient client(trusting_hospital(*server), "rn.harper");
  EXPECT_FALSE(client.token().empty());

  // Once the files are right, the next SIGHUP takes them.
  install(second);
  server->send_signal(SIGHUP);
  EXPECT_TRUE(is_served_soon(server->port(), leaf_pem(second.certificate)));
}

}  // namespace
}  // namespace wl::testing
