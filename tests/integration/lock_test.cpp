// Automatic logoff as a lock (docs/security.md, "Automatic logoff"): after the org's
// idle time a session locks instead of ending; it keeps its WebSocket and its stream,
// refuses every action until the user's PIN or password unlocks it, and still ends at
// its absolute expiry. The server's clock is moved, never waited for.

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "integration/fixture.hpp"

namespace wl::testing {
namespace {
namespace json = boost::json;
using std::chrono::hours;
using std::chrono::minutes;

constexpr std::string_view kPin = "402913";

class LockTest : public ServerTest {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        temp_.path() / "data",
        std::vector<std::string>{"--session-check-seconds", "1", "--test-clock-file",
                                 (temp_.path() / "data.clock").string()});
    server_->start();
    ASSERT_NE(server_->port(), 0);
  }

  static std::string code_of(const HttpAnswer& answer) {
    if (!answer.body.is_object() || !answer.body.as_object().contains("error")) {
      return {};
    }
    return std::string(answer.body.at("error").at("code").as_string());
  }

  static std::string message_of(const HttpAnswer& answer) {
    return std::string(answer.body.at("error").at("message").as_string());
  }

  static HttpAnswer unlock(TestClient& client, std::string_view field, std::string_view secret) {
    return client.call("POST", "/api/v1/session/unlock",
                       json::serialize(json::object{{field, secret}}));
  }

  static HttpAnswer set_pin(TestClient& client, std::string_view pin,
                            std::string_view password = kDemoPassword) {
    return client.call("PUT", "/api/v1/me/pin",
                       json::serialize(json::object{{"password", password}, {"pin", pin}}));
  }

  static bool is_locked_notice(const json::value& frame, bool locked) {
    return is_type(frame, "session") && frame.at("locked").as_bool() == locked;
  }

  static json::object read_frame(std::int64_t thread, std::string_view ref) {
    return json::object{{"type", "read"}, {"thread_id", thread}, {"up_to_seq", 1}, {"ref", ref}};
  }
};

TEST_F(LockTest, AnIdleSessionLocksKeepsReceivingAndRefusesToAct) {
  auto patel = login("dr.patel");
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  ASSERT_FALSE(patel->connect().at("locked").as_bool());
  patel->next_matching([](auto& f) { return is_type(f, "caught_up"); });

  server_->advance_clock(minutes(31));
  // Locked, not ended: the connection hears so and stays open.
  ASSERT_FALSE(patel->next_matching([](auto& f) { return is_locked_notice(f, true); }).is_null());
  const HttpAnswer refused = patel->call("GET", "/api/v1/threads");
  EXPECT_EQ(refused.status, 423);
  EXPECT_EQ(code_of(refused), "session_locked");
  const HttpAnswer state = patel->call("GET", "/api/v1/session");
  ASSERT_EQ(state.status, 200);
  EXPECT_TRUE(state.body.at("locked").as_bool());

  // Receiving continues: a colleague's message arrives and its delivery is recorded.
  auto sender = login("rn.harper");
  sender->connect();
  ASSERT_TRUE(is_type(sender->send_message(thread, "while-locked", "Bed 4 is asking for you"),
                      "sent"));
  const json::value arrived = patel->next_matching([](auto& f) { return is_event(f, "message"); });
  ASSERT_FALSE(arrived.is_null());
  patel->send_frame(json::object{
      {"type", "ack"}, {"message_ids", json::array{arrived.at("event").at("id").as_int64()}}});
  EXPECT_FALSE(sender->next_matching([](auto& f) { return is_event(f, "delivered"); }).is_null());

  // Acting is refused, each frame answered by its ref.
  const json::value send = patel->send_message(thread, "locked-send", "Coming");
  EXPECT_EQ(send.at("code").as_string(), "session_locked");
  EXPECT_EQ(send.at("ref").as_string(), "locked-send");
  patel->send_frame(read_frame(thread, "r1"));
  const json::value read = patel->next_matching([](auto& f) { return is_type(f, "error"); });
  ASSERT_FALSE(read.is_null());
  EXPECT_EQ(read.at("code").as_string(), "session_locked");
  EXPECT_EQ(read.at("ref").as_string(), "r1");
  patel->send_frame(json::object{{"type", "ping"}, {"ref", "p1"}});
  EXPECT_FALSE(patel->next_matching([](auto& f) { return is_type(f, "pong"); }).is_null());
}

TEST_F(LockTest, PassiveTrafficDoesNotKeepTheSessionUnlockedButActionsDo) {
  auto patel = login("dr.patel");
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  patel->connect();
  harper->connect();

  server_->advance_clock(minutes(20));
  // Receiving, acknowledging, pinging and reconnecting are not the user's actions.
  ASSERT_TRUE(is_type(harper->send_message(thread, "m1", "Potassium 6.1"), "sent"));
  const json::value arrived = patel->next_matching([](auto& f) { return is_event(f, "message"); });
  ASSERT_FALSE(arrived.is_null());
  patel->send_frame(json::object{
      {"type", "ack"}, {"message_ids", json::array{arrived.at("event").at("id").as_int64()}}});
  patel->send_frame(json::object{{"type", "ping"}});
  patel->disconnect();
  patel->connect();
  server_->advance_clock(minutes(11));
  EXPECT_EQ(patel->call("GET", "/api/v1/threads").status, 423);
  // harper sent 11 minutes ago: still unlocked.
  EXPECT_EQ(harper->call("GET", "/api/v1/threads").status, 200);
  server_->advance_clock(minutes(29));
  EXPECT_EQ(harper->call("GET", "/api/v1/threads").status, 200);
}

TEST_F(LockTest, ThePinSetWithThePasswordUnlocks) {
  auto patel = login("dr.patel");
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  EXPECT_EQ(patel->call("GET", "/api/v1/session").body.at("has_pin").as_bool(), false);
  ASSERT_EQ(set_pin(*patel, kPin).status, 204);
  patel->connect();
  patel->next_matching([](auto& f) { return is_type(f, "caught_up"); });

  // The "Lock" button of a shared station.
  ASSERT_EQ(patel->call("POST", "/api/v1/session/lock").status, 204);
  EXPECT_FALSE(patel->next_matching([](auto& f) { return is_locked_notice(f, true); }).is_null());
  EXPECT_EQ(patel->call("GET", "/api/v1/threads").status, 423);
  EXPECT_EQ(patel->call("GET", "/api/v1/me/storage-key").status, 423);

  const HttpAnswer unlocked = unlock(*patel, "pin", kPin);
  ASSERT_EQ(unlocked.status, 200) << json::serialize(unlocked.body);
  EXPECT_FALSE(unlocked.body.at("locked").as_bool());
  EXPECT_TRUE(unlocked.body.at("has_pin").as_bool());
  EXPECT_EQ(patel->call("GET", "/api/v1/threads").status, 200);
  EXPECT_TRUE(is_type(patel->send_message(thread, "after-unlock", "On my way"), "sent"));
}

TEST_F(LockTest, WrongPinsLockThePinOutAndThePasswordStillUnlocks) {
  auto patel = login("dr.patel");
  ASSERT_EQ(set_pin(*patel, kPin).status, 204);
  ASSERT_EQ(patel->call("POST", "/api/v1/session/lock").status, 204);
  for (int left = 4; left >= 1; --left) {
    const HttpAnswer wrong = unlock(*patel, "pin", "918273");
    ASSERT_EQ(wrong.status, 403);
    EXPECT_EQ(code_of(wrong), "permission_denied");
    EXPECT_NE(message_of(wrong).find(std::to_string(left)), std::string::npos)
        << message_of(wrong);
  }
  const HttpAnswer fifth = unlock(*patel, "pin", "918273");
  EXPECT_EQ(fifth.status, 412);
  EXPECT_EQ(code_of(fifth), "failed_precondition");
  // Now even the right PIN is refused: the password is needed.
  const HttpAnswer right_pin = unlock(*patel, "pin", kPin);
  EXPECT_EQ(right_pin.status, 412);
  EXPECT_EQ(patel->call("GET", "/api/v1/session").body.at("pin_tries_left").as_int64(), 0);
  const HttpAnswer wrong_password = unlock(*patel, "password", "not the demo password at all");
  EXPECT_EQ(wrong_password.status, 403);
  EXPECT_EQ(patel->call("GET", "/api/v1/threads").status, 423);
  ASSERT_EQ(unlock(*patel, "password", kDemoPassword).status, 200);
  EXPECT_EQ(patel->call("GET", "/api/v1/threads").status, 200);
  // The unlock restored the PIN's tries.
  EXPECT_EQ(patel->call("GET", "/api/v1/session").body.at("pin_tries_left").as_int64(), 5);
}

TEST_F(LockTest, WrongPasswordsAtUnlockCountTowardTheSignInLock) {
  auto patel = login("dr.patel");
  ASSERT_EQ(patel->call("POST", "/api/v1/session/lock").status, 204);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(unlock(*patel, "password", "not the demo password at all").status, 403);
  }
  const HttpAnswer locked = unlock(*patel, "password", "not the demo password at all");
  EXPECT_EQ(locked.status, 429);
  EXPECT_NE(message_of(locked).find("locked until"), std::string::npos);
  // The same username from the same address is locked at login too.
  TestClient again(server_->client_options());
  const HttpAnswer login_answer = again.call(
      "POST", "/api/v1/login",
      json::serialize(json::object{{"username", "dr.patel"}, {"password", kDemoPassword}}));
  EXPECT_EQ(login_answer.status, 429);
}

TEST_F(LockTest, PinRulesRefuseShortTrivialAndGuessablePins) {
  auto patel = login("dr.patel");
  for (const std::string_view pin : {"12345", "12345a", "1234567890123", "000000", "123456",
                                     "654321", "121212", "123123", "890123"}) {
    const HttpAnswer refused = set_pin(*patel, pin);
    EXPECT_EQ(refused.status, 400) << pin;
    EXPECT_EQ(code_of(refused), "invalid_argument") << pin;
  }
  EXPECT_EQ(set_pin(*patel, kPin, "not the demo password at all").status, 403);
  EXPECT_EQ(patel->call("PUT", "/api/v1/me/pin", R"({"pin":"402913"})").status, 400);
  EXPECT_EQ(set_pin(*patel, kPin).status, 204);
  EXPECT_EQ(set_pin(*patel, "7730519188").status, 204);
  // A locked session cannot change its PIN.
  ASSERT_EQ(patel->call("POST", "/api/v1/session/lock").status, 204);
  EXPECT_EQ(set_pin(*patel, kPin).status, 423);
}

TEST_F(LockTest, TheAbsoluteLifetimeStillEndsALockedSession) {
  auto patel = login("dr.patel");
  patel->connect();
  server_->advance_clock(minutes(31));
  EXPECT_EQ(patel->call("GET", "/api/v1/threads").status, 423);
  server_->advance_clock(hours(12));
  const json::value ended = patel->next_matching(
      [](auto& f) { return is_type(f, "error") && f.at("code").as_string() == "unauthenticated"; });
  ASSERT_FALSE(ended.is_null());
  EXPECT_TRUE(patel->next(std::chrono::seconds(5)).is_null());
  EXPECT_EQ(patel->ws()->close_code(), 1008);
  const HttpAnswer expired = unlock(*patel, "password", kDemoPassword);
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(message_of(expired).find("expired"), std::string::npos);
}

TEST_F(LockTest, AnOrgAdminSetsTheIdleTimeWithinBounds) {
  auto admin = login("admin");
  auto patel = login("dr.patel");
  const auto set = [](TestClient& client, std::int64_t seconds) {
    return client.call("PUT", "/api/v1/admin/idle-lock",
                       json::serialize(json::object{{"idle_lock_seconds", seconds}}));
  };
  EXPECT_EQ(set(*patel, 300).status, 403);
  EXPECT_EQ(set(*admin, 30).status, 400);
  EXPECT_EQ(set(*admin, 3600).status, 400);
  ASSERT_EQ(set(*admin, 300).status, 200);
  EXPECT_EQ(patel->call("GET", "/api/v1/session").body.at("idle_lock_seconds").as_int64(), 300);
  server_->advance_clock(minutes(4));
  EXPECT_EQ(patel->call("GET", "/api/v1/threads").status, 200);
  server_->advance_clock(minutes(6));
  EXPECT_EQ(patel->call("GET", "/api/v1/threads").status, 423);
}

TEST_F(LockTest, LocksUnlocksAndPinChangesAreAuditedWithoutTheSecrets) {
  auto patel = login("dr.patel");
  ASSERT_EQ(set_pin(*patel, kPin).status, 204);
  server_->advance_clock(minutes(31));
  EXPECT_EQ(patel->call("GET", "/api/v1/threads").status, 423);
  EXPECT_EQ(unlock(*patel, "pin", "918273").status, 403);
  ASSERT_EQ(unlock(*patel, "pin", kPin).status, 200);
  ASSERT_EQ(patel->call("POST", "/api/v1/session/lock").status, 204);
  ASSERT_EQ(unlock(*patel, "password", kDemoPassword).status, 200);
  server_->stop();

  const auto has = [&](std::string_view action, std::string_view outcome,
                       std::string_view detail) {
    for (const AuditEntry& entry : audit_entries()) {
      if (entry.draft.action == action && entry.draft.outcome == outcome &&
          entry.draft.detail.find(detail) != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(has("pin.set", "ok", "replaced=false"));
  EXPECT_TRUE(has("session.lock", "ok", "reason=idle"));
  EXPECT_TRUE(has("auth.refused", "denied", "reason=session_locked"));
  EXPECT_TRUE(has("session.unlock", "failed", "reason=wrong_pin"));
  EXPECT_TRUE(has("session.unlock", "ok", "method=pin"));
  EXPECT_TRUE(has("session.lock", "ok", "device="));
  EXPECT_TRUE(has("session.unlock", "ok", "method=password"));
  for (const AuditEntry& entry : audit_entries()) {
    EXPECT_EQ(entry.draft.detail.find(kPin), std::string::npos) << entry.draft.detail;
    EXPECT_EQ(entry.draft.detail.find("918273"), std::string::npos) << entry.draft.detail;
    EXPECT_EQ(entry.draft.detail.find(kDemoPassword), std::string::npos) << entry.draft.detail;
  }
}

}  // namespace
}  // namespace wl::testing
