#include "net/server.hpp"

#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "net/client.hpp"
#include "unit/net/net_test_support.hpp"
#include "unit/net/raw_tls_client.hpp"

namespace wl::net {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::RawTlsClient;
using testing::TestServer;

constexpr std::string_view kWsPath = "/api/v1/ws";

std::unique_ptr<WsClient> connect_ws(TestServer& server) {
  auto client = WsClient::connect(server.client_options(), kWsPath);
  EXPECT_TRUE(client) << client.error().to_string();
  return client ? std::move(*client) : nullptr;
}

// A masked client frame (RFC 6455 5.2) with a payload under 126 bytes.
std::string client_frame(std::uint8_t opcode, std::string_view payload) {
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  std::string frame;
  frame.push_back(static_cast<char>(0x80 | opcode));
  frame.push_back(static_cast<char>(0x80 | payload.size()));
  frame.append(mask, 4);
  for (std::size_t index = 0; index < payload.size(); ++index) {
    frame.push_back(static_cast<char>(payload[index] ^ mask[index % 4]));
  }
  return frame;
}

TEST(WsServerTest, EchoesTextFrames) {
  TestServer server;
  auto client = connect_ws(server);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send("hello"));
  auto echoed = client->receive(seconds(5));
  ASSERT_TRUE(echoed) << echoed.error().to_string();
  EXPECT_EQ(*echoed, "hello");

  const std::string large(60 * 1024, 'z');
  ASSERT_TRUE(client->send(large));
  auto large_echo = client->receive(seconds(5));
  ASSERT_TRUE(large_echo);
  EXPECT_EQ(*large_echo, large);
  EXPECT_TRUE(server.probe().wait_for([&] { return server.probe().messages.size() == 2; }));
}

TEST(WsServerTest, ClosesOversizedMessageWith1009) {
  ServerOptions options;
  options.ws_message_limit = 1024;
  TestServer server(options);
  auto client = connect_ws(server);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send(std::string(2000, 'a')));
  auto result = client->receive(seconds(5));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), Code::kUnavailable);
  EXPECT_EQ(client->close_code(), 1009);
  EXPECT_TRUE(server.probe().wait_for([&] { return server.probe().closed == 1; }));
  EXPECT_TRUE(server.probe().messages.empty());
}

TEST(WsServerTest, ClosesBinaryFramesWith1003) {
  TestServer server;
  auto raw = RawTlsClient::connect(server.port());
  ASSERT_TRUE(raw);
  ASSERT_TRUE(
      raw->write("GET /api/v1/ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n"));
  const std::string upgrade = raw->read_until("\r\n\r\n");
  ASSERT_TRUE(upgrade.starts_with("HTTP/1.1 101")) << upgrade;

  ASSERT_TRUE(raw->write(client_frame(0x2, "\x01\x02\x03")));
  const std::string header = raw->read_exact(2);
  ASSERT_EQ(header.size(), 2U);
  EXPECT_EQ(static_cast<std::uint8_t>(header[0]), 0x88);  // FIN + close
  const std::size_t length = static_cast<std::uint8_t>(header[1]) & 0x7f;
  ASSERT_GE(length, 2U);
  const std::string payload = raw->read_exact(length);
  ASSERT_EQ(payload.size(), length);
  const int code =
      (static_cast<std::uint8_t>(payload[0]) << 8) | static_cast<std::uint8_t>(payload[1]);
  EXPECT_EQ(code, 1003);
  EXPECT_TRUE(server.probe().messages.empty());
}

TEST(WsServerTest, RefusesUpgradeWhenFactoryReturnsNull) {
  TestServer server;
  auto client = WsClient::connect(server.client_options(), kWsPath, {{"X-Refuse", "1"}});
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code(), Code::kPermissionDenied);
  EXPECT_NE(client.error().message().find("404"), std::string::npos);
  EXPECT_EQ(server.probe().opened, 0);
}

TEST(WsServerTest, UpgradeOnOtherPathsIsPlainHttp) {
  TestServer server;
  auto client = WsClient::connect(server.client_options(), "/not-a-ws-path");
  ASSERT_FALSE(client);
  // The HTTP handler answered 200, which is not a WebSocket upgrade.
  EXPECT_EQ(client.error().code(), Code::kPermissionDenied);
  EXPECT_EQ(server.probe().opened, 0);
}

// Whether the server's count of queued WebSocket frames comes down to zero within 5 s.
bool queued_frames_reach_zero(Server& server) {
  for (int i = 0; i < 500; ++i) {
    if (server.counts().ws_queued_frames == 0) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  return false;
}

TEST(WsServerTest, TrySendRefusesWhenQueueFullAndDrainsAfterClientReads) {
  ServerOptions options;
  options.ws_queue_frames = 4;
  TestServer server(options);
  auto client = connect_ws(server);
  ASSERT_TRUE(client);

  // Four 4 MiB frames: far more than loopback buffers hold while the client reads
  // nothing, so the queue cannot drain on its own.
  constexpr std::size_t kFrameBytes = 4 << 20;
  ASSERT_TRUE(client->send("flood:" + std::to_string(kFrameBytes)));
  auto& probe = server.probe();
  ASSERT_TRUE(probe.wait_for([&] { return probe.flood_accepted > 0; }));
  EXPECT_EQ(probe.flood_accepted, 4U);
  EXPECT_EQ(probe.queued_after_flood, 4U);

  // Ask the connection's own thread how many frames are still queued.
  std::shared_ptr<WsConnection> connection;
  {
    std::lock_guard lock(probe.mutex);
    connection = probe.last_connection;
  }
  ASSERT_TRUE(connection);
  std::this_thread::sleep_for(milliseconds(200));
  std::atomic<std::size_t> queued{0};
  std::atomic<bool> asked{false};
  connection->post([&] {
    queued = connection->queued_frames();
    asked = true;
  });
  while (!asked) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  EXPECT_GT(queued.load(), 0U);
  EXPECT_GT(server.server().counts().ws_queued_frames, 0U) << "counted for /metrics";
  {
    std::lock_guard lock(probe.mutex);
    EXPECT_EQ(probe.drained, 0);
  }
  connection.reset();

  for (int frame = 0; frame < 4; ++frame) {
    auto received = client->receive(seconds(10));
    ASSERT_TRUE(received) << received.error().to_string();
    EXPECT_EQ(received->size(), kFrameBytes);
  }
  EXPECT_TRUE(probe.wait_for([&] { return probe.drained == 1; }));

  // The connection works normally afterwards, and on_drained does not repeat.
  ASSERT_TRUE(client->send("after"));
  auto echoed = client->receive(seconds(5));
  ASSERT_TRUE(echoed);
  EXPECT_EQ(*echoed, "after");
  EXPECT_TRUE(queued_frames_reach_zero(server.server()));
  std::lock_guard lock(probe.mutex);
  EXPECT_EQ(probe.drained, 1);
}

TEST(WsServerTest, FramesQueuedForAConnectionThatGoesAwayAreCountedOut) {
  ServerOptions options;
  options.ws_queue_frames = 4;
  TestServer server(options);
  auto client = connect_ws(server);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send("flood:" + std::to_string(4 << 20)));
  auto& probe = server.probe();
  ASSERT_TRUE(probe.wait_for([&] { return probe.flood_accepted > 0; }));
  EXPECT_GT(server.server().counts().ws_queued_frames, 0U);
  client.reset();  // Gone without reading: the session ends with its queue full.
  EXPECT_TRUE(probe.wait_for([&] { return probe.closed == 1; }));
  EXPECT_TRUE(queued_frames_reach_zero(server.server()));
}

// Large frames to several connections on one io thread, none read until all are
// queued: every write has to wait for socket space while the others write, and each
// client still receives exactly its own bytes.
TEST(WsServerTest, LargeFramesToConnectionsOnOneThreadArriveIntact) {
  ServerOptions options;
  options.threads = 1;
  TestServer server(options);
  constexpr std::size_t kClients = 3;
  constexpr std::size_t kFrameBytes = 3 << 20;
  std::vector<std::unique_ptr<WsClient>> clients;
  for (std::size_t seed = 0; seed < kClients; ++seed) {
    clients.push_back(connect_ws(server));
    ASSERT_TRUE(clients.back());
    ASSERT_TRUE(clients.back()->send(fmt::format("pattern:{}:{}", kFrameBytes, seed)));
  }
  std::this_thread::sleep_for(milliseconds(100));
  for (std::size_t seed = 0; seed < kClients; ++seed) {
    auto received = clients[seed]->receive(seconds(10));
    ASSERT_TRUE(received) << received.error().to_string();
    ASSERT_EQ(received->size(), kFrameBytes);
    EXPECT_TRUE(*received == testing::pattern_frame(kFrameBytes, seed)) << "client " << seed;
  }
}

// Frames queued together go out corked in one TLS write; each still arrives whole,
// once and in order, and the connection keeps working after the burst.
TEST(WsServerTest, BurstOfQueuedFramesArrivesWholeAndInOrder) {
  TestServer server;
  auto client = connect_ws(server);
  ASSERT_TRUE(client);
  constexpr int kFrames = 300;  // More than one cork's worth of bytes.
  ASSERT_TRUE(client->send("burst:" + std::to_string(kFrames)));
  for (int index = 0; index < kFrames; ++index) {
    auto received = client->receive(seconds(5));
    ASSERT_TRUE(received) << received.error().to_string() << " at " << index;
    ASSERT_EQ(*received, "burst-" + std::to_string(index));
  }
  ASSERT_TRUE(client->send("after"));
  auto echoed = client->receive(seconds(5));
  ASSERT_TRUE(echoed);
  EXPECT_EQ(*echoed, "after");
}

TEST(WsServerTest, PostFromAnotherThreadRunsOnTheConnectionThread) {
  TestServer server;
  auto client = connect_ws(server);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send("post"));
  auto posted = client->receive(seconds(5));
  ASSERT_TRUE(posted) << posted.error().to_string();
  EXPECT_EQ(*posted, "posted");
  std::lock_guard lock(server.probe().mutex);
  EXPECT_EQ(server.probe().posted_task_thread, server.probe().io_thread);
}

TEST(WsServerTest, PostAfterCloseIsDropped) {
  TestServer server;
  auto client = connect_ws(server);
  ASSERT_TRUE(client);
  auto& probe = server.probe();
  ASSERT_TRUE(probe.wait_for([&] { return probe.opened == 1; }));
  std::shared_ptr<WsConnection> connection;
  {
    std::lock_guard lock(probe.mutex);
    connection = probe.last_connection;
  }
  client->close();
  ASSERT_TRUE(probe.wait_for([&] { return probe.closed == 1; }));
  std::atomic<bool> ran{false};
  connection->post([&] { ran = true; });
  // A second post acts as a barrier: tasks run in order on the one io thread.
  std::atomic<bool> barrier{false};
  connection->post([&] { barrier = true; });
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_FALSE(ran);
  EXPECT_FALSE(barrier);
}

TEST(WsServerTest, StopClosesConnectionsWithGoingAway) {
  TestServer server;
  auto first = connect_ws(server);
  auto second = connect_ws(server);
  ASSERT_TRUE(first && second);
  auto& probe = server.probe();
  ASSERT_TRUE(probe.wait_for([&] { return probe.opened == 2; }));

  std::thread stopper([&] { server.server().stop(seconds(5)); });
  auto first_result = first->receive(seconds(5));
  auto second_result = second->receive(seconds(5));
  stopper.join();
  ASSERT_FALSE(first_result);
  ASSERT_FALSE(second_result);
  EXPECT_EQ(first->close_code(), 1001);
  EXPECT_EQ(second->close_code(), 1001);
  std::lock_guard lock(probe.mutex);
  EXPECT_EQ(probe.closed, 2);  // on_closed exactly once per connection
}

TEST(WsServerTest, StopWithoutDrainStillEndsEachHandlerOnce) {
  TestServer server;
  auto client = connect_ws(server);
  ASSERT_TRUE(client);
  auto& probe = server.probe();
  ASSERT_TRUE(probe.wait_for([&] { return probe.opened == 1; }));
  // The client does not answer the close handshake (its io runs only inside calls),
  // so the session is still open when the zero drain ends.
  server.server().stop(milliseconds(0));
  std::lock_guard lock(probe.mutex);
  EXPECT_EQ(probe.closed, 1);
  EXPECT_FALSE(probe.last_connection);
}

TEST(WsServerTest, ServerSideCloseSendsQueuedFramesFirst) {
  TestServer server;
  auto client = connect_ws(server);
  ASSERT_TRUE(client);
  auto& probe = server.probe();
  ASSERT_TRUE(probe.wait_for([&] { return probe.opened == 1; }));
  std::shared_ptr<WsConnection> connection;
  {
    std::lock_guard lock(probe.mutex);
    connection = probe.last_connection;
  }
  connection->post([connection] {
    connection->try_send(std::make_shared<const std::string>("one"));
    connection->try_send(std::make_shared<const std::string>("two"));
    connection->close(CloseCode::kPolicyViolation, "bye");
  });
  connection.reset();
  auto one = client->receive(seconds(5));
  auto two = client->receive(seconds(5));
  auto end = client->receive(seconds(5));
  ASSERT_TRUE(one);
  ASSERT_TRUE(two);
  EXPECT_EQ(*one, "one");
  EXPECT_EQ(*two, "two");
  ASSERT_FALSE(end);
  EXPECT_EQ(client->close_code(), 1008);
  EXPECT_TRUE(probe.wait_for([&] { return probe.closed == 1; }));
}

TEST(WsServerTest, ClientAbortEndsTheSessionOnce) {
  TestServer server;
  auto client = connect_ws(server);
  ASSERT_TRUE(client);
  auto& probe = server.probe();
  ASSERT_TRUE(probe.wait_for([&] { return probe.opened == 1; }));
  client->abort_for_test();
  EXPECT_TRUE(probe.wait_for([&] { return probe.closed == 1; }));
  auto send = client->send("late");
  ASSERT_FALSE(send);
  EXPECT_EQ(send.error().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace wl::net
