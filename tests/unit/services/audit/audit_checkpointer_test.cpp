#include "services/audit/audit_checkpointer.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "services/audit/audit_chain.hpp"
#include "services/audit/audit_log.hpp"
#include "services/audit/audit_tally.hpp"
#include "unit/services/audit/fake_audit_store.hpp"

namespace wl {
namespace {

using Signed = std::vector<Result<AuditCheckpoint>>;

class AuditCheckpointerTest : public ::testing::Test {
 protected:
  std::unique_ptr<AuditCheckpointer> start(std::chrono::milliseconds interval,
                                           std::int64_t every_entries) {
    return std::make_unique<AuditCheckpointer>(log_, tally_,
                                               AuditCheckpointer::Options{interval, every_entries},
                                               [this](const Result<AuditCheckpoint>& checkpoint) {
                                                 std::lock_guard lock(mutex_);
                                                 signed_.push_back(checkpoint);
                                                 changed_.notify_all();
                                               });
  }

  // Waits until `done` holds for what was signed so far. The bound only keeps a broken
  // checkpointer from hanging the suite; nothing here is timed.
  bool wait_until(const std::function<bool(const Signed&)>& done) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(30), [&] { return done(signed_); });
  }

  static bool has_seq(const Signed& results, std::int64_t seq) {
    for (const Result<AuditCheckpoint>& result : results) {
      if (result && result->seq == seq) {
        return true;
      }
    }
    return false;
  }

  void append(int count) {
    for (int i = 0; i < count; ++i) {
      AuditDraft draft;
      draft.at = clock_.now();
      draft.action = "message.send";
      ASSERT_TRUE(store_.append_audit(draft).has_value());
    }
  }

  ManualClock clock_{from_micros(1'800'000'000'000'000)};
  AuditTally tally_;
  testing::FakeAuditStore store_{make_audit_chainer(&tally_)};
  AuditLog log_{store_, clock_, crypto::ed25519_generate()};
  std::mutex mutex_;
  std::condition_variable changed_;
  Signed signed_;  // Guarded by mutex_.
};

// The store appends a send's entry itself, without AuditLog::record: the chainer's
// tally still counts it.
TEST_F(AuditCheckpointerTest, SignsEveryNEntriesTheStoreChains) {
  auto checkpointer = start(std::chrono::hours(1), 5);
  append(5);
  EXPECT_TRUE(wait_until([](const Signed& results) { return has_seq(results, 5); }));
  append(5);
  EXPECT_TRUE(wait_until([](const Signed& results) { return has_seq(results, 10); }));
  EXPECT_EQ(store_.list_audit_checkpoints().value().back().seq, 10);
}

TEST_F(AuditCheckpointerTest, ReSignsAnIdleHeadEveryInterval) {
  append(1);
  auto checkpointer = start(std::chrono::milliseconds(5), 1000);
  EXPECT_TRUE(wait_until([](const Signed& results) { return results.size() >= 3; }));
  checkpointer.reset();
  std::lock_guard lock(mutex_);
  for (const Result<AuditCheckpoint>& result : signed_) {
    ASSERT_TRUE(result.has_value()) << result.error().to_string();
    EXPECT_EQ(result->seq, 1);
  }
  EXPECT_EQ(store_.list_audit_checkpoints().value().size(), 1u);
}

TEST_F(AuditCheckpointerTest, SignsTheHeadWhenDestroyed) {
  auto checkpointer = start(std::chrono::hours(1), 1000);
  append(3);
  checkpointer.reset();
  std::lock_guard lock(mutex_);
  ASSERT_EQ(signed_.size(), 1u);
  ASSERT_TRUE(signed_[0].has_value()) << signed_[0].error().to_string();
  EXPECT_EQ(signed_[0]->seq, 3);
  EXPECT_EQ(store_.list_audit_checkpoints().value().back().seq, 3);
}

TEST_F(AuditCheckpointerTest, ReportsAFailedCheckpoint) {
  start(std::chrono::hours(1), 1000).reset();  // Nothing to sign in an empty log.
  std::lock_guard lock(mutex_);
  ASSERT_EQ(signed_.size(), 1u);
  ASSERT_FALSE(signed_[0].has_value());
  EXPECT_EQ(signed_[0].error().code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace wl
