#include "net/client.hpp"

#include <gtest/gtest.h>

#include "unit/net/net_test_support.hpp"

namespace wl::net {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ParseServerUrlTest, ReadsHostAndPort) {
  auto options = parse_server_url("https://chat.example.org:9443");
  ASSERT_TRUE(options) << options.error().to_string();
  EXPECT_EQ(options->host, "chat.example.org");
  EXPECT_EQ(options->port, 9443);
}

TEST(ParseServerUrlTest, DefaultsToPort443AndKeepsBaseOptions) {
  ClientOptions base;
  base.ca_file = "ca.pem";
  auto options = parse_server_url("https://localhost/", base);
  ASSERT_TRUE(options);
  EXPECT_EQ(options->host, "localhost");
  EXPECT_EQ(options->port, 443);
  EXPECT_EQ(options->ca_file, "ca.pem");
}

TEST(ParseServerUrlTest, AcceptsIpv6Literals) {
  auto options = parse_server_url("https://[::1]:8443");
  ASSERT_TRUE(options) << options.error().to_string();
  EXPECT_EQ(options->host, "::1");
  EXPECT_EQ(options->port, 8443);
}

TEST(ParseServerUrlTest, RejectsOtherSchemesAndMalformedUrls) {
  for (const char* url :
       {"http://localhost:8443", "localhost:8443", "https://", "https://host:0",
        "https://host:99999", "https://host/path", "https://user@host", "not a url", ""}) {
    auto options = parse_server_url(url);
    ASSERT_FALSE(options) << url;
    EXPECT_EQ(options.error().code(), Code::kInvalidArgument) << url;
  }
}

TEST(HttpsClientTest, ReportsUnavailableWhenNothingListens) {
  // Take a free port from a server, then stop it.
  std::uint16_t port = 0;
  {
    testing::TestServer server;
    port = server.port();
  }
  ClientOptions options;
  options.port = port;
  options.insecure_dev = true;
  HttpsClient client(options);
  auto response = client.request("GET", "/");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), Code::kUnavailable);
}

TEST(HttpsClientTest, ReconnectsAfterTheServerClosesTheConnection) {
  testing::TestServer server;
  HttpsClient client(server.client_options());
  auto first = client.request("GET", "/", {}, {{"Connection", "close"}});
  ASSERT_TRUE(first) << first.error().to_string();
  auto second = client.request("GET", "/");
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_EQ(second->status, 200);
}

// A pinned public key stands in for the CA and the host name: the right key connects
// whatever names the certificate holds; another key is refused.
TEST(HttpsClientTest, PinnedKeyIsTheOnlyTrustNeeded) {
  testing::TestServer server;
  auto pin = certificate_pin(testing::test_credentials().certificate_chain_pem);
  ASSERT_TRUE(pin) << pin.error().to_string();
  ClientOptions options;
  options.host = "127.0.0.1";
  options.port = server.port();
  options.timeout = seconds(5);
  {
    // Without the CA and without a pin, the system's trust store does not know it.
    HttpsClient untrusted(options);
    EXPECT_FALSE(untrusted.request("GET", "/"));
  }
  options.certificate_pin = *pin;
  HttpsClient pinned(options);
  auto answered = pinned.request("GET", "/");
  ASSERT_TRUE(answered) << answered.error().to_string();
  EXPECT_EQ(answered->status, 200);

  options.certificate_pin = "yFd/c3P2AoWrdWmg25AtcEtei9ouJSocK4C4G2krSKE=";
  HttpsClient wrong(options);
  auto refused = wrong.request("GET", "/");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kUnavailable);
  EXPECT_NE(refused.error().message().find("pinned"), std::string::npos);
}

TEST(WsClientTest, ReceiveTimeoutKeepsTheConnectionUsable) {
  testing::TestServer server;
  auto client = WsClient::connect(server.client_options(), "/api/v1/ws");
  ASSERT_TRUE(client) << client.error().to_string();

  auto nothing = (*client)->receive(milliseconds(100));
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().code(), Code::kDeadlineExceeded);
  auto still_nothing = (*client)->receive(milliseconds(50));
  ASSERT_FALSE(still_nothing);
  EXPECT_EQ(still_nothing.error().code(), Code::kDeadlineExceeded);

  ASSERT_TRUE((*client)->send("ping-1"));
  ASSERT_TRUE((*client)->send("ping-2"));
  auto first = (*client)->receive(seconds(5));
  auto second = (*client)->receive(seconds(5));
  ASSERT_TRUE(first) << first.error().to_string();
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_EQ(*first, "ping-1");
  EXPECT_EQ(*second, "ping-2");
  EXPECT_EQ((*client)->close_code(), 0);
}

TEST(WsClientTest, CloseEndsTheConnectionCleanly) {
  testing::TestServer server;
  auto client = WsClient::connect(server.client_options(), "/api/v1/ws");
  ASSERT_TRUE(client);
  (*client)->close();
  auto send = (*client)->send("after close");
  ASSERT_FALSE(send);
  EXPECT_EQ(send.error().code(), Code::kUnavailable);
  auto& probe = server.probe();
  EXPECT_TRUE(probe.wait_for([&] { return probe.closed == 1; }));
}

}  // namespace
}  // namespace wl::net
