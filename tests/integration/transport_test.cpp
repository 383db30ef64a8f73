// What an anonymous client can make the real server hold: request bodies are read
// only after the route and the token have been checked from the headers; plain HTTP
// gets a redirect to https and nothing else.

#include <string>

#include <gtest/gtest.h>

#include "integration/fixture.hpp"
#include "net/client.hpp"
#include "unit/net/plain_client.hpp"
#include "unit/net/raw_tls_client.hpp"

namespace wl::testing {
namespace {

using net::testing::header_of;
using net::testing::PlainAnswer;
using net::testing::RawTlsClient;
using net::testing::RawTlsOptions;
using net::testing::send_plain;

class TransportTest : public ServerTest {
 protected:
  // Sends a request line and headers announcing a body that never comes, and returns
  // what the server answers within 5 s (nothing, if it waits for the body).
  std::string answer_to_announced_body(std::string_view request_head) {
    RawTlsOptions options;
    options.read_timeout = std::chrono::seconds(5);
    auto raw = RawTlsClient::connect(server_->port(), options);
    EXPECT_TRUE(raw);
    if (!raw) {
      return {};
    }
    EXPECT_TRUE(raw->write(request_head));
    return raw->read_until("\r\n\r\n");
  }
};

TEST_F(TransportTest, AnonymousUploadsAreRefusedBeforeTheBody) {
  // A megabyte announced to a route that takes a body, without a token or with a
  // bad one: refused at once, the body never read.
  const std::string no_token = answer_to_announced_body(
      "POST /api/v1/threads HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
      "Content-Length: 1000000\r\n\r\n");
  EXPECT_TRUE(no_token.starts_with("HTTP/1.1 401")) << no_token;
  EXPECT_NE(no_token.find("Connection: close"), std::string::npos) << no_token;
  const std::string bad_token = answer_to_announced_body(
      "POST /api/v1/threads/1/read HTTP/1.1\r\nHost: localhost\r\n"
      "Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"
      "Content-Length: 1000000\r\n\r\n");
  EXPECT_TRUE(bad_token.starts_with("HTTP/1.1 401")) << bad_token;
  // An unknown route, the same.
  const std::string unknown = answer_to_announced_body(
      "PUT /api/v1/anything HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n");
  EXPECT_TRUE(unknown.starts_with("HTTP/1.1 401")) << unknown;
  // Login takes a small body only: a large one is refused from its Content-Length.
  const std::string login = answer_to_announced_body(
      "POST /api/v1/login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n");
  EXPECT_TRUE(login.starts_with("HTTP/1.1 413")) << login;
}

TEST_F(TransportTest, SignedInCallersStillSendBodiesAndGetRouteErrors) {
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  EXPECT_EQ(harper
                ->call("POST", "/api/v1/threads/" + std::to_string(thread) + "/read",
                       R"({"up_to_seq":0})")
                .status,
            204);
  // With a valid token an unknown route is 404; a body over the route's limit is 413.
  EXPECT_EQ(harper->call("POST", "/api/v1/nothing-here", "{}").status, 404);
  EXPECT_EQ(harper->call("POST", "/api/v1/threads", std::string(20000, ' ')).status, 413);
}

TEST_F(TransportTest, PlainHttpOnTheServersPortIsRedirectedToHttps) {
  const std::string port = std::to_string(server_->port());
  const PlainAnswer get =
      send_plain(server_->port(), "GET /threads HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n");
  EXPECT_TRUE(get.bytes.starts_with("HTTP/1.1 301")) << get.bytes;
  EXPECT_EQ(header_of(get.bytes, "Location"), "https://127.0.0.1:" + port + "/threads");
  EXPECT_TRUE(get.is_closed);
  // Not even the health check or a login is answered in plain text: only redirects.
  const PlainAnswer login = send_plain(
      server_->port(),
      "POST /api/v1/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
      "Content-Length: 2\r\n\r\n{}");
  EXPECT_TRUE(login.bytes.starts_with("HTTP/1.1 308")) << login.bytes;
  EXPECT_EQ(login.bytes.find("{"), std::string::npos) << login.bytes;
  // HTTPS on the same port is served as ever, with HSTS.
  net::HttpsClient client(server_->client_options());
  auto health = client.request("GET", "/healthz");
  ASSERT_TRUE(health) << health.error().to_string();
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->header("Strict-Transport-Security"), "max-age=63072000; includeSubDomains");
}

TEST(TransportPlainPortTest, HttpPortRedirectsToTheConfiguredName) {
  TempDir temp;
  ServerProcess server(temp.path() / "data",
                       {"--hostname", "localhost", "--hostname", "127.0.0.1", "--http-port", "0"});
  server.start();
  ASSERT_NE(server.port(), 0);
  const std::string output = server.output();
  constexpr std::string_view kMarker = "redirecting http://127.0.0.1:";
  const std::size_t at = output.find(kMarker);
  ASSERT_NE(at, std::string::npos) << output;
  const auto plain_port = static_cast<std::uint16_t>(std::stoi(output.substr(at + kMarker.size())));
  ASSERT_NE(plain_port, server.port());

  const std::string https_port = std::to_string(server.port());
  // The Host names a configured name: kept. Any other: the first configured name.
  const PlainAnswer kept = send_plain(plain_port, "GET /a?b=c HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_TRUE(kept.bytes.starts_with("HTTP/1.1 301")) << kept.bytes;
  EXPECT_EQ(header_of(kept.bytes, "Location"), "https://127.0.0.1:" + https_port + "/a?b=c");
  const PlainAnswer other =
      send_plain(plain_port, "GET / HTTP/1.1\r\nHost: phishing.example\r\n\r\n");
  EXPECT_EQ(header_of(other.bytes, "Location"), "https://localhost:" + https_port + "/");
  const PlainAnswer bogus =
      send_plain(plain_port, "GET / HTTP/1.1\r\nHost: phishing.example/x\r\n\r\n");
  EXPECT_TRUE(bogus.bytes.starts_with("HTTP/1.1 400")) << bogus.bytes;
  server.stop();
}

}  // namespace
}  // namespace wl::testing
