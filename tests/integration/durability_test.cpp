#include <map>
#include <set>

#include <boost/json/serialize.hpp>

#include "integration/fixture.hpp"

namespace wl::testing {
namespace {
namespace json = boost::json;

using DurabilityTest = ServerTest;

// kill -9 while a client has sends in flight: after restart every message the server
// acknowledged as sent is there exactly once, and the thread's sequence has no gaps.
TEST_F(DurabilityTest, EveryAcknowledgedMessageSurvivesKillMinusNine) {
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  harper->connect();
  harper->next_matching([](auto& f) { return is_type(f, "caught_up"); });

  constexpr int kWindow = 32;
  constexpr int kKillAfterAcks = 300;
  std::map<std::string, std::int64_t> acknowledged;  // client id -> message id
  int next = 0;
  int in_flight = 0;
  auto send_one = [&] {
    const std::string id = "crash-" + std::to_string(next++);
    harper->send_frame(json::object{
        {"type", "send"}, {"thread_id", thread}, {"client_id", id}, {"body", "vitals " + id}});
    ++in_flight;
  };
  for (int i = 0; i < kWindow; ++i) {
    send_one();
  }
  while (static_cast<int>(acknowledged.size()) < kKillAfterAcks) {
    const json::value frame = harper->next();
    ASSERT_FALSE(frame.is_null()) << "no reply from the server";
    if (is_type(frame, "sent")) {
      acknowledged[std::string(frame.at("client_id").as_string())] =
          frame.at("message_id").as_int64();
      --in_flight;
      send_one();
    } else {
      ASSERT_FALSE(is_type(frame, "error")) << json::serialize(frame);
    }
  }
  ASSERT_GT(in_flight, 0);
  server_->kill_hard();
  harper.reset();

  server_->start();
  auto reader = login("rn.harper");
  std::map<std::string, std::int64_t> stored;
  std::int64_t expected_seq = 0;
  std::int64_t before = 0;
  std::vector<json::value> all;
  for (;;) {
    const json::value page = reader->get("/api/v1/threads/" + std::to_string(thread) +
                                         "/messages?limit=200&before_seq=" +
                                         std::to_string(before));
    const auto& messages = page.at("messages").as_array();
    if (messages.empty()) {
      break;
    }
    for (const json::value& message : messages) {
      all.push_back(message);
    }
    before = messages.back().at("seq").as_int64();
    if (before == 1) {
      break;
    }
  }
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    const json::value& message = *it;
    EXPECT_EQ(message.at("seq").as_int64(), ++expected_seq);
    const std::string client_id(message.at("client_id").as_string());
    EXPECT_TRUE(stored.emplace(client_id, message.at("id").as_int64()).second)
        << client_id << " stored twice";
  }
  for (const auto& [client_id, message_id] : acknowledged) {
    auto found = stored.find(client_id);
    ASSERT_NE(found, stored.end()) << "acknowledged message " << client_id << " lost";
    EXPECT_EQ(found->second, message_id);
  }
}

}  // namespace
}  // namespace wl::testing
