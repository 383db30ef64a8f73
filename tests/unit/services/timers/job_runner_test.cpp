// JobRunner on a manual clock over an in-memory TimerStore: timers run when due, once;
// their work commits with their completion or not at all; a runner whose claim was
// overtaken writes nothing; the thread runs what falls due.

#include "services/timers/job_runner.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "unit/services/timers/fake_timer_store.hpp"

namespace wl {
namespace {

using std::chrono::seconds;

const Timestamp kStart = from_micros(1'800'000'000'000'000);
// When the marker timers that stand for a handler's work fall due: never, in a test.
const Timestamp kNever = kStart + std::chrono::hours(24 * 365);

class JobRunnerTest : public ::testing::Test {
 protected:
  void schedule(std::string kind, std::string key, Timestamp due, std::string payload = "") {
    auto scheduled = commit_one<Timer>(
        store_, ScheduleTimer{std::move(kind), std::move(key), OrgId(1), due, std::move(payload)});
    ASSERT_TRUE(scheduled.has_value()) << scheduled.error().to_string();
  }
  bool exists(std::string_view kind, std::string_view key) {
    return store_.find_timer(kind, key).has_value();
  }
  // A handler whose work is a marker timer ("done", key): visible only if committed.
  TimerHandler marking(std::string marker, std::atomic<int>* calls = nullptr) {
    return [marker, calls](const Timer& timer, WriteBatch& batch) -> Result<void> {
      if (calls != nullptr) {
        ++*calls;
      }
      batch.add(ScheduleTimer{"done", marker + ":" + timer.key, OrgId(1), kNever, ""});
      return ok();
    };
  }

  testing::FakeTimerStore store_;
  ManualClock clock_{kStart};
  JobRunnerOptions options_{seconds(60), 4, std::chrono::milliseconds(20)};
};

TEST_F(JobRunnerTest, RunsATimerWhenItIsDueAndOnlyOnce) {
  JobRunner runner(store_, store_, clock_, options_);
  std::atomic<int> calls = 0;
  std::string payload;
  runner.handle("reminder", [&](const Timer& timer, WriteBatch&) -> Result<void> {
    ++calls;
    payload = timer.payload;
    return ok();
  });
  schedule("reminder", "thread:4", kStart + seconds(10), R"({"thread":4})");

  EXPECT_EQ(*runner.run_due(), 0u);
  EXPECT_EQ(calls, 0);
  clock_.advance(seconds(10));
  EXPECT_EQ(*runner.run_due(), 1u);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(payload, R"({"thread":4})");
  EXPECT_FALSE(exists("reminder", "thread:4"));
  clock_.advance(seconds(600));
  EXPECT_EQ(*runner.run_due(), 0u);
  EXPECT_EQ(calls, 1);
}

TEST_F(JobRunnerTest, AFailedHandlerWritesNothingAndRunsAgainAfterItsLease) {
  JobRunner runner(store_, store_, clock_, options_);
  int calls = 0;
  runner.handle("escalate", [&](const Timer& timer, WriteBatch& batch) -> Result<void> {
    batch.add(ScheduleTimer{"done", timer.key, OrgId(1), kNever, ""});
    if (++calls == 1) {
      return error(Code::kUnavailable, "pager gateway down");
    }
    return ok();
  });
  schedule("escalate", "message:9", kStart);

  EXPECT_EQ(*runner.run_due(), 0u);
  EXPECT_FALSE(exists("done", "message:9"));
  EXPECT_TRUE(exists("escalate", "message:9"));
  clock_.advance(seconds(59));
  EXPECT_EQ(*runner.run_due(), 0u);  // Still held by the failed run's claim.
  clock_.advance(seconds(1));
  EXPECT_EQ(*runner.run_due(), 1u);
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(exists("done", "message:9"));
  EXPECT_FALSE(exists("escalate", "message:9"));
}

TEST_F(JobRunnerTest, APeriodicJobSchedulesItsNextRunInTheSameBatch) {
  JobRunner runner(store_, store_, clock_, options_);
  int runs = 0;
  runner.handle("checkpoint", [&](const Timer& timer, WriteBatch& batch) -> Result<void> {
    ++runs;
    batch.add(ScheduleTimer{timer.kind, timer.key, timer.org_id, timer.due_at + seconds(10), ""});
    return ok();
  });
  schedule("checkpoint", "server", kStart);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(*runner.run_due(), 1u);
    EXPECT_EQ(*runner.run_due(), 0u);
    clock_.advance(seconds(10));
  }
  EXPECT_EQ(runs, 5);
  EXPECT_EQ(store_.find_timer("checkpoint", "server")->due_at, kStart + seconds(50));
}

TEST_F(JobRunnerTest, ARunnerOvertakenAfterItsLeaseWritesNoneOfItsWork) {
  JobRunner second(store_, store_, clock_, options_);
  second.handle("escalate", marking("second"));
  JobRunner first(store_, store_, clock_, options_);
  first.handle("escalate", [&](const Timer& timer, WriteBatch& batch) -> Result<void> {
    // Stalled past its lease: the second runner takes the timer meanwhile.
    clock_.advance(seconds(61));
    EXPECT_EQ(*second.run_due(), 1u);
    batch.add(ScheduleTimer{"done", "first:" + timer.key, OrgId(1), kNever, ""});
    return ok();
  });
  schedule("escalate", "message:3", kStart);

  EXPECT_EQ(*first.run_due(), 0u);
  EXPECT_TRUE(exists("done", "second:message:3"));
  EXPECT_FALSE(exists("done", "first:message:3"));
  EXPECT_FALSE(exists("escalate", "message:3"));
}

TEST_F(JobRunnerTest, RunnersSharingAStoreRunEachTimerOnce) {
  constexpr int kTimers = 200;
  for (int i = 0; i < kTimers; ++i) {
    schedule("page", "p" + std::to_string(i), kStart + seconds(i % 7));
  }
  clock_.advance(seconds(7));
  std::atomic<int> calls = 0;
  std::vector<std::unique_ptr<JobRunner>> runners;
  for (int r = 0; r < 3; ++r) {
    runners.push_back(std::make_unique<JobRunner>(store_, store_, clock_, options_));
    runners.back()->handle("page", marking("run", &calls));
  }
  std::atomic<std::size_t> completed = 0;
  std::vector<std::thread> threads;
  for (auto& runner : runners) {
    threads.emplace_back([&] { completed += *runner->run_due(); });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(completed, static_cast<std::size_t>(kTimers));
  EXPECT_EQ(calls, kTimers);
  for (int i = 0; i < kTimers; ++i) {
    EXPECT_TRUE(exists("done", "run:p" + std::to_string(i)));
    EXPECT_FALSE(exists("page", "p" + std::to_string(i)));
  }
}

TEST_F(JobRunnerTest, ATimerOfAnUnknownKindIsLeftForItsLease) {
  JobRunner runner(store_, store_, clock_, options_);
  schedule("hl7.retry", "feed:1", kStart);
  EXPECT_EQ(*runner.run_due(), 0u);
  EXPECT_TRUE(exists("hl7.retry", "feed:1"));
}

TEST_F(JobRunnerTest, TheThreadRunsWhatFallsDueAndStops) {
  JobRunner runner(store_, store_, clock_, options_);
  std::mutex mutex;
  std::condition_variable ran;
  int runs = 0;
  runner.handle("sweep", [&](const Timer&, WriteBatch&) -> Result<void> {
    std::lock_guard lock(mutex);
    ++runs;
    ran.notify_all();
    return ok();
  });
  runner.start();
  schedule("sweep", "sessions", kStart + seconds(30));
  runner.wake();
  clock_.advance(seconds(30));  // Seen within a poll, without a wake.
  std::unique_lock lock(mutex);
  ASSERT_TRUE(ran.wait_for(lock, std::chrono::seconds(10), [&] { return runs == 1; }));
  lock.unlock();
  runner.stop();
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace wl
