#include <set>

#include <boost/json/serialize.hpp>

#include "integration/fixture.hpp"
#include "net/client.hpp"

namespace wl::testing {
namespace {
namespace json = boost::json;

// Servers with small limits, so slow consumers and session checks show in a test.
class LiveTest : public ServerTest {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        temp_.path() / "data",
        std::vector<std::string>{"--ws-queue-frames", "8", "--session-check-seconds", "1",
                                 "--hello-timeout-seconds", "1"});
    server_->start();
    ASSERT_NE(server_->port(), 0);
  }
};

TEST_F(LiveTest, RevokingADeviceClosesItsOpenConnection) {
  auto phone = login("dr.patel");
  auto desktop = login("dr.patel");
  ASSERT_TRUE(is_type(phone->connect(), "welcome"));
  const json::value devices = desktop->get("/api/v1/devices");
  std::int64_t phone_device = 0;
  for (const json::value& device : devices.at("devices").as_array()) {
    if (!device.at("current").as_bool() && !device.at("revoked").as_bool()) {
      phone_device = device.at("id").as_int64();
    }
  }
  ASSERT_NE(phone_device, 0);
  ASSERT_EQ(desktop->call("DELETE", "/api/v1/devices/" + std::to_string(phone_device)).status, 204);
  const json::value ended = phone->next_matching(
      [](auto& f) { return is_type(f, "error") && f.at("code").as_string() == "unauthenticated"; },
      std::chrono::seconds(15));
  ASSERT_FALSE(ended.is_null());
  EXPECT_TRUE(phone->next(std::chrono::seconds(5)).is_null());  // Then the socket closes.
  EXPECT_EQ(phone->ws()->close_code(), 1008);
  EXPECT_EQ(phone->call("GET", "/api/v1/me").status, 401);
}

// A socket that never authenticates is closed once its hello deadline passes; one
// that says hello in time stays open past it.
TEST_F(LiveTest, SocketWithoutHelloIsClosedAtItsDeadline) {
  auto silent = net::WsClient::connect(server_->client_options(), "/api/v1/ws");
  ASSERT_TRUE(silent) << silent.error().to_string();
  auto harper = login("rn.harper");
  ASSERT_TRUE(is_type(harper->connect(), "welcome"));
  auto received = (*silent)->receive(std::chrono::seconds(10));
  ASSERT_FALSE(received.has_value()) << "expected the close, got " << *received;
  EXPECT_EQ((*silent)->close_code(), 1008);
  // The authenticated one outlives the deadline and still works.
  const std::int64_t thread = direct_thread(*harper, "dr.okafor");
  EXPECT_TRUE(is_type(harper->send_message(thread, "after-deadline", "Still here"), "sent"));
}

TEST_F(LiveTest, AdminRotatesKeysWhileServingAndOldMessagesStillRead) {
  auto harper = login("rn.harper");
  auto admin = login("admin");
  const std::int64_t thread = direct_thread(*harper, "rn.chen");
  harper->connect();
  ASSERT_TRUE(is_type(harper->send_message(thread, "k-1", "before rotation"), "sent"));
  EXPECT_EQ(harper->call("POST", "/api/v1/admin/keys/rotate").status, 403);
  const json::value rotated = admin->post("/api/v1/admin/keys/rotate", json::object{});
  EXPECT_GE(rotated.at("data_key_id").as_int64(), 2);
  ASSERT_TRUE(is_type(harper->send_message(thread, "k-2", "after rotation"), "sent"));
  const json::value history =
      harper->get("/api/v1/threads/" + std::to_string(thread) + "/messages");
  const auto& messages = history.at("messages").as_array();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].at("body").as_string(), "after rotation");
  EXPECT_EQ(messages[1].at("body").as_string(), "before rotation");
}

// A recipient that stops reading while thousands of large messages arrive: its
// queue fills, the server stops queuing for it without losing anything, and once it
// reads again it gets every message exactly once, in order. Eight senders stay within
// the per-user send rate limit.
TEST_F(LiveTest, SlowConsumerLosesNothingAndGetsEverythingInOrder) {
  auto patel = login("dr.patel");
  patel->connect();
  patel->next_matching([](auto& f) { return is_type(f, "caught_up"); });

  // About 12 MB to a reader that does not read: more than socket buffers hold.
  constexpr int kPerSender = 375;
  const std::vector<std::string> senders = {"rn.harper",  "rn.santos", "rn.chen",   "rn.muller",
                                            "rn.adeyemi", "dr.okafor", "dr.garcia", "pa.kim"};
  const std::string padding(3900, 'x');
  std::set<std::string> expected;
  for (const std::string& name : senders) {
    auto sender = login(name);
    const std::int64_t thread = direct_thread(*sender, "dr.patel");
    sender->connect();
    int acknowledged = 0;
    int sent = 0;
    auto send_next = [&] {
      const std::string id = name + "-" + std::to_string(sent++);
      expected.insert(id);
      sender->send_frame(json::object{
          {"type", "send"}, {"thread_id", thread}, {"client_id", id}, {"body", id + padding}});
    };
    for (int i = 0; i < 32; ++i) {
      send_next();
    }
    while (acknowledged < kPerSender) {
      const json::value frame = sender->next();
      ASSERT_FALSE(frame.is_null());
      if (is_type(frame, "sent")) {
        ++acknowledged;
        if (sent < kPerSender) {
          send_next();
        }
      } else {
        ASSERT_FALSE(is_type(frame, "error")) << json::serialize(frame);
      }
    }
  }
  // Other users are still served while patel's queue is full.
  auto chen = login("rn.chen");
  EXPECT_EQ(chen->call("GET", "/api/v1/threads").status, 200);

  std::int64_t last_id = 0;
  std::set<std::string> received;
  while (received.size() < expected.size()) {
    const json::value frame = patel->next(std::chrono::seconds(20));
    ASSERT_FALSE(frame.is_null()) << "stream stopped after " << received.size() << " messages";
    if (!is_event(frame, "message")) {
      continue;
    }
    const json::value& event = frame.at("event");
    EXPECT_GT(event.at("id").as_int64(), last_id) << "out of order or repeated";
    last_id = event.at("id").as_int64();
    EXPECT_TRUE(received.insert(std::string(event.at("client_id").as_string())).second);
  }
  EXPECT_EQ(received, expected);
}

}  // namespace
}  // namespace wl::testing
