// Receipts in a big group (docs/protocol.md, "Receipts"): one message to 200 members,
// each of whom receives, acknowledges and reads it, must cost O(members) frames in
// all, not one frame per member per reader.

#include <chrono>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include "support/server_process.hpp"
#include "support/test_client.hpp"

namespace wl::testing {
namespace {
namespace json = boost::json;

constexpr std::size_t kMembers = 200;  // Besides the sender.
constexpr std::string_view kBenchPassword = "wardline-bench-password";

// What one connection received after the message was sent.
struct Tally {
  std::size_t frames = 0;
  bool has_message = false;
  std::set<std::int64_t> delivered_by;
  std::set<std::int64_t> read_by;

  void count(const json::value& frame) {
    ++frames;
    const auto apply = [this](const json::value& event) {
      const std::string_view kind = event.at("kind").as_string();
      if (kind == "message") {
        has_message = true;
      } else if (kind == "delivered") {
        delivered_by.insert(event.at("user_id").as_int64());
      } else if (kind == "read") {
        read_by.insert(event.at("user_id").as_int64());
      }
    };
    const std::string_view type = frame.at("type").as_string();
    if (type == "event") {
      apply(frame.at("event"));
    } else if (type == "events") {
      for (const json::value& event : frame.at("events").as_array()) {
        apply(event);
      }
    }
  }
};

TEST(GroupReceiptsTest, AMessageToTwoHundredMembersCostsFramesLinearInMembers) {
  TempDir temp;
  const auto data = temp.path() / "data";
  std::string output;
  ASSERT_EQ(run_wardline({"bench", "setup", "--data-dir", data.string(), "--count",
                          std::to_string(kMembers + 1)},
                         &output),
            0)
      << output;
  // A window long enough that every read mark of the burst falls into one or two.
  ServerProcess server(data, {"--bench-limits", "--read-window-ms", "1500"});
  server.start();

  std::vector<std::unique_ptr<TestClient>> clients;
  for (std::size_t i = 0; i <= kMembers; ++i) {
    clients.push_back(std::make_unique<TestClient>(
        server.client_options(), "bench-" + std::to_string(i), kBenchPassword, "Bench"));
    ASSERT_FALSE(clients.back()->token().empty()) << "bench-" << i;
  }
  TestClient& sender = *clients[0];
  json::array member_ids;
  for (std::size_t i = 1; i <= kMembers; ++i) {
    member_ids.push_back(clients[i]->user_id());
  }
  const json::value thread =
      sender.post("/api/v1/threads", json::object{{"kind", "group"},
                                                  {"title", "Mass casualty drill"},
                                                  {"member_ids", member_ids}});
  const std::int64_t thread_id = thread.at("id").as_int64();

  // Connected after the group was made: each stream starts now, with the message.
  for (auto& client : clients) {
    ASSERT_EQ(client->connect().at("type").as_string(), "welcome");
    // Another member's connecting may come first: presence may arrive at any time.
    json::value frame = client->next();
    while (frame.is_object() && frame.at("type").as_string() == "presence") {
      frame = client->next();
    }
    ASSERT_EQ(frame.at("type").as_string(), "caught_up");
  }

  // Their presence news is not the message's cost: it is read off first.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (auto& client : clients) {
    while (!client->next(std::chrono::milliseconds(20)).is_null()) {
    }
  }

  std::vector<Tally> tallies(clients.size());
  sender.send_frame(json::object{{"type", "send"},
                                 {"thread_id", thread_id},
                                 {"client_id", "drill-1"},
                                 {"body", "Incident command: all staff report to the ED."}});
  std::int64_t message_id = 0;
  for (std::size_t i = 1; i <= kMembers; ++i) {
    TestClient& member = *clients[i];
    while (!tallies[i].has_message) {
      const json::value frame = member.next();
      ASSERT_FALSE(frame.is_null()) << "bench-" << i << " never got the message";
      tallies[i].count(frame);
      if (frame.at("type").as_string() == "event" &&
          frame.at("event").at("kind").as_string() == "message") {
        message_id = frame.at("event").at("id").as_int64();
      }
    }
    member.send_frame(json::object{{"type", "ack"}, {"message_ids", json::array{message_id}}});
    member.send_frame(json::object{{"type", "read"}, {"thread_id", thread_id}, {"up_to_seq", 1}});
  }

  // The sender hears of every delivery and every read.
  while (tallies[0].delivered_by.size() < kMembers || tallies[0].read_by.size() < kMembers) {
    const json::value frame = sender.next();
    ASSERT_FALSE(frame.is_null()) << "the sender heard of " << tallies[0].delivered_by.size()
                                  << " deliveries and " << tallies[0].read_by.size() << " reads";
    tallies[0].count(frame);
  }
  // Whatever else is on its way arrives within the window; then every connection is
  // drained.
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  std::size_t total = 0;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    for (json::value frame = clients[i]->next(std::chrono::milliseconds(50)); !frame.is_null();
         frame = clients[i]->next(std::chrono::milliseconds(50))) {
      tallies[i].count(frame);
    }
    total += tallies[i].frames;
  }

  // Nothing is lost: every member knows every reader's mark. A delivery goes only to
  // the sender and the member it is about.
  for (std::size_t i = 1; i <= kMembers; ++i) {
    EXPECT_EQ(tallies[i].read_by.size(), kMembers) << "bench-" << i;
    EXPECT_EQ(tallies[i].delivered_by, std::set<std::int64_t>{clients[i]->user_id()})
        << "bench-" << i;
  }
  // Per member: the message, its own delivery, a read batch or two; the sender: a
  // delivery and a read batch per member at most. Without coalescing it is a read
  // frame per member per reader: 200 x 201.
  EXPECT_LE(total, 10 * kMembers) << "frames for one message to " << kMembers << " members";
  std::cout << "[ frames   ] one message to " << kMembers << " members: " << total << " frames\n";
}

}  // namespace
}  // namespace wl::testing
