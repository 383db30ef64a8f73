#include <boost/json/serialize.hpp>

#include "integration/fixture.hpp"

namespace wl::testing {
namespace {
namespace json = boost::json;

using MessagingTest = ServerTest;

TEST_F(MessagingTest, DemoUserLogsInAndSeesSeededThreads) {
  auto patel = login("dr.patel");
  const json::value threads = patel->get("/api/v1/threads");
  const auto& list = threads.at("threads").as_array();
  ASSERT_GE(list.size(), 2u);
  bool saw_patient_thread = false;
  for (const json::value& thread : list) {
    if (thread.at("kind").as_string() == "patient") {
      saw_patient_thread = true;
      EXPECT_EQ(thread.at("patient").at("mrn").as_string(), "100234");
      EXPECT_EQ(thread.at("patient").at("location").as_string(), "4 West, room 12");
    }
  }
  EXPECT_TRUE(saw_patient_thread);
}

TEST_F(MessagingTest, DirectThreadIsOnePerPair) {
  auto patel = login("dr.patel");
  auto okafor = login("dr.okafor");
  const std::int64_t first = direct_thread(*patel, "dr.okafor");
  const std::int64_t second = direct_thread(*okafor, "dr.patel");
  EXPECT_EQ(first, second);
}

TEST_F(MessagingTest, PatientThreadsAreSeparatePerPatient) {
  auto patel = login("dr.patel");
  const json::value patients = patel->get("/api/v1/patients");
  const auto& list = patients.at("patients").as_array();
  ASSERT_GE(list.size(), 2u);
  const std::int64_t okafor = patel->user_id_of("dr.okafor");
  auto open = [&](const json::value& patient) {
    return patel
        ->post("/api/v1/threads", json::object{{"kind", "patient"},
                                               {"patient_id", patient.at("id")},
                                               {"member_ids", json::array{okafor}}})
        .at("id")
        .as_int64();
  };
  const std::int64_t about_first = open(list[0]);
  const std::int64_t about_second = open(list[1]);
  EXPECT_NE(about_first, about_second);
  EXPECT_EQ(open(list[0]), about_first);  // Same pair, same patient: same thread.
}

TEST_F(MessagingTest, SentDeliveredReadFlowBackToTheSender) {
  auto harper = login("rn.harper");
  auto patel = login("dr.patel");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  ASSERT_TRUE(is_type(harper->connect(), "welcome"));
  ASSERT_TRUE(is_type(patel->connect(), "welcome"));
  ASSERT_FALSE(harper->next_matching([](auto& f) { return is_type(f, "caught_up"); }).is_null());
  ASSERT_FALSE(patel->next_matching([](auto& f) { return is_type(f, "caught_up"); }).is_null());

  const json::value sent = harper->send_message(thread, "c-1", "Potassium is 5.9, please call");
  ASSERT_TRUE(is_type(sent, "sent")) << json::serialize(sent);
  const std::int64_t message = sent.at("message_id").as_int64();
  EXPECT_EQ(sent.at("seq").as_int64(), 3);  // The demo seeded two messages.
  EXPECT_FALSE(sent.at("duplicate").as_bool());

  const json::value received =
      patel->next_matching([&](auto& f) { return is_event(f, "message"); });
  ASSERT_FALSE(received.is_null());
  EXPECT_EQ(received.at("event").at("body").as_string(), "Potassium is 5.9, please call");
  EXPECT_EQ(received.at("event").at("id").as_int64(), message);

  patel->send_frame(json::object{{"type", "ack"}, {"message_ids", json::array{message}}});
  const json::value delivered =
      harper->next_matching([&](auto& f) { return is_event(f, "delivered"); });
  ASSERT_FALSE(delivered.is_null());
  EXPECT_EQ(delivered.at("event").at("message_id").as_int64(), message);
  EXPECT_EQ(delivered.at("event").at("user_id").as_int64(), patel->user_id());

  // The history page says the same: received, not read.
  const std::string history_path = "/api/v1/threads/" + std::to_string(thread) + "/messages";
  const json::value before_read = harper->get(history_path);
  const auto& unread = before_read.at("receipts").at("delivered").as_array();
  ASSERT_EQ(unread.size(), 1u) << json::serialize(before_read);
  EXPECT_EQ(unread[0].at("message_id").as_int64(), message);
  EXPECT_EQ(unread[0].at("user_ids"), (json::array{patel->user_id()}));

  patel->send_frame(
      json::object{{"type", "read"}, {"thread_id", thread}, {"up_to_seq", sent.at("seq")}});
  const json::value read =
      harper->next_matching([&](auto& f) { return f.at("type").as_string() == "events"; });
  ASSERT_FALSE(read.is_null());
  EXPECT_EQ(read.at("events").at(0).at("kind").as_string(), "read");
  EXPECT_EQ(read.at("events").at(0).at("up_to_seq").as_int64(), 3);

  const json::value status = harper->get("/api/v1/messages/" + std::to_string(message) + "/status");
  const auto& recipients = status.at("recipients").as_array();
  ASSERT_EQ(recipients.size(), 1u);
  EXPECT_EQ(recipients[0].at("user_id").as_int64(), patel->user_id());
  EXPECT_TRUE(recipients[0].at("delivered_at").is_string());
  EXPECT_TRUE(recipients[0].at("read_at").is_string());

  const json::value after_read = harper->get(history_path);
  EXPECT_TRUE(after_read.at("receipts").at("delivered").as_array().empty());
  const auto& positions = after_read.at("receipts").at("read").as_array();
  ASSERT_EQ(positions.size(), 1u) << json::serialize(after_read);  // Not Harper's own.
  EXPECT_EQ(positions[0].at("user_id").as_int64(), patel->user_id());
  EXPECT_EQ(positions[0].at("up_to_seq").as_int64(), 3);
}

TEST_F(MessagingTest, ResendingAClientIdStoresOneMessage) {
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "dr.okafor");
  harper->connect();
  const json::value first = harper->send_message(thread, "same-id", "Bed 4 needs a review");
  const json::value second = harper->send_message(thread, "same-id", "Bed 4 needs a review");
  ASSERT_TRUE(is_type(first, "sent"));
  ASSERT_TRUE(is_type(second, "sent"));
  EXPECT_EQ(first.at("message_id"), second.at("message_id"));
  EXPECT_TRUE(second.at("duplicate").as_bool());
  const json::value history =
      harper->get("/api/v1/threads/" + std::to_string(thread) + "/messages");
  EXPECT_EQ(history.at("messages").as_array().size(), 1u);
}

// An outbox flushed at once (as after a reconnect) is stored in the order it was sent.
TEST_F(MessagingTest, PipelinedSendsCommitInTheOrderSent) {
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "dr.okafor");
  harper->connect();
  harper->next_matching([](auto& f) { return is_type(f, "caught_up"); });
  constexpr int kSends = 40;
  for (int i = 0; i < kSends; ++i) {
    harper->send_frame(json::object{{"type", "send"},
                                    {"thread_id", thread},
                                    {"client_id", "outbox-" + std::to_string(i)},
                                    {"body", "queued note " + std::to_string(i)}});
  }
  std::vector<std::int64_t> seqs;
  while (seqs.size() < kSends) {
    const json::value frame = harper->next_matching([](auto& f) { return is_type(f, "sent"); });
    ASSERT_FALSE(frame.is_null()) << "missing sent acks";
    EXPECT_EQ(frame.at("client_id").as_string(), "outbox-" + std::to_string(seqs.size()));
    seqs.push_back(frame.at("seq").as_int64());
  }
  for (std::size_t i = 1; i < seqs.size(); ++i) {
    EXPECT_EQ(seqs[i], seqs[i - 1] + 1) << "send " << i;
  }
}

TEST_F(MessagingTest, AClientIdReusedForADifferentMessageIsRefused) {
  auto harper = login("rn.harper");
  const std::int64_t first_thread = direct_thread(*harper, "dr.okafor");
  const std::int64_t second_thread = direct_thread(*harper, "dr.patel");
  auto stored_in_second = [&] {
    return harper->get("/api/v1/threads/" + std::to_string(second_thread) + "/messages")
        .at("messages")
        .as_array()
        .size();
  };
  const std::size_t before = stored_in_second();
  harper->connect();
  ASSERT_TRUE(
      is_type(harper->send_message(first_thread, "reused-id", "Bed 4 needs a review"), "sent"));
  const json::value other_body = harper->send_message(first_thread, "reused-id", "Bed 5 too");
  ASSERT_TRUE(is_type(other_body, "error")) << json::serialize(other_body);
  EXPECT_EQ(other_body.at("code").as_string(), "already_exists");
  const json::value other_thread =
      harper->send_message(second_thread, "reused-id", "Bed 4 needs a review");
  ASSERT_TRUE(is_type(other_thread, "error")) << json::serialize(other_thread);
  EXPECT_EQ(other_thread.at("code").as_string(), "already_exists");
  EXPECT_EQ(stored_in_second(), before);
}

TEST_F(MessagingTest, GroupMembersReceiveAndStatusListsEveryRecipient) {
  auto harper = login("rn.harper");
  auto santos = login("rn.santos");
  auto chen = login("rn.chen");
  const json::value group =
      harper->post("/api/v1/threads",
                   json::object{{"kind", "group"},
                                {"title", "Night shift"},
                                {"member_ids", json::array{santos->user_id(), chen->user_id()}}});
  const std::int64_t thread = group.at("id").as_int64();
  EXPECT_EQ(group.at("title").as_string(), "Night shift");
  harper->connect();
  santos->connect();
  chen->connect();
  const json::value sent = harper->send_message(thread, "g-1", "Handover at 19:00", true);
  ASSERT_TRUE(is_type(sent, "sent"));
  for (TestClient* member : {santos.get(), chen.get()}) {
    const json::value event =
        member->next_matching([&](auto& f) { return is_event(f, "message"); });
    ASSERT_FALSE(event.is_null());
    EXPECT_TRUE(event.at("event").at("urgent").as_bool());
  }
  const json::value status = harper->get(
      "/api/v1/messages/" + std::to_string(sent.at("message_id").as_int64()) + "/status");
  EXPECT_EQ(status.at("recipients").as_array().size(), 2u);

  // Removing a member stops their access.
  ASSERT_EQ(harper
                ->call("DELETE", "/api/v1/threads/" + std::to_string(thread) + "/members/" +
                                     std::to_string(chen->user_id()))
                .status,
            204);
  EXPECT_EQ(chen->call("GET", "/api/v1/threads/" + std::to_string(thread) + "/messages").status,
            403);
}

TEST_F(MessagingTest, OfflineClientResumesFromItsCursorExactlyOnce) {
  auto harper = login("rn.harper");
  auto patel = login("dr.patel");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  patel->connect();
  const json::value caught_up =
      patel->next_matching([](auto& f) { return is_type(f, "caught_up"); });
  ASSERT_FALSE(caught_up.is_null());
  const std::string cursor(caught_up.at("cursor").as_string());
  patel->disconnect();

  harper->connect();
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(is_type(
        harper->send_message(thread, "m-" + std::to_string(i), "update " + std::to_string(i)),
        "sent"));
  }

  ASSERT_TRUE(is_type(patel->connect(cursor), "welcome"));
  std::vector<std::string> bodies;
  std::int64_t last_id = 0;
  for (;;) {
    const json::value frame = patel->next();
    ASSERT_FALSE(frame.is_null()) << "stream stopped before caught_up";
    if (is_type(frame, "caught_up")) {
      break;
    }
    if (is_event(frame, "message")) {
      const std::int64_t id = frame.at("event").at("id").as_int64();
      EXPECT_GT(id, last_id);
      last_id = id;
      bodies.emplace_back(frame.at("event").at("body").as_string());
    }
  }
  EXPECT_EQ(bodies,
            (std::vector<std::string>{"update 1", "update 2", "update 3", "update 4", "update 5"}));
}

TEST_F(MessagingTest, CursorFromAnotherDatabaseGetsResync) {
  auto patel = login("dr.patel");
  ASSERT_TRUE(is_type(patel->connect("0123456789abcdef.5"), "welcome"));
  const json::value resync = patel->next();
  ASSERT_TRUE(is_type(resync, "resync")) << json::serialize(resync);
  EXPECT_FALSE(resync.at("cursor").as_string().empty());
}

TEST_F(MessagingTest, HistoryPagesBackwards) {
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "rn.chen");
  harper->connect();
  for (int i = 1; i <= 7; ++i) {
    harper->send_message(thread, "h-" + std::to_string(i), "note " + std::to_string(i));
  }
  const std::string base = "/api/v1/threads/" + std::to_string(thread) + "/messages?limit=3";
  const json::value newest = harper->get(base);
  const auto& page = newest.at("messages").as_array();
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].at("seq").as_int64(), 7);
  EXPECT_EQ(page[2].at("seq").as_int64(), 5);
  const json::value older = harper->get(base + "&before_seq=5");
  EXPECT_EQ(older.at("messages").as_array()[0].at("seq").as_int64(), 4);
}

TEST_F(MessagingTest, PresenceIsVisibleToColleagues) {
  auto harper = login("rn.harper");
  auto patel = login("dr.patel");
  harper->connect();
  harper->next_matching([](auto& f) { return is_type(f, "caught_up"); });
  patel->connect();
  const json::value online = harper->next_matching([&](auto& f) {
    return is_type(f, "presence") && f.at("user_id").as_int64() == patel->user_id();
  });
  ASSERT_FALSE(online.is_null());
  EXPECT_TRUE(online.at("online").as_bool());
  bool listed_online = false;
  const json::value directory = harper->get("/api/v1/users");
  for (const json::value& user : directory.at("users").as_array()) {
    if (user.at("id").as_int64() == patel->user_id()) {
      listed_online = user.at("online").as_bool();
    }
  }
  EXPECT_TRUE(listed_online);
  patel->disconnect();
  const json::value offline = harper->next_matching([&](auto& f) {
    return is_type(f, "presence") && f.at("user_id").as_int64() == patel->user_id() &&
           !f.at("online").as_bool();
  });
  EXPECT_FALSE(offline.is_null());
}

}  // namespace
}  // namespace wl::testing
