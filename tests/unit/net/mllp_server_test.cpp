#include "net/mllp_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/hl7/mllp.hpp"
#include "net/mllp_client.hpp"
#include "net/mllp_load_client.hpp"
#include "unit/net/net_test_support.hpp"
#include "unit/net/plain_client.hpp"
#include "unit/net/raw_tls_client.hpp"

// The MLLP listener over real loopback sockets, plain and TLS: framing in any chunking,
// ordering of ACKs, the pipelining bound, limits, timeouts and the drain at stop.
namespace wl::net {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// "ACK:<payload>": what TestHandler answers with.
std::string ack_of(std::string_view payload) { return "ACK:" + std::string(payload); }
std::string framed_ack_of(std::string_view payload) { return hl7::encode_mllp(ack_of(payload)); }

// Answers at once (kEcho), keeps every reply for the test to call (kHold; payloads
// starting "PING" are still answered at once), or drops every reply uncalled (kDrop).
class TestHandler final : public MllpHandler {
 public:
  enum class Mode { kEcho, kHold, kDrop };

  explicit TestHandler(Mode mode = Mode::kEcho) : mode_(mode) {}

  void on_message(MllpMessage message, MllpReply reply) override {
    std::unique_lock lock(mutex_);
    received_.push_back(message);
    if (mode_ == Mode::kDrop) {
      changed_.notify_all();
      return;  // `reply` is destroyed uncalled.
    }
    if (mode_ == Mode::kHold && !message.payload.starts_with("PING")) {
      held_.push_back(std::move(reply));
      changed_.notify_all();
      return;
    }
    changed_.notify_all();
    lock.unlock();
    reply(ack_of(message.payload));
  }

  // Waits until the handler got `count` messages in all; false after 5 s.
  bool wait_received(std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, seconds(5), [&] { return received_.size() >= count; });
  }
  bool wait_held(std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, seconds(5), [&] { return held_.size() >= count; });
  }

  std::vector<MllpMessage> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::size_t held_count() {
    std::lock_guard lock(mutex_);
    return held_.size();
  }
  // Calls held reply `index` (from 0, in arrival order) with the echo ACK of its message.
  void answer(std::size_t index, const std::string& payload) {
    MllpReply reply;
    {
      std::lock_guard lock(mutex_);
      reply = held_.at(index);
      held_.at(index) = nullptr;
    }
    reply(ack_of(payload));
  }
  // Drops the replies still held (they must go before the server is destroyed).
  void release_held() {
    std::lock_guard lock(mutex_);
    held_.clear();
  }

 private:
  const Mode mode_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<MllpMessage> received_;
  std::vector<MllpReply> held_;
};

// A started listener on 127.0.0.1, port 0; stops (and drops held replies) on destruction.
class Listener {
 public:
  explicit Listener(TestHandler& handler, MllpOptions options = {}, bool with_tls = false)
      : handler_(handler) {
    options.address = "127.0.0.1";
    options.port = 0;
    std::optional<TlsCredentials> tls;
    if (with_tls) {
      tls = testing::test_credentials();
    }
    server_ = std::make_unique<MllpServer>(options, std::move(tls), handler);
    Result<void> started = server_->start();
    if (!started) {
      throw std::runtime_error(started.error().to_string());
    }
  }
  ~Listener() {
    server_->stop(milliseconds(0));
    handler_.release_held();
    server_.reset();
  }

  MllpServer& server() { return *server_; }
  std::uint16_t port() const { return server_->port(); }

  MllpClientOptions client_options(bool with_tls = false) const {
    MllpClientOptions options;
    options.server.host = "127.0.0.1";
    options.server.port = server_->port();
    options.server.timeout = seconds(5);
    options.server.ca_file = testing::test_certificates().ca_certificate.string();
    options.tls = with_tls;
    return options;
  }

  // Waits until `condition(counts())` holds; false after 5 s.
  bool wait_counts(const std::function<bool(const MllpCounts&)>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(5);
    while (!condition(server_->counts())) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(milliseconds(2));
    }
    return true;
  }

 private:
  TestHandler& handler_;
  std::unique_ptr<MllpServer> server_;
};

// A plain loopback connection; reads wait at most 5 s.
class PlainPeer {
 public:
  // On `socket_fd` if given (bound to another source address, say), else a new socket.
  explicit PlainPeer(std::uint16_t port, int socket_fd = -1)
      : fd_(testing::connect_tcp(port, socket_fd)) {}
  ~PlainPeer() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  PlainPeer(const PlainPeer&) = delete;
  PlainPeer& operator=(const PlainPeer&) = delete;

  bool is_connected() const { return fd_ >= 0; }
  bool write(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  // Reads until `count` frames have arrived (or close/timeout) and returns them.
  std::vector<std::string> read_frames(std::size_t count) {
    std::vector<std::string> frames;
    char chunk[4096];
    while (frames.size() < count) {
      if (auto frame = decoder_.next()) {
        frames.push_back(std::move(*frame));
        continue;
      }
      const ssize_t received = ::recv(fd_, chunk, sizeof chunk, 0);
      if (received <= 0 ||
          !decoder_.feed(std::string_view(chunk, static_cast<std::size_t>(received)))) {
        break;
      }
    }
    return frames;
  }
  bool is_closed_by_server() { return testing::is_closed_by_server(fd_); }

 private:
  int fd_;
  hl7::MllpDecoder decoder_;
};

TEST(MllpServerTest, AcknowledgesAMessageSplitIntoSingleBytes) {
  TestHandler handler;
  Listener listener(handler);
  PlainPeer peer(listener.port());
  ASSERT_TRUE(peer.is_connected());
  for (const char byte : hl7::encode_mllp("MSH|^~\\&|one")) {
    ASSERT_TRUE(peer.write(std::string_view(&byte, 1)));
  }
  EXPECT_EQ(peer.read_frames(1), std::vector<std::string>{ack_of("MSH|^~\\&|one")});
  const auto received = handler.received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].payload, "MSH|^~\\&|one");
  EXPECT_EQ(received[0].remote_address, "127.0.0.1");
  EXPECT_NE(received[0].connection_id, 0u);
}

TEST(MllpServerTest, AcknowledgesSeveralFramesInOneWriteInOrderSkippingBytesBetween) {
  TestHandler handler;
  Listener listener(handler);
  PlainPeer peer(listener.port());
  ASSERT_TRUE(peer.write("\r\n" + hl7::encode_mllp("first") + "noise\n" +
                         hl7::encode_mllp("second") + hl7::encode_mllp("third") + "\r\n"));
  EXPECT_EQ(peer.read_frames(3),
            (std::vector<std::string>{ack_of("first"), ack_of("second"), ack_of("third")}));
  ASSERT_TRUE(listener.wait_counts([](const MllpCounts& counts) {
    return counts.frames_received == 3 && counts.replies_sent == 3;
  }));
  EXPECT_EQ(listener.server().counts().framing_errors, 0u);
  EXPECT_EQ(listener.server().counts().connections_accepted, 1u);
  EXPECT_EQ(listener.server().counts().open_connections, 1u);
}

TEST(MllpServerTest, PartialFrameOfAPeerThatDisconnectsNeverReachesTheHandler) {
  TestHandler handler;
  Listener listener(handler);
  {
    PlainPeer peer(listener.port());
    ASSERT_TRUE(peer.write(hl7::encode_mllp("whole") + "\x0Bpartial message, no end"));
    EXPECT_EQ(peer.read_frames(1), std::vector<std::string>{ack_of("whole")});
  }
  ASSERT_TRUE(
      listener.wait_counts([](const MllpCounts& counts) { return counts.truncated_frames == 1; }));
  ASSERT_TRUE(
      listener.wait_counts([](const MllpCounts& counts) { return counts.open_connections == 0; }));
  const auto received = handler.received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].payload, "whole");
}

TEST(MllpServerTest, FrameOverTheLimitClosesTheConnection) {
  TestHandler handler;
  MllpOptions options;
  options.max_frame_bytes = 64;
  Listener listener(handler, options);
  PlainPeer peer(listener.port());
  ASSERT_TRUE(peer.write(hl7::encode_mllp(std::string(64, 'x'))));
  EXPECT_EQ(peer.read_frames(1), std::vector<std::string>{ack_of(std::string(64, 'x'))});
  ASSERT_TRUE(peer.write(hl7::encode_mllp(std::string(65, 'y'))));
  EXPECT_TRUE(peer.is_closed_by_server());
  EXPECT_EQ(handler.received().size(), 1u);
  EXPECT_EQ(listener.server().counts().framing_errors, 1u);
  EXPECT_EQ(listener.server().counts().oversize_frames, 1u);
}

TEST(MllpServerTest, BrokenFramingClosesTheConnectionAfterAcknowledgingWhatCameBefore) {
  TestHandler handler;
  Listener listener(handler);
  PlainPeer peer(listener.port());
  // A start block inside a frame.
  ASSERT_TRUE(peer.write(hl7::encode_mllp("good") + "\x0B"
                                                    "half\x0B"
                                                    "again\x1C\r"));
  EXPECT_EQ(peer.read_frames(1), std::vector<std::string>{ack_of("good")});
  EXPECT_TRUE(peer.is_closed_by_server());
  PlainPeer other(listener.port());
  // An end block not followed by a carriage return.
  ASSERT_TRUE(
      other.write("\x0B"
                  "bad\x1Cx"));
  EXPECT_TRUE(other.is_closed_by_server());
  EXPECT_EQ(handler.received().size(), 1u);
  EXPECT_EQ(listener.server().counts().framing_errors, 2u);
  EXPECT_EQ(listener.server().counts().oversize_frames, 0u);
}

TEST(MllpServerTest, WritesAcksInArrivalOrderWhenRepliesComeOutOfOrder) {
  TestHandler handler(TestHandler::Mode::kHold);
  Listener listener(handler);
  PlainPeer peer(listener.port());
  ASSERT_TRUE(peer.write(hl7::encode_mllp("m1") + hl7::encode_mllp("m2") + hl7::encode_mllp("m3")));
  ASSERT_TRUE(handler.wait_held(3));
  std::thread replier([&] {
    handler.answer(2, "m3");
    handler.answer(1, "m2");
    handler.answer(0, "m1");
  });
  replier.join();
  EXPECT_EQ(peer.read_frames(3),
            (std::vector<std::string>{ack_of("m1"), ack_of("m2"), ack_of("m3")}));
}

TEST(MllpServerTest, StopsReadingAtMaxInFlightUntilAnAckIsWritten) {
  TestHandler handler(TestHandler::Mode::kHold);
  MllpOptions options;
  options.max_in_flight = 2;
  options.threads = 1;
  Listener listener(handler, options);
  PlainPeer peer(listener.port());
  ASSERT_TRUE(peer.write(hl7::encode_mllp("m1") + hl7::encode_mllp("m2") + hl7::encode_mllp("m3") +
                         hl7::encode_mllp("m4")));
  ASSERT_TRUE(handler.wait_held(2));
  // A round trip on another connection of the same io thread: the first connection's
  // bytes were read before it, and any message they held would have been handed over.
  PlainPeer other(listener.port());
  ASSERT_TRUE(other.write(hl7::encode_mllp("PING")));
  ASSERT_EQ(other.read_frames(1), std::vector<std::string>{ack_of("PING")});
  EXPECT_EQ(handler.held_count(), 2u);

  handler.answer(0, "m1");
  EXPECT_EQ(peer.read_frames(1), std::vector<std::string>{ack_of("m1")});
  ASSERT_TRUE(handler.wait_held(3));
  ASSERT_TRUE(other.write(hl7::encode_mllp("PING2")));
  ASSERT_EQ(other.read_frames(1), std::vector<std::string>{ack_of("PING2")});
  EXPECT_EQ(handler.held_count(), 3u);

  handler.answer(1, "m2");
  handler.answer(2, "m3");
  ASSERT_TRUE(handler.wait_held(4));
  handler.answer(3, "m4");
  EXPECT_EQ(peer.read_frames(3),
            (std::vector<std::string>{ack_of("m2"), ack_of("m3"), ack_of("m4")}));
}

TEST(MllpServerTest, ClosesAConnectionIdleForTheTimeout) {
  TestHandler handler;
  MllpOptions options;
  options.idle_timeout = seconds(1);
  Listener listener(handler, options);
  PlainPeer peer(listener.port());
  ASSERT_TRUE(peer.write(hl7::encode_mllp("one")));
  EXPECT_EQ(peer.read_frames(1), std::vector<std::string>{ack_of("one")});
  // The peer's receive timeout (5 s) is longer than the idle limit.
  EXPECT_TRUE(peer.is_closed_by_server());
  EXPECT_TRUE(
      listener.wait_counts([](const MllpCounts& counts) { return counts.open_connections == 0; }));
}

TEST(MllpServerTest, RefusesConnectionsOverMaxConnections) {
  TestHandler handler;
  MllpOptions options;
  options.max_connections = 1;
  Listener listener(handler, options);
  PlainPeer first(listener.port());
  ASSERT_TRUE(first.write(hl7::encode_mllp("one")));
  ASSERT_EQ(first.read_frames(1), std::vector<std::string>{ack_of("one")});
  PlainPeer second(listener.port());
  EXPECT_TRUE(second.is_closed_by_server());
  EXPECT_EQ(listener.server().counts().connections_refused, 1u);
  ASSERT_TRUE(first.write(hl7::encode_mllp("two")));
  EXPECT_EQ(first.read_frames(1), std::vector<std::string>{ack_of("two")});
}

// A TCP socket bound to `source` (a loopback address), to connect from there.
int socket_from(const char* source) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &address.sin_addr);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST(MllpServerTest, RefusesConnectionsOverTheCapPerAddressAndServesOtherAddresses) {
  TestHandler handler;
  MllpOptions options;
  options.max_connections = 8;
  options.max_connections_per_address = 2;
  Listener listener(handler, options);
  PlainPeer first(listener.port());
  PlainPeer second(listener.port());
  ASSERT_TRUE(first.write(hl7::encode_mllp("one")));
  ASSERT_TRUE(second.write(hl7::encode_mllp("two")));
  ASSERT_EQ(first.read_frames(1), std::vector<std::string>{ack_of("one")});
  ASSERT_EQ(second.read_frames(1), std::vector<std::string>{ack_of("two")});
  // A third from 127.0.0.1 is over its address's cap; one from 127.0.0.2 is not.
  PlainPeer third(listener.port());
  EXPECT_TRUE(third.is_closed_by_server());
  const int other_socket = socket_from("127.0.0.2");
  ASSERT_GE(other_socket, 0);
  PlainPeer other(listener.port(), other_socket);
  ASSERT_TRUE(other.write(hl7::encode_mllp("other")));
  EXPECT_EQ(other.read_frames(1), std::vector<std::string>{ack_of("other")});
  const MllpCounts counts = listener.server().counts();
  EXPECT_EQ(counts.connections_refused, 1u);
  EXPECT_EQ(counts.connections_accepted, 3u);
  EXPECT_EQ(counts.open_connections, 3u);
}

TEST(MllpServerTest, DroppingAReplyUncalledClosesTheConnection) {
  TestHandler handler(TestHandler::Mode::kDrop);
  Listener listener(handler);
  PlainPeer peer(listener.port());
  ASSERT_TRUE(peer.write(hl7::encode_mllp("lost")));
  EXPECT_TRUE(peer.is_closed_by_server());
  EXPECT_EQ(listener.server().counts().replies_sent, 0u);
}

TEST(MllpServerTest, AnAckThatCannotBeFramedClosesTheConnection) {
  struct Framing final : MllpHandler {
    void on_message(MllpMessage, MllpReply reply) override {
      reply(
          "bad\x1C"
          "ack");
    }
  } handler;
  MllpServer server(MllpOptions{.address = "127.0.0.1", .port = 0}, std::nullopt, handler);
  ASSERT_TRUE(server.start());
  PlainPeer peer(server.port());
  ASSERT_TRUE(peer.write(hl7::encode_mllp("x")));
  EXPECT_TRUE(peer.is_closed_by_server());
  server.stop(milliseconds(0));
}

TEST(MllpServerTest, StopWritesInFlightAcksWithinTheDrainThenCloses) {
  TestHandler handler(TestHandler::Mode::kHold);
  Listener listener(handler);
  PlainPeer peer(listener.port());
  ASSERT_TRUE(peer.write(hl7::encode_mllp("m1")));
  ASSERT_TRUE(handler.wait_held(1));
  std::thread stopper([&] { listener.server().stop(seconds(10)); });
  // The listener has stopped accepting once a connect is refused.
  const auto deadline = std::chrono::steady_clock::now() + seconds(5);
  while (PlainPeer(listener.port()).is_connected() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  handler.answer(0, "m1");
  EXPECT_EQ(peer.read_frames(1), std::vector<std::string>{ack_of("m1")});
  EXPECT_TRUE(peer.is_closed_by_server());
  stopper.join();
  EXPECT_EQ(listener.server().counts().replies_sent, 1u);
}

TEST(MllpServerTest, StopCutsConnectionsStillWaitingAtTheDrainDeadline) {
  TestHandler handler(TestHandler::Mode::kHold);
  Listener listener(handler);
  PlainPeer peer(listener.port());
  ASSERT_TRUE(peer.write(hl7::encode_mllp("m1") + hl7::encode_mllp("m2")));
  ASSERT_TRUE(handler.wait_held(2));
  listener.server().stop(milliseconds(50));
  EXPECT_TRUE(peer.is_closed_by_server());
  // A reply after the stop goes nowhere (and must not crash).
  handler.answer(0, "m1");
  EXPECT_EQ(listener.server().counts().replies_sent, 0u);
}

TEST(MllpServerTest, StopWithNoDrainClosesTheListenerAtOnce) {
  TestHandler handler;
  Listener listener(handler);
  listener.server().stop(milliseconds(0));
  PlainPeer peer(listener.port());
  EXPECT_FALSE(peer.is_connected());
}

TEST(MllpServerTest, RejectsZeroLimits) {
  TestHandler handler;
  MllpServer server(MllpOptions{.port = 0, .max_in_flight = 0}, std::nullopt, handler);
  auto started = server.start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code(), Code::kInvalidArgument);
}

// --- TLS ------------------------------------------------------------------------------

TEST(MllpServerTlsTest, AcknowledgesFramesInAnyChunkingOverTls) {
  TestHandler handler;
  Listener listener(handler, {}, /*with_tls=*/true);
  auto client = testing::RawTlsClient::connect(listener.port());
  ASSERT_NE(client, nullptr);
  const std::string first = hl7::encode_mllp("one");
  ASSERT_TRUE(client->write(first.substr(0, 2)));
  ASSERT_TRUE(client->write(first.substr(2) + "\r\n" + hl7::encode_mllp("two")));
  EXPECT_EQ(client->read_exact(framed_ack_of("one").size() + framed_ack_of("two").size()),
            framed_ack_of("one") + framed_ack_of("two"));
}

TEST(MllpServerTlsTest, RefusesOldProtocolsLikeTheHttpsServer) {
  TestHandler handler;
  Listener listener(handler, {}, /*with_tls=*/true);
  testing::RawTlsOptions old;
  old.max_version = TLS1_1_VERSION;
  EXPECT_EQ(testing::RawTlsClient::connect(listener.port(), old), nullptr);
  EXPECT_TRUE(listener.wait_counts(
      [](const MllpCounts& counts) { return counts.tls_handshake_failures == 1; }));
}

TEST(MllpServerTlsTest, WritesAcksInArrivalOrderOverTls) {
  TestHandler handler(TestHandler::Mode::kHold);
  Listener listener(handler, {}, /*with_tls=*/true);
  auto client = MllpClient::connect(listener.client_options(/*with_tls=*/true));
  ASSERT_TRUE(client) << client.error().to_string();
  ASSERT_TRUE((*client)->send("m1"));
  ASSERT_TRUE((*client)->send("m2"));
  ASSERT_TRUE(handler.wait_held(2));
  handler.answer(1, "m2");
  handler.answer(0, "m1");
  auto first = (*client)->receive();
  auto second = (*client)->receive();
  ASSERT_TRUE(first) << first.error().to_string();
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_EQ(*first, ack_of("m1"));
  EXPECT_EQ(*second, ack_of("m2"));
}

TEST(MllpServerTlsTest, HandshakeTimeoutClosesASilentConnection) {
  TestHandler handler;
  MllpOptions options;
  options.tls_handshake_timeout = seconds(1);
  Listener listener(handler, options, /*with_tls=*/true);
  PlainPeer peer(listener.port());
  EXPECT_TRUE(peer.is_closed_by_server());
}

// --- The clients ------------------------------------------------------------------------

TEST(MllpClientTest, ExchangesOverPlainTcp) {
  TestHandler handler;
  Listener listener(handler);
  auto client = MllpClient::connect(listener.client_options());
  ASSERT_TRUE(client) << client.error().to_string();
  auto ack = (*client)->exchange("MSH|x");
  ASSERT_TRUE(ack) << ack.error().to_string();
  EXPECT_EQ(*ack, ack_of("MSH|x"));
}

TEST(MllpClientTest, RefusesAServerItsCaDidNotSign) {
  TestHandler handler;
  Listener listener(handler, {}, /*with_tls=*/true);
  MllpClientOptions options = listener.client_options(/*with_tls=*/true);
  options.server.ca_file.clear();  // The system store does not know the test CA.
  auto client = MllpClient::connect(options);
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code(), Code::kUnavailable);
}

TEST(MllpClientTest, ReportsARefusedConnectionAsUnavailable) {
  std::uint16_t port = 0;
  {
    TestHandler handler;
    Listener listener(handler);
    port = listener.port();
  }
  MllpClientOptions options;
  options.server.host = "127.0.0.1";
  options.server.port = port;
  auto client = MllpClient::connect(options);
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code(), Code::kUnavailable);
}

TEST(MllpClientTest, ReportsAMissingAckAsDeadlineExceeded) {
  TestHandler handler(TestHandler::Mode::kHold);
  Listener listener(handler);
  MllpClientOptions options = listener.client_options();
  options.server.timeout = milliseconds(200);
  auto client = MllpClient::connect(options);
  ASSERT_TRUE(client) << client.error().to_string();
  auto ack = (*client)->exchange("never answered");
  ASSERT_FALSE(ack);
  EXPECT_EQ(ack.error().code(), Code::kDeadlineExceeded);
}

// Sends `count` numbered messages per connection and checks each ACK answers its own.
class CountingSource final : public MllpLoadSource {
 public:
  CountingSource(std::size_t connections, std::size_t per_connection)
      : sent_(connections, 0),
        last_(connections),
        mismatches_(connections, 0),
        per_connection_(per_connection) {}

  std::optional<std::string> next_message(std::size_t index) override {
    if (sent_[index] == per_connection_) {
      return std::nullopt;
    }
    last_[index] = "c" + std::to_string(index) + "-" + std::to_string(sent_[index]++);
    return last_[index];
  }
  void on_ack(std::size_t index, std::string_view ack, std::chrono::nanoseconds) override {
    if (ack != ack_of(last_[index])) {
      ++mismatches_[index];
    }
  }
  std::size_t mismatches() const {
    std::size_t total = 0;
    for (const std::size_t count : mismatches_) {
      total += count;
    }
    return total;
  }

 private:
  std::vector<std::size_t> sent_;
  std::vector<std::string> last_;
  std::vector<std::size_t> mismatches_;
  const std::size_t per_connection_;
};

TEST(MllpLoadClientTest, DrivesEveryConnectionToTheEndOverTls) {
  TestHandler handler;
  MllpOptions server_options;
  server_options.threads = 2;
  Listener listener(handler, server_options, /*with_tls=*/true);
  CountingSource source(4, 25);
  MllpLoadOptions options;
  options.client = listener.client_options(/*with_tls=*/true);
  options.connections = 4;
  options.threads = 2;
  auto result = run_mllp_load(options, source);
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result->connections_opened, 4u);
  EXPECT_EQ(result->connections_failed, 0u);
  EXPECT_EQ(result->acks, 100u);
  EXPECT_FALSE(result->is_timed_out);
  EXPECT_EQ(source.mismatches(), 0u);
}

}  // namespace
}  // namespace wl::net
