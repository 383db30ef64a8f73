// Durable timers in the running server (docs/architecture.md, "Timers"): the purge of
// ended sessions is a timer scheduled in the store, so it survives a kill -9, runs on
// the server's clock (moved by the test, never waited for) and runs once.

#include <chrono>
#include <thread>

#include "core/crypto/hash.hpp"
#include "ports/clock.hpp"
#include "integration/fixture.hpp"

namespace wl::testing {
namespace {
using std::chrono::hours;

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
    ASSERT_EQ(claimed->size(), 1u);
    dead_claim = claimed->front();
    EXPECT_EQ(dead_claim.kind, "session.purge");
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
