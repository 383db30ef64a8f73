// What a client can make the server hold before it has authenticated: request bodies
// only after admission, connection and handshake caps, and no busy loop when the
// process runs out of file descriptors.

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include "core/log.hpp"
#include "net/client.hpp"
#include "net/server.hpp"
#include "unit/net/net_test_support.hpp"
#include "unit/net/plain_client.hpp"
#include "unit/net/raw_tls_client.hpp"

namespace wl::net {
namespace {

using testing::connect_tcp;
using testing::is_closed_by_server;
using testing::RawTlsClient;
using testing::RawTlsOptions;
using testing::TestServer;

// A raw TLS connection that has sent `request` (headers, perhaps no body) and read the
// answer's head into `head` (waiting at most 5 s); nullptr if it could not connect.
std::unique_ptr<RawTlsClient> send_head(std::uint16_t port, const std::string& request,
                                        std::string& head) {
  RawTlsOptions options;
  options.read_timeout = std::chrono::seconds(5);
  auto raw = RawTlsClient::connect(port, options);
  if (!raw || !raw->write(request)) {
    return nullptr;
  }
  head = raw->read_until("\r\n\r\n");
  return raw;
}

TEST(LimitsTest, RefusalFromTheHeadersComesWithoutWaitingForTheBody) {
  TestServer server;
  std::string head;
  // A megabyte is announced and never sent: the answer must not wait for it.
  auto raw = send_head(server.port(),
                       "POST /upload HTTP/1.1\r\nHost: localhost\r\nX-Refuse: 1\r\n"
                       "Content-Length: 1000000\r\n\r\n",
                       head);
  ASSERT_TRUE(raw);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 401")) << head;
  EXPECT_NE(head.find("Connection: close"), std::string::npos) << head;
  raw->read_exact(std::string_view("refused before the body").size());
  EXPECT_TRUE(raw->is_closed_by_peer());
}

TEST(LimitsTest, TheRoutesBodyLimitIsCheckedBeforeTheBodyIsRead) {
  TestServer server;
  std::string head;
  ASSERT_TRUE(send_head(server.port(),
                        "POST /upload HTTP/1.1\r\nHost: localhost\r\nX-Body-Limit: 100\r\n"
                        "Content-Length: 5000\r\n\r\n",
                        head));
  EXPECT_TRUE(head.starts_with("HTTP/1.1 413")) << head;

  // Within the limit, the body is read and handled; chunked bodies are held to it too.
  HttpsClient client(server.client_options());
  auto small = client.request("POST", "/upload", std::string(100, 'a'), {{"X-Body-Limit", "100"}});
  ASSERT_TRUE(small) << small.error().to_string();
  EXPECT_EQ(small->status, 200);
  auto chunked = send_head(server.port(),
                           "POST /upload HTTP/1.1\r\nHost: localhost\r\nX-Body-Limit: 100\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n80\r\n" +
                               std::string(128, 'b') + "\r\n0\r\n\r\n",
                           head);
  ASSERT_TRUE(chunked);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 413")) << head;
}

TEST(LimitsTest, ConnectionsPerAddressAreCapped) {
  ServerOptions options;
  options.limits.connections_per_address = 3;
  TestServer server(options);
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(connect_tcp(server.port()));
    ASSERT_GE(held.back(), 0);
  }
  // The fourth from the same address is closed at once, before any TLS.
  const int over = connect_tcp(server.port());
  ASSERT_GE(over, 0);
  EXPECT_TRUE(is_closed_by_server(over));
  ::close(over);

  // Once one closes, a new connection is served again.
  ::close(held.back());
  held.pop_back();
  HttpsClient client(server.client_options());
  Result<Response> answer = error(Code::kUnavailable, "not tried");
  for (int attempt = 0; attempt < 50 && !(answer && answer->status == 200); ++attempt) {
    answer = client.request("GET", "/");  // The server may not have seen the close yet.
    if (!answer) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ASSERT_TRUE(answer) << answer.error().to_string();
  EXPECT_EQ(answer->status, 200);
  for (const int fd : held) {
    ::close(fd);
  }
}

TEST(LimitsTest, HandshakesInProgressPerAddressAreCapped) {
  ServerOptions options;
  options.limits.handshakes_per_address = 2;
  TestServer server(options);
  const int first = connect_tcp(server.port());
  const int second = connect_tcp(server.port());
  ASSERT_GE(first, 0);
  ASSERT_GE(second, 0);
  const int third = connect_tcp(server.port());
  ASSERT_GE(third, 0);
  EXPECT_TRUE(is_closed_by_server(third));
  ::close(third);
  ::close(first);
  ::close(second);
}

// Counts the lines the "net" logger writes while it lives.
class NetLogCapture {
 public:
  NetLogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(lines_)) {
    log::get("net")->sinks().push_back(sink_);
  }
  ~NetLogCapture() {
    auto& sinks = log::get("net")->sinks();
    std::erase(sinks, sink_);
  }
  std::size_t count(std::string_view text) {
    log::get("net")->flush();
    std::size_t found = 0;
    std::istringstream stream(lines_.str());
    for (std::string line; std::getline(stream, line);) {
      found += line.find(text) != std::string::npos ? 1 : 0;
    }
    return found;
  }

 private:
  std::ostringstream lines_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

// Lowers the soft descriptor limit so that exactly `free_slots` more descriptors can be
// opened, and restores it when destroyed. The kernel compares the limit with descriptor
// NUMBERS (the lowest free number must be below it), not with how many are open, so the
// limit is placed just above the `free_slots` lowest free numbers: holes in the table
// and high descriptors inherited from whatever started the test change nothing.
class DescriptorLimit {
 public:
  explicit DescriptorLimit(int free_slots) {
    // Descriptors take the lowest free number: after these probes every number below
    // the last one is in use except the first `free_slots` probes' own.
    std::vector<int> probes;
    for (int index = 0; index <= free_slots; ++index) {
      probes.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    }
    const int limit = probes.back();
    for (const int probe : probes) {
      ::close(probe);
    }
    if (limit < 0 || ::getrlimit(RLIMIT_NOFILE, &saved_) != 0) {
      return;
    }
    rlimit low = saved_;
    low.rlim_cur = static_cast<rlim_t>(limit);
    is_lowered_ = ::setrlimit(RLIMIT_NOFILE, &low) == 0;
  }
  ~DescriptorLimit() { restore(); }
  DescriptorLimit(const DescriptorLimit&) = delete;
  DescriptorLimit& operator=(const DescriptorLimit&) = delete;

  bool is_lowered() const { return is_lowered_; }
  void restore() {
    if (std::exchange(is_lowered_, false)) {
      ::setrlimit(RLIMIT_NOFILE, &saved_);
    }
  }

 private:
  rlimit saved_{};
  bool is_lowered_ = false;
};

// Waits until the server has closed `wanted` of `sockets` (their connections shed), at
// most `timeout`; returns how many it closed.
std::size_t wait_for_closes_by_server(const std::vector<int>& sockets, std::size_t wanted,
                                      std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<pollfd> polled;
  for (const int fd : sockets) {
    polled.push_back(pollfd{fd, POLLIN | POLLRDHUP, 0});
  }
  std::size_t closed = 0;
  while (closed < wanted && std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const int ready =
        ::poll(polled.data(), polled.size(), static_cast<int>(std::max<long>(left.count(), 1)));
    for (std::size_t index = 0; ready > 0 && index < polled.size(); ++index) {
      if (polled[index].fd < 0 || polled[index].revents == 0) {
        continue;
      }
      // The server never sends a byte before the client's TLS hello: readable means closed.
      closed += is_closed_by_server(polled[index].fd) ? 1 : 0;
      polled[index].fd = -1;
    }
  }
  return closed;
}

// Descriptors run out with connections waiting in the backlog, when `GetParam()` more
// can be opened: at the very first accept (0), or after the server took one or two
// connections (1, 2), which also makes the server accept onto a worker it has not used yet.
class OutOfDescriptorsTest : public ::testing::TestWithParam<int> {};

TEST_P(OutOfDescriptorsTest, ShedsAndBacksOffInsteadOfSpinningThenServesAgain) {
  NetLogCapture log_lines;
  ServerOptions options;
  // Connections the server did accept wait in their handshake well past this test, so a
  // close a client sees can only be a shed one.
  options.tls_handshake_timeout = std::chrono::seconds(120);
  TestServer server(options);
  // The clients' sockets are made first: they share this process's descriptor limit.
  std::vector<int> sockets;
  for (int i = 0; i < 20; ++i) {
    sockets.push_back(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_GE(sockets.back(), 0);
  }
  DescriptorLimit limit(GetParam());
  ASSERT_TRUE(limit.is_lowered());
  for (int& fd : sockets) {
    fd = connect_tcp(server.port(), fd);  // The kernel completes them into the backlog.
    ASSERT_GE(fd, 0);
  }
  // Waiting clients are told at once (their connections shed) rather than left hanging,
  // and the acceptor keeps trying after each pause: a second one is shed too.
  const std::size_t shed = wait_for_closes_by_server(sockets, 2, std::chrono::seconds(10));
  limit.restore();
  EXPECT_EQ(shed, 2U);
  // A spinning acceptor logs one warning per failed accept: hundreds of thousands a
  // second. Throttled, it reports once per interval.
  EXPECT_GE(log_lines.count("out of file descriptors"), 1U);
  EXPECT_LE(log_lines.count("accept"), 2U);
  for (const int fd : sockets) {
    ::close(fd);
  }

  // With descriptors back, the server serves again: within one back-off (at most 1 s),
  // so a few seconds bound the wait.
  ClientOptions client_options = server.client_options();
  client_options.timeout = std::chrono::seconds(2);
  HttpsClient client(client_options);
  Result<Response> answer = error(Code::kUnavailable, "not tried");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!answer && std::chrono::steady_clock::now() < deadline) {
    answer = client.request("GET", "/");
    if (!answer) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ASSERT_TRUE(answer) << answer.error().to_string();
  EXPECT_EQ(answer->status, 200);
}

INSTANTIATE_TEST_SUITE_P(LimitsTest, OutOfDescriptorsTest, ::testing::Values(0, 1, 2),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "FreeDescriptors" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace wl::net
