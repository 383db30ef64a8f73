// What an anonymous client can make the real server hold: request bodies are read
// only after the route and the token have been checked from the headers.

#include <string>

#include <gtest/gtest.h>

#include "integration/fixture.hpp"
#include "unit/net/raw_tls_client.hpp"

namespace wl::testing {
namespace {

using net::testing::RawTlsClient;
using net::testing::RawTlsOptions;

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

}  // namespace
}  // namespace wl::testing
