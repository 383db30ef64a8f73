// Threads on a real ward: reopening a patient conversation, a direct thread that
// reaches its recipient with its first message, renaming a group, a removed member's
// send, and messages written offline. Each runs the real server over TLS.

#include <chrono>
#include <string>
#include <vector>

#include <boost/json/serialize.hpp>

#include "core/time.hpp"
#include "integration/fixture.hpp"

namespace wl::testing {
namespace {
namespace json = boost::json;

using ThreadsTest = ServerTest;

std::string thread_path(std::int64_t thread, std::string_view rest = {}) {
  return "/api/v1/threads/" + std::to_string(thread) + std::string(rest);
}

bool lists_thread(TestClient& client, std::int64_t thread) {
  const json::value threads = client.get("/api/v1/threads");
  for (const json::value& item : threads.at("threads").as_array()) {
    if (item.at("id").as_int64() == thread) {
      return true;
    }
  }
  return false;
}

// Waits for the caught_up that follows welcome; returns its cursor.
std::string caught_up(TestClient& client) {
  const json::value frame = client.next_matching(
      [](const json::value& f) { return f.at("type").as_string() == "caught_up"; });
  EXPECT_FALSE(frame.is_null());
  return frame.is_null() ? std::string() : std::string(frame.at("cursor").as_string());
}

// The events of one thread a client receives until (and including) its message `until`.
std::vector<json::value> events_until_message(TestClient& client, std::int64_t thread,
                                              std::string_view until_body) {
  std::vector<json::value> events;
  while (true) {
    const json::value frame = client.next_matching([&](const json::value& f) {
      return f.at("type").as_string() == "event" &&
             f.at("event").at("thread_id").as_int64() == thread;
    });
    if (frame.is_null()) {
      ADD_FAILURE() << "no message '" << until_body << "' in thread " << thread;
      return events;
    }
    events.push_back(frame.at("event"));
    if (frame.at("event").at("kind").as_string() == "message" &&
        frame.at("event").at("body").as_string() == until_body) {
      return events;
    }
  }
}

std::vector<std::string> kinds(const std::vector<json::value>& events) {
  std::vector<std::string> names;
  for (const json::value& event : events) {
    names.emplace_back(event.at("kind").as_string());
  }
  return names;
}

json::object patient_thread(std::int64_t patient, json::array members) {
  return json::object{{"kind", "patient"}, {"patient_id", patient}, {"member_ids", members}};
}

TEST_F(ThreadsTest, TheSamePatientWithTheSamePeopleReopensTheirThread) {
  auto patel = login("dr.patel");
  const std::int64_t okafor = patel->user_id_of("dr.okafor");
  const std::int64_t harper = patel->user_id_of("rn.harper");

  const json::value first = patel->post("/api/v1/threads", patient_thread(1, {okafor, harper}));
  EXPECT_FALSE(first.at("existing").as_bool());
  // The same people in another order, the caller named too: the same conversation.
  const json::value again =
      patel->post("/api/v1/threads", patient_thread(1, {harper, patel->user_id(), okafor}));
  EXPECT_EQ(again.at("id"), first.at("id"));
  EXPECT_TRUE(again.at("existing").as_bool());
  // So for another of its members who starts it.
  auto okafor_client = login("dr.okafor");
  const json::value from_okafor =
      okafor_client->post("/api/v1/threads", patient_thread(1, {patel->user_id(), harper}));
  EXPECT_EQ(from_okafor.at("id"), first.at("id"));
  EXPECT_TRUE(from_okafor.at("existing").as_bool());

  // Another patient, or other people, is another conversation.
  EXPECT_NE(patel->post("/api/v1/threads", patient_thread(2, {okafor, harper})).at("id"),
            first.at("id"));
  const json::value more = patel->post(
      "/api/v1/threads", patient_thread(1, {okafor, harper, patel->user_id_of("rn.chen")}));
  EXPECT_NE(more.at("id"), first.at("id"));
  EXPECT_FALSE(more.at("existing").as_bool());

  // Once its members changed, the old thread no longer matches the old set.
  const std::int64_t thread = first.at("id").as_int64();
  ASSERT_EQ(patel->call("DELETE", thread_path(thread, "/members/" + std::to_string(harper))).status,
            204);
  const json::value after_removal =
      patel->post("/api/v1/threads", patient_thread(1, {okafor, harper}));
  EXPECT_NE(after_removal.at("id"), first.at("id"));
  EXPECT_FALSE(after_removal.at("existing").as_bool());
}

TEST_F(ThreadsTest, AnEmptyDirectThreadReachesTheRecipientWithItsFirstMessage) {
  auto patel = login("dr.patel");
  auto patel_device = login("dr.patel");  // Watches the sender's stream.
  auto haddad = login("dr.haddad");
  ASSERT_TRUE(is_type(patel->connect(), "welcome"));
  ASSERT_TRUE(is_type(patel_device->connect(), "welcome"));
  ASSERT_TRUE(is_type(haddad->connect(), "welcome"));
  caught_up(*patel);
  caught_up(*patel_device);
  const std::string before = caught_up(*haddad);

  const json::value opened = patel->post(
      "/api/v1/threads", json::object{{"kind", "direct"}, {"user_id", haddad->user_id()}});
  const std::int64_t thread = opened.at("id").as_int64();
  EXPECT_FALSE(opened.at("existing").as_bool());
  EXPECT_TRUE(lists_thread(*patel, thread));
  EXPECT_FALSE(lists_thread(*haddad, thread));

  const json::value sent = patel->send_message(thread, "first-1", "Can you see bed 9 today?");
  ASSERT_TRUE(is_type(sent, "sent")) << json::serialize(sent);
  // The recipient's stream starts with their own member_added, then the message.
  const std::vector<json::value> live =
      events_until_message(*haddad, thread, "Can you see bed 9 today?");
  ASSERT_EQ(kinds(live), (std::vector<std::string>{"member_added", "message"}));
  EXPECT_EQ(live[0].at("user_id").as_int64(), haddad->user_id());
  EXPECT_EQ(live[0].at("by_user_id").as_int64(), patel->user_id());
  EXPECT_TRUE(lists_thread(*haddad, thread));
  // The sender saw the creation at once and sees the recipient join before the message.
  const std::vector<json::value> sender =
      events_until_message(*patel_device, thread, "Can you see bed 9 today?");
  EXPECT_EQ(kinds(sender), (std::vector<std::string>{"thread_created", "member_added",
                                                     "member_added", "message"}));

  // Replay from the cursor before the thread existed gives exactly what came live.
  haddad->disconnect();
  ASSERT_TRUE(is_type(haddad->connect(before), "welcome"));
  const std::vector<json::value> replayed =
      events_until_message(*haddad, thread, "Can you see bed 9 today?");
  ASSERT_EQ(replayed.size(), live.size());
  for (std::size_t i = 0; i < live.size(); ++i) {
    EXPECT_EQ(replayed[i], live[i]) << i;
  }
  // The second message brings no second member_added.
  ASSERT_TRUE(is_type(patel->send_message(thread, "first-2", "Thanks."), "sent"));
  const std::vector<json::value> next = events_until_message(*haddad, thread, "Thanks.");
  EXPECT_EQ(kinds(next), (std::vector<std::string>{"message"}));
}

TEST_F(ThreadsTest, OpeningAnEmptyDirectThreadBringsItToTheOtherSideToo) {
  auto patel = login("dr.patel");
  auto haddad = login("dr.haddad");
  const json::value opened = patel->post(
      "/api/v1/threads", json::object{{"kind", "direct"}, {"user_id", haddad->user_id()}});
  const std::int64_t thread = opened.at("id").as_int64();
  ASSERT_FALSE(lists_thread(*haddad, thread));

  ASSERT_TRUE(is_type(patel->connect(), "welcome"));
  ASSERT_TRUE(is_type(haddad->connect(), "welcome"));
  caught_up(*patel);
  caught_up(*haddad);
  const json::value from_haddad = haddad->post(
      "/api/v1/threads", json::object{{"kind", "direct"}, {"user_id", patel->user_id()}});
  EXPECT_EQ(from_haddad.at("id").as_int64(), thread);
  EXPECT_TRUE(from_haddad.at("existing").as_bool());
  EXPECT_TRUE(lists_thread(*haddad, thread));
  const json::value joined = haddad->next_matching([&](const json::value& f) {
    return is_event(f, "member_added") && f.at("event").at("thread_id").as_int64() == thread;
  });
  ASSERT_FALSE(joined.is_null());
  EXPECT_EQ(joined.at("event").at("user_id").as_int64(), haddad->user_id());

  // The other side hears them join; the first message then adds nobody.
  ASSERT_TRUE(is_type(haddad->send_message(thread, "h-1", "Here."), "sent"));
  const std::vector<json::value> at_patel = events_until_message(*patel, thread, "Here.");
  ASSERT_EQ(kinds(at_patel), (std::vector<std::string>{"member_added", "message"}));
  EXPECT_EQ(at_patel[0].at("user_id").as_int64(), haddad->user_id());
}

TEST_F(ThreadsTest, AMessageWrittenOfflineKeepsTheTimeItWasWritten) {
  auto harper = login("rn.harper");
  auto patel = login("dr.patel");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  ASSERT_TRUE(is_type(harper->connect(), "welcome"));
  ASSERT_TRUE(is_type(patel->connect(), "welcome"));
  caught_up(*harper);
  caught_up(*patel);
  const auto now =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  const std::string written = format_rfc3339(now - std::chrono::minutes(18));
  const auto send = [&](std::string_view client_id, json::value written_at) {
    harper->send_frame(json::object{{"type", "send"},
                                    {"thread_id", thread},
                                    {"client_id", client_id},
                                    {"body", "Bed 4 obs done"},
                                    {"written_at", written_at}});
    return harper->next_matching([&](const json::value& f) {
      return (is_type(f, "sent") && f.at("client_id").as_string() == client_id) ||
             (is_type(f, "error") && f.at("ref").as_string() == client_id);
    });
  };

  const json::value sent = send("w-1", json::string(written));
  ASSERT_TRUE(is_type(sent, "sent")) << json::serialize(sent);
  const json::value live = patel->next_matching([&](const json::value& f) {
    return is_event(f, "message") && f.at("event").at("client_id").as_string() == "w-1";
  });
  ASSERT_FALSE(live.is_null());
  EXPECT_EQ(live.at("event").at("written_at").as_string(), written);
  const json::value message =
      harper->get("/api/v1/messages/" + std::to_string(sent.at("message_id").as_int64()));
  EXPECT_EQ(message.at("written_at").as_string(), written);
  const json::value history = harper->get(thread_path(thread, "/messages?limit=1"));
  EXPECT_EQ(history.at("messages").at(0).at("written_at").as_string(), written);

  // Without it, the field is null.
  ASSERT_TRUE(is_type(harper->send_message(thread, "w-2", "Now"), "sent"));
  EXPECT_TRUE(harper->get(thread_path(thread, "/messages?limit=1"))
                  .at("messages")
                  .at(0)
                  .at("written_at")
                  .is_null());

  // Too far ahead, too old, or not a time: refused, and nothing stored.
  for (const auto& [client_id, value] : std::vector<std::pair<std::string, std::string>>{
           {"w-ahead", format_rfc3339(now + std::chrono::hours(1))},
           {"w-old", format_rfc3339(now - std::chrono::hours(24 * 30))},
           {"w-bad", "yesterday at two"}}) {
    const json::value refused = send(client_id, json::string(value));
    ASSERT_TRUE(is_type(refused, "error")) << client_id << " " << json::serialize(refused);
    EXPECT_EQ(refused.at("code").as_string(), "invalid_argument") << client_id;
  }
  const json::value wrong_type = send("w-number", json::value(12));
  EXPECT_EQ(wrong_type.at("message").as_string(), "field 'written_at' must be a string");
  EXPECT_EQ(harper->get(thread_path(thread)).at("last_seq").as_int64(), 4);
}

}  // namespace
}  // namespace wl::testing
