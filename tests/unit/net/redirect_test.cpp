// Plain HTTP gets a redirect to https and nothing else: on the TLS port (told apart by
// the first byte) and on the optional plain port, within the same caps and a short
// deadline.

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/client.hpp"
#include "net/detail/redirect.hpp"
#include "net/server.hpp"
#include "unit/net/net_test_support.hpp"
#include "unit/net/plain_client.hpp"

namespace wl::net {
namespace {

using detail::https_location;
using testing::connect_tcp;
using testing::header_of;
using testing::PlainAnswer;
using testing::read_until_closed;
using testing::send_plain;
using testing::TestServer;

// --- The Location ----------------------------------------------------------------

TEST(HttpsLocationTest, NamesTheRequestsHostOnTheTlsPortWithItsTarget) {
  EXPECT_EQ(https_location("localhost:8080", "/threads/4?unread=1", {}, 8443),
            "https://localhost:8443/threads/4?unread=1");
  EXPECT_EQ(https_location("Ward4.Example.ORG", "/", {}, 443), "https://ward4.example.org:443/");
  EXPECT_EQ(https_location("10.20.0.15:80", "/a/b", {}, 8443), "https://10.20.0.15:8443/a/b");
  EXPECT_EQ(https_location("[::1]:8080", "/", {}, 8443), "https://[::1]:8443/");
  EXPECT_EQ(https_location("[2001:DB8::1]", "/", {}, 8443), "https://[2001:db8::1]:8443/");
}

TEST(HttpsLocationTest, RefusesAnyHostThatIsNotANameOrAnAddress) {
  for (const std::string_view bogus : {"evil.example/path",
                                       "user@evil.example",
                                       "evil.example:",
                                       "evil.example:0",
                                       "evil.example:65536",
                                       "evil.example:80x",
                                       "a..b",
                                       ".a",
                                       "a.",
                                       "-a.example",
                                       "a-.example",
                                       "a_b.example",
                                       "1.2.3.999",
                                       "[::1",
                                       "[::1]x",
                                       "[::1]:",
                                       "::1",
                                       "[fe80::1%25eth0]",
                                       "[evil.example]",
                                       "evil example",
                                       "evil\r\nX-Injected: 1",
                                       "evil.example\t",
                                       "\xc3\xa9vil.example",
                                       "%65vil.example"}) {
    EXPECT_EQ(https_location(bogus, "/", {}, 8443), std::nullopt) << bogus;
  }
  EXPECT_EQ(https_location(std::string(64, 'a') + ".example", "/", {}, 8443), std::nullopt);
  std::string long_name;
  for (int label = 0; label < 50; ++label) {
    long_name += "abcd.";
  }
  EXPECT_EQ(https_location(long_name + "example", "/", {}, 8443), std::nullopt);
  // No Host header and no configured name: nothing to redirect to.
  EXPECT_EQ(https_location("", "/", {}, 8443), std::nullopt);
}

TEST(HttpsLocationTest, ConfiguredNamesWinOverTheHostHeader) {
  const std::vector<std::string> configured{"wardline.ward4.example.org", "10.20.0.15"};
  EXPECT_EQ(https_location("10.20.0.15:80", "/x", configured, 8443), "https://10.20.0.15:8443/x");
  EXPECT_EQ(https_location("WARDLINE.ward4.example.org", "/", configured, 8443),
            "https://wardline.ward4.example.org:8443/");
  // A valid name that is not configured: the first configured one instead.
  EXPECT_EQ(https_location("phishing.example", "/", configured, 8443),
            "https://wardline.ward4.example.org:8443/");
  EXPECT_EQ(https_location("", "/", configured, 8443), "https://wardline.ward4.example.org:8443/");
  // An invalid Host header is still a bad request.
  EXPECT_EQ(https_location("evil.example/x", "/", configured, 8443), std::nullopt);
  const std::vector<std::string> loopback_v6{"::1"};
  EXPECT_EQ(https_location("localhost", "/", loopback_v6, 8443), "https://[::1]:8443/");
}

TEST(HttpsLocationTest, OnlyAnOriginFormTargetIsKept) {
  EXPECT_EQ(https_location("localhost", "/api/v1/threads?limit=20&x=%20", {}, 1),
            "https://localhost:1/api/v1/threads?limit=20&x=%20");
  for (const std::string_view other :
       {"http://evil.example/", "*", "evil.example:80", "", "/a\\b", "/a\"b", "/<script>", "/a b",
        "/a\r\nSet-Cookie: x", "/a#fragment", "/\xc3\xa9"}) {
    EXPECT_EQ(https_location("localhost", other, {}, 1), "https://localhost:1/") << other;
  }
}

// --- The server ------------------------------------------------------------------

TEST(RedirectTest, PlainHttpOnTheTlsPortIsRedirectedToHttps) {
  TestServer server;
  const PlainAnswer get =
      send_plain(server.port(), "GET /threads/4?unread=1 HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_TRUE(get.bytes.starts_with("HTTP/1.1 301 Moved Permanently\r\n")) << get.bytes;
  EXPECT_EQ(header_of(get.bytes, "Location"),
            "https://localhost:" + std::to_string(server.port()) + "/threads/4?unread=1");
  EXPECT_EQ(header_of(get.bytes, "Connection"), "close");
  EXPECT_EQ(header_of(get.bytes, "Content-Length"), "0");
  // Nothing but the redirect: no HSTS over plain HTTP, no body, and the echo handler
  // (which answers every HTTPS request) never saw it.
  EXPECT_EQ(header_of(get.bytes, "Strict-Transport-Security"), "");
  EXPECT_TRUE(get.bytes.ends_with("\r\n\r\n")) << get.bytes;
  EXPECT_TRUE(get.is_closed);

  // Other methods keep theirs: 308, even with a body announced and sent.
  const PlainAnswer post = send_plain(
      server.port(),
      "POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1:80\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_TRUE(post.bytes.starts_with("HTTP/1.1 308 Permanent Redirect\r\n")) << post.bytes;
  EXPECT_EQ(header_of(post.bytes, "Location"),
            "https://127.0.0.1:" + std::to_string(server.port()) + "/api/v1/login");
  EXPECT_TRUE(post.is_closed);

  // An absolute-form target is not echoed.
  const PlainAnswer absolute =
      send_plain(server.port(), "GET http://evil.example/x HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(header_of(absolute.bytes, "Location"),
            "https://localhost:" + std::to_string(server.port()) + "/");
}

TEST(RedirectTest, ABogusHostGets400AndNoLocation) {
  TestServer server;
  for (const std::string_view host : {"evil.example/x", "a..b", "[::1", "evil.example:99999"}) {
    const PlainAnswer answer =
        send_plain(server.port(), "GET / HTTP/1.1\r\nHost: " + std::string(host) + "\r\n\r\n");
    EXPECT_TRUE(answer.bytes.starts_with("HTTP/1.1 400 Bad Request\r\n")) << host << answer.bytes;
    EXPECT_EQ(header_of(answer.bytes, "Location"), "") << host;
    EXPECT_TRUE(answer.is_closed);
  }
  // Two Host headers, and none at all (HTTP/1.0), are refused the same way.
  const PlainAnswer twice =
      send_plain(server.port(), "GET / HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n\r\n");
  EXPECT_TRUE(twice.bytes.starts_with("HTTP/1.1 400")) << twice.bytes;
  const PlainAnswer none = send_plain(server.port(), "GET / HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(none.bytes.starts_with("HTTP/1.0 400") || none.bytes.starts_with("HTTP/1.1 400"))
      << none.bytes;
  // A request line that is not HTTP, and a head over 4 KiB.
  const PlainAnswer garbage = send_plain(server.port(), "GARBAGE\r\n\r\n");
  EXPECT_TRUE(garbage.bytes.starts_with("HTTP/1.1 400")) << garbage.bytes;
  const PlainAnswer large = send_plain(
      server.port(),
      "GET / HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + std::string(5000, 'a') + "\r\n\r\n");
  EXPECT_TRUE(large.bytes.starts_with("HTTP/1.1 431")) << large.bytes;
}

TEST(RedirectTest, ConfiguredNamesAreWhatTheRedirectNames) {
  ServerOptions options;
  options.redirect_hosts = {"wardline.ward4.example.org", "127.0.0.1"};
  TestServer server(options);
  const PlainAnswer other =
      send_plain(server.port(), "GET /x HTTP/1.1\r\nHost: phishing.example\r\n\r\n");
  EXPECT_EQ(header_of(other.bytes, "Location"),
            "https://wardline.ward4.example.org:" + std::to_string(server.port()) + "/x");
  const PlainAnswer none = send_plain(server.port(), "GET /x HTTP/1.0\r\n\r\n");
  EXPECT_EQ(header_of(none.bytes, "Location"),
            "https://wardline.ward4.example.org:" + std::to_string(server.port()) + "/x");
}

TEST(RedirectTest, ASlowPlainRequestIsCutAtTheDeadline) {
  ServerOptions options;
  options.http_redirect_timeout = std::chrono::milliseconds(200);
  TestServer server(options);
  const int fd = connect_tcp(server.port());
  ASSERT_GE(fd, 0);
  // A request line and then nothing: the server closes at its deadline without an
  // answer, well before this client's own 5 s read timeout.
  const std::string_view partial = "GET / HTTP/1.1\r\nHost: localhost\r\n";
  ASSERT_EQ(::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(partial.size()));
  const PlainAnswer answer = read_until_closed(fd);
  ::close(fd);
  EXPECT_TRUE(answer.is_closed);
  EXPECT_EQ(answer.bytes, "");
}

TEST(RedirectTest, AFirstByteThatIsNeitherTlsNorHttpIsClosed) {
  TestServer server;
  for (const std::string_view first :
       {std::string_view("\0\0\0\0", 4), std::string_view("get / HTTP/1.1\r\n\r\n"),
        std::string_view("\x80\x2e\x01\x03\x01", 5), std::string_view("SSH-2.0-x\r\n")}) {
    const PlainAnswer answer = send_plain(server.port(), first);
    EXPECT_TRUE(answer.is_closed);
    // "SSH-..." starts like a method token: it is answered as malformed HTTP, and that
    // is all it gets.
    EXPECT_TRUE(answer.bytes.empty() || answer.bytes.starts_with("HTTP/1.1 400")) << answer.bytes;
  }
}

TEST(RedirectTest, TlsClientsOnTheSamePortAreServedAsBefore) {
  TestServer server;
  ASSERT_TRUE(send_plain(server.port(), "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
                  .bytes.starts_with("HTTP/1.1 301"));
  HttpsClient client(server.client_options());
  auto answer = client.request("GET", "/after-a-redirect");
  ASSERT_TRUE(answer) << answer.error().to_string();
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "GET /after-a-redirect ");
  EXPECT_EQ(answer->header("Strict-Transport-Security"), "max-age=63072000; includeSubDomains");
}

TEST(RedirectTest, PlainConnectionsCountAgainstTheCaps) {
  for (const bool is_plain_port : {false, true}) {
    ServerOptions options;
    options.limits.handshakes_per_address = 2;
    options.http_redirect_port = 0;
    TestServer server(options);
    const std::uint16_t port = is_plain_port ? server.server().http_redirect_port() : server.port();
    // Two plain requests in progress (no end of head yet) hold both handshake slots.
    std::vector<int> held;
    for (int index = 0; index < 2; ++index) {
      held.push_back(connect_tcp(port));
      ASSERT_GE(held.back(), 0);
      ASSERT_EQ(::send(held.back(), "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL), 16);
    }
    // The acceptor takes connections in order, so both hold their slots before the
    // third from this address arrives, and that one is closed at accept.
    const PlainAnswer third = send_plain(port, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_EQ(third.bytes, "") << port;
    EXPECT_TRUE(third.is_closed) << port;
    for (const int fd : held) {
      ::close(fd);
    }
  }
}

TEST(RedirectTest, ThePlainPortOnlyRedirects) {
  ServerOptions options;
  options.http_redirect_port = 0;
  TestServer server(options);
  const std::uint16_t plain = server.server().http_redirect_port();
  ASSERT_NE(plain, 0);
  ASSERT_NE(plain, server.port());
  const PlainAnswer get = send_plain(
      plain, "GET /threads HTTP/1.1\r\nHost: localhost:" + std::to_string(plain) + "\r\n\r\n");
  EXPECT_TRUE(get.bytes.starts_with("HTTP/1.1 301")) << get.bytes;
  EXPECT_EQ(header_of(get.bytes, "Location"),
            "https://localhost:" + std::to_string(server.port()) + "/threads");
  // A TLS client there gets no TLS: the port speaks only plain HTTP.
  ClientOptions client_options = server.client_options();
  client_options.port = plain;
  client_options.timeout = std::chrono::seconds(2);
  HttpsClient client(client_options);
  EXPECT_FALSE(client.request("GET", "/"));
}

}  // namespace
}  // namespace wl::net
