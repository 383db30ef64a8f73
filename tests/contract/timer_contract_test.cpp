// The TimerStore contract (src/ports/timer_store.hpp) with the timer mutations of a
// WriteBatch: scheduling, replacing and cancelling; claims that give each due timer to
// one claimer for a lease; completion that commits with the work, or not at all.

#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

using std::chrono::seconds;

template <typename Factory>
class TimerStoreContract : public StoreFixture<Factory> {
 protected:
  Result<Timer> schedule(std::string key, Timestamp due, std::string payload = "{}") {
    return commit_one<Timer>(*this->store_, ScheduleTimer{"test.kind", std::move(key), this->org_,
                                                          due, std::move(payload)});
  }
};

TYPED_TEST_SUITE(TimerStoreContract, StoreFactories, FactoryNames);

TYPED_TEST(TimerStoreContract, SchedulesReplacesAndCancels) {
  auto& store = *this->store_;
  EXPECT_EQ(store.next_timer_due()->has_value(), false);
  auto first = this->schedule("thread:7", at(10), R"({"step":1})");
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  EXPECT_EQ(first->kind, "test.kind");
  EXPECT_EQ(first->org_id, this->org_);
  auto found = store.find_timer("test.kind", "thread:7");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->due_at, at(10));
  EXPECT_EQ(found->payload, R"({"step":1})");

  auto replaced = this->schedule("thread:7", at(20), R"({"step":2})");
  ASSERT_TRUE(replaced.has_value());
  EXPECT_EQ(replaced->id, first->id);
  EXPECT_EQ(replaced->due_at, at(20));
  EXPECT_EQ(replaced->payload, R"({"step":2})");
  EXPECT_GT(replaced->attempt, first->attempt);
  EXPECT_EQ(**store.next_timer_due(), at(20));

  EXPECT_TRUE(*commit_one<bool>(store, CancelTimer{"test.kind", "thread:7"}));
  EXPECT_EQ(store.find_timer("test.kind", "thread:7").error().code(), Code::kNotFound);
  EXPECT_FALSE(*commit_one<bool>(store, CancelTimer{"test.kind", "thread:7"}));
  EXPECT_EQ(store.next_timer_due()->has_value(), false);

  EXPECT_EQ(this->schedule("", at(1)).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(this->schedule(std::string(257, 'k'), at(1)).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(this->schedule("big", at(1), std::string(4097, 'p')).error().code(),
            Code::kInvalidArgument);
}

TYPED_TEST(TimerStoreContract, ClaimsOnlyDueTimersEarliestFirstAndEachOnce) {
  auto& store = *this->store_;
  ASSERT_TRUE(this->schedule("b", at(10)).has_value());
  ASSERT_TRUE(this->schedule("a", at(5)).has_value());
  ASSERT_TRUE(this->schedule("later", at(30)).has_value());

  auto claimed = store.claim_due_timers(at(10), seconds(60), 10);
  ASSERT_TRUE(claimed.has_value()) << claimed.error().to_string();
  ASSERT_EQ(claimed->size(), 2u);
  EXPECT_EQ((*claimed)[0].key, "a");
  EXPECT_EQ((*claimed)[1].key, "b");
  // Held by the lease: nothing more is due until "later".
  EXPECT_TRUE(store.claim_due_timers(at(10), seconds(60), 10)->empty());
  EXPECT_TRUE(store.claim_due_timers(at(29), seconds(60), 10)->empty());
  EXPECT_EQ(**store.next_timer_due(), at(30));
  auto limited = store.claim_due_timers(at(100), seconds(60), 1);
  ASSERT_EQ(limited->size(), 1u);
  EXPECT_EQ((*limited)[0].key, "a");  // Its lease ended at 70: due again, and earliest.
}

TYPED_TEST(TimerStoreContract, AClaimWhoseLeaseRanOutIsOvertakenAndCannotComplete) {
  auto& store = *this->store_;
  ASSERT_TRUE(this->schedule("escalate", at(10)).has_value());
  const Timer stale = store.claim_due_timers(at(10), seconds(60), 10)->at(0);
  EXPECT_EQ(**store.next_timer_due(), at(70));
  // The claimer died: after its lease the timer is claimed again.
  const Timer fresh = store.claim_due_timers(at(71), seconds(60), 10)->at(0);
  EXPECT_EQ(fresh.id, stale.id);
  EXPECT_GT(fresh.attempt, stale.attempt);

  // The stale claim's work is not written; the fresh one's is, once.
  WriteBatch late;
  late.add(CompleteTimer{stale.id, stale.attempt});
  late.add(this->new_patient("mrn"));
  auto refused = commit_and_wait(store, std::move(late));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kAborted);
  EXPECT_TRUE(store.list_patients(this->org_)->empty());

  WriteBatch work;
  work.add(CompleteTimer{fresh.id, fresh.attempt});
  work.add(this->new_patient("mrn"));
  ASSERT_TRUE(commit_and_wait(store, std::move(work)).has_value());
  EXPECT_EQ(store.list_patients(this->org_)->size(), 1u);
  EXPECT_EQ(store.find_timer("test.kind", "escalate").error().code(), Code::kNotFound);
  EXPECT_EQ(commit_one<bool>(store, CompleteTimer{fresh.id, fresh.attempt}).error().code(),
            Code::kAborted);
}

TYPED_TEST(TimerStoreContract, ReplacingOrCancellingDropsTheClaim) {
  auto& store = *this->store_;
  ASSERT_TRUE(this->schedule("remind", at(10)).has_value());
  const Timer claimed = store.claim_due_timers(at(10), seconds(60), 10)->at(0);
  ASSERT_TRUE(this->schedule("remind", at(15)).has_value());
  EXPECT_EQ(commit_one<bool>(store, CompleteTimer{claimed.id, claimed.attempt}).error().code(),
            Code::kAborted);
  // The replacement is unclaimed and due at its own time.
  EXPECT_EQ(store.claim_due_timers(at(15), seconds(60), 10)->size(), 1u);

  ASSERT_TRUE(this->schedule("page", at(10)).has_value());
  const Timer paged = store.claim_due_timers(at(20), seconds(60), 10)->at(0);
  ASSERT_TRUE(*commit_one<bool>(store, CancelTimer{"test.kind", "page"}));
  EXPECT_EQ(commit_one<bool>(store, CompleteTimer{paged.id, paged.attempt}).error().code(),
            Code::kAborted);
}

TYPED_TEST(TimerStoreContract, CompletingAndSchedulingAgainInOneBatchRunsItOnASchedule) {
  auto& store = *this->store_;
  ASSERT_TRUE(this->schedule("sweep", at(10)).has_value());
  const Timer claimed = store.claim_due_timers(at(10), seconds(60), 10)->at(0);
  WriteBatch batch;
  batch.add(CompleteTimer{claimed.id, claimed.attempt});
  batch.add(ScheduleTimer{"test.kind", "sweep", this->org_, at(40), "{}"});
  ASSERT_TRUE(commit_and_wait(store, std::move(batch)).has_value());
  EXPECT_TRUE(store.claim_due_timers(at(39), seconds(60), 10)->empty());
  EXPECT_EQ(store.claim_due_timers(at(40), seconds(60), 10)->size(), 1u);
}

TYPED_TEST(TimerStoreContract, ConcurrentClaimersGetEveryDueTimerExactlyOnce) {
  auto& store = *this->store_;
  constexpr int kTimers = 300;
  WriteBatch batch;
  for (int i = 0; i < kTimers; ++i) {
    batch.add(ScheduleTimer{"test.kind", "t" + std::to_string(i), this->org_, at(i % 17), ""});
  }
  ASSERT_TRUE(commit_and_wait(store, std::move(batch)).has_value());

  std::mutex mutex;
  std::multiset<std::int64_t> seen;
  std::vector<std::thread> claimers;
  for (int c = 0; c < 4; ++c) {
    claimers.emplace_back([&] {
      while (true) {
        auto claimed = store.claim_due_timers(at(20), seconds(600), 7);
        ASSERT_TRUE(claimed.has_value()) << claimed.error().to_string();
        if (claimed->empty()) {
          return;
        }
        std::lock_guard lock(mutex);
        for (const Timer& timer : *claimed) {
          seen.insert(timer.id.value());
        }
      }
    });
  }
  for (std::thread& claimer : claimers) {
    claimer.join();
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kTimers));
  EXPECT_EQ(std::set<std::int64_t>(seen.begin(), seen.end()).size(),
            static_cast<std::size_t>(kTimers));
}

TYPED_TEST(TimerStoreContract, TimersSurviveCloseAndReopen) {
  ASSERT_TRUE(this->schedule("durable", at(10), "payload").has_value());
  this->reopen();
  auto found = this->store_->find_timer("test.kind", "durable");
  ASSERT_TRUE(found.has_value()) << found.error().to_string();
  EXPECT_EQ(found->payload, "payload");
  EXPECT_EQ(this->store_->claim_due_timers(at(10), seconds(60), 10)->size(), 1u);
}

}  // namespace
}  // namespace wl::testing
