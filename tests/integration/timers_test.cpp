// Durable timers in the running server (docs/architecture.md, "Timers"): the purge of
// ended sessions is a timer scheduled in the store, so it survives a kill -9, runs on
// the server's clock (moved by the test, never waited for) and runs once.

#include <algorithm>
#include <chrono>
#include <thread>

#include <boost/json/serialize.hpp>

#include "core/crypto/hash.hpp"
#include "integration/fixture.hpp"
#include "ports/clock.hpp"

namespace wl::testing {
namespace {
using std::chrono::hours;
namespace json = boost::json;

class TimersTest : public ServerTest {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        temp_.path() / "data",
        std::vector<std::string>{"--test-clock-file", (temp_.path() / "data.clock").string()});
    server_->start();
    ASSERT_NE(server_->port(), 0);
  }

  // Whether the session is still stored, read beside the running server.
  bool session_stored(const std::string& token_hash) {
    SqliteOptions options;
    options.read_only = true;
    auto store =
        SqliteStore::open(server_->data_dir() / "wardline.db", make_audit_chainer(), options);
    EXPECT_TRUE(store.has_value()) << store.error().to_string();
    return store && (*store)->find_session(token_hash).has_value();
  }

  // Waits (bounded) for the server's timer thread to purge the session.
  bool purged_soon(const std::string& token_hash) {
    for (int i = 0; i < 200; ++i) {
      if (!session_stored(token_hash)) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
};

TEST_F(TimersTest, AnEndedSessionIsPurgedOnceByATimerThatSurvivesAKill) {
  const std::string token_hash = crypto::sha256(login("dr.patel")->token());
  ASSERT_TRUE(session_stored(token_hash));
  // Killed before the purge is due: the timer is in the store, not in the process.
  server_->kill_hard();
  server_->start();

  // A week after the session's 12-hour lifetime ended, it is still kept...
  server_->advance_clock(hours(12) + hours(24 * 7) - hours(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(session_stored(token_hash));
  // ...and past that, the next hourly purge deletes it.
  server_->advance_clock(hours(2));
  EXPECT_TRUE(purged_soon(token_hash));
  const std::string kept = crypto::sha256(login("rn.harper")->token());
  server_->advance_clock(hours(3));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(session_stored(kept));
  server_->stop();

  int purges = 0;
  for (const AuditEntry& entry : audit_entries()) {
    if (entry.draft.action == "session.purge") {
      ++purges;
      EXPECT_EQ(entry.draft.detail, "count=1");
      EXPECT_EQ(entry.draft.outcome, "ok");
    }
  }
  EXPECT_EQ(purges, 1);
}

// What a server killed between claiming a timer and completing it leaves behind is a
// claimed, uncompleted timer. The next server leaves it alone while the dead claim's
// lease runs, then runs it once; the dead claim can never complete.
TEST_F(TimersTest, ATimerClaimedByAKilledServerRunsOnceAfterItsLease) {
  const std::string token_hash = crypto::sha256(login("dr.patel")->token());
  server_->kill_hard();
  const auto ahead = hours(12) + hours(24 * 7) + hours(2);
  Timer dead_claim;
  {
    auto store = SqliteStore::open(server_->data_dir() / "wardline.db", make_audit_chainer());
    ASSERT_TRUE(store.has_value()) << store.error().to_string();
    auto claimed =
        (*store)->claim_due_timers(SystemClock().now() + ahead, std::chrono::minutes(1), 10);
    ASSERT_TRUE(claimed.has_value()) << claimed.error().to_string();
    // The purge, and whatever else the demo left due by then (its messages' escalations).
    const auto purge = std::find_if(claimed->begin(), claimed->end(), [](const Timer& timer) {
      return timer.kind == "session.purge";
    });
    ASSERT_NE(purge, claimed->end());
    dead_claim = *purge;
  }

  server_->start();
  server_->advance_clock(ahead);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(session_stored(token_hash));  // The dead claim's lease still holds it.
  server_->advance_clock(std::chrono::minutes(2));
  EXPECT_TRUE(purged_soon(token_hash));
  server_->stop();

  auto store = SqliteStore::open(server_->data_dir() / "wardline.db", make_audit_chainer());
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  EXPECT_EQ(
      commit_one<bool>(**store, CompleteTimer{dead_claim.id, dead_claim.attempt}).error().code(),
      Code::kAborted);
  store->reset();
  int purges = 0;
  for (const AuditEntry& entry : audit_entries()) {
    purges += entry.draft.action == "session.purge" ? 1 : 0;
  }
  EXPECT_EQ(purges, 1);
}

// An escalation is a timer too: killed in the middle of a chain, the next server goes
// on from the step the chain had reached, and each step happens once. The demo's
// policy moves an urgent message on after 2 minutes; dr.okafor's backups are dr.haddad,
// then Rapid Response RN.
TEST_F(TimersTest, AnEscalationGoesOnAcrossAKillAndEachStepHappensOnce) {
  auto harper = login("rn.harper");
  const std::int64_t okafor = harper->user_id_of("dr.okafor");
  const json::value thread =
      harper->post("/api/v1/threads", json::object{{"kind", "direct"}, {"user_id", okafor}});
  const std::int64_t thread_id = thread.at("id").as_int64();
  harper->connect();
  const json::value sent = harper->send_message(thread_id, "esc-kill-1", "K 6.8, call now", true);
  ASSERT_EQ(sent.at("type").as_string(), "sent") << json::serialize(sent);
  const std::int64_t seq = sent.at("seq").as_int64();

  // How many steps the thread records, read beside the running server.
  auto steps = [&]() -> std::size_t {
    SqliteOptions options;
    options.read_only = true;
    auto store =
        SqliteStore::open(server_->data_dir() / "wardline.db", make_audit_chainer(), options);
    EXPECT_TRUE(store.has_value()) << store.error().to_string();
    auto routed = store ? (*store)->read_thread_routing(ThreadId(thread_id), seq, seq)
                        : Result<std::vector<Event>>(std::vector<Event>());
    return routed ? routed->size() : 0;
  };
  auto steps_soon = [&](std::size_t wanted) {
    for (int i = 0; i < 200 && steps() < wanted; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return steps();
  };

  server_->advance_clock(std::chrono::minutes(2));
  EXPECT_EQ(steps_soon(1), 1u) << "dr.haddad";
  server_->kill_hard();
  server_->start();
  server_->advance_clock(std::chrono::minutes(2));
  EXPECT_GE(steps_soon(2), 2u) << "Rapid Response RN";
  const std::size_t reached = steps();
  // Past the last step: the sender is told once, and nothing more happens.
  server_->advance_clock(std::chrono::minutes(2));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  server_->advance_clock(std::chrono::minutes(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(steps(), reached);
  server_->stop();

  int escalations = 0;
  int unanswered = 0;
  const std::string target = "message:" + std::to_string(sent.at("message_id").as_int64());
  for (const AuditEntry& entry : audit_entries()) {
    if (entry.draft.target == target) {
      escalations += entry.draft.action == "message.escalate" ? 1 : 0;
      unanswered += entry.draft.action == "message.unanswered" ? 1 : 0;
    }
  }
  EXPECT_EQ(escalations, 2);
  EXPECT_EQ(unanswered, 1);
}

// A held message waits in the store: killed while dr.okafor is off duty, the next
// server delivers it when his period ends, once.
TEST_F(TimersTest, AHeldMessageIsReleasedOnceAfterAKill) {
  auto harper = login("rn.harper");
  auto okafor = login("dr.okafor");
  const std::int64_t okafor_id = harper->user_id_of("dr.okafor");
  const json::value thread =
      harper->post("/api/v1/threads", json::object{{"kind", "direct"}, {"user_id", okafor_id}});
  const std::int64_t thread_id = thread.at("id").as_int64();
  ASSERT_EQ(okafor
                ->call("POST", "/api/v1/users/" + std::to_string(okafor_id) + "/availability",
                       R"({"status":"off_duty","ends_at":")" +
                           format_rfc3339(std::chrono::time_point_cast<std::chrono::microseconds>(
                                              std::chrono::system_clock::now()) +
                                          hours(8)) +
                           R"("})")
                .status,
            200);
  harper->connect();
  const json::value sent = harper->send_message(thread_id, "held-kill-1", "Bed 9 can go to PT");
  ASSERT_TRUE(sent.as_object().contains("held")) << json::serialize(sent);

  auto messages = [&]() -> std::size_t {
    SqliteOptions options;
    options.read_only = true;
    auto store =
        SqliteStore::open(server_->data_dir() / "wardline.db", make_audit_chainer(), options);
    EXPECT_TRUE(store.has_value()) << store.error().to_string();
    auto page = store ? (*store)->read_thread_messages(ThreadId(thread_id), 0, 10)
                      : Result<std::vector<Event>>(std::vector<Event>());
    return page ? page->size() : 0;
  };
  server_->kill_hard();
  server_->start();
  server_->advance_clock(hours(7));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(messages(), 0u) << "still off duty";
  server_->advance_clock(hours(1));
  for (int i = 0; i < 200 && messages() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(messages(), 1u);
  server_->advance_clock(hours(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(messages(), 1u) << "released once";
  server_->stop();
  int released = 0;
  for (const AuditEntry& entry : audit_entries()) {
    released += entry.draft.action == "message.release" ? 1 : 0;
  }
  EXPECT_EQ(released, 1);
}

TEST(TestClockTest, ServeRefusesTheTestClockWithoutTheTestEnvironment) {
  TempDir temp;
  std::string output;
  const int status =
      run_wardline({"serve", "--demo", "--port", "0", "--data-dir", (temp.path() / "data").string(),
                    "--test-clock-file", (temp.path() / "clock").string()},
                   &output, {});
  EXPECT_EQ(status, 2) << output;
  EXPECT_NE(output.find("--test-clock-file is for tests only"), std::string::npos) << output;
}

}  // namespace
}  // namespace wl::testing
