#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ports/timer_store.hpp"
#include "ports/write_batch.hpp"

namespace wl::testing {

// The TimerStore port and a Committer of the timer mutations, in memory. A batch with
// any other mutation fails with Internal ("not in this fake"). Batches are atomic: a
// CompleteTimer whose claim was overtaken fails the batch and nothing of it is applied.
class FakeTimerStore final : public Committer, public TimerStore {
 public:
  void commit(WriteBatch batch, CommitHook, WriteDone<BatchResult> done) override {
    std::lock_guard lock(mutex_);
    std::map<std::pair<std::string, std::string>, Timer> timers = timers_;
    std::int64_t next_id = next_id_;
    BatchResult committed;
    for (const Mutation& mutation : batch.mutations()) {
      if (const auto* schedule = std::get_if<ScheduleTimer>(&mutation)) {
        Timer& timer = timers[{schedule->kind, schedule->key}];
        if (!timer.id.is_set()) {
          timer.id = TimerId(next_id++);
          timer.kind = schedule->kind;
          timer.key = schedule->key;
        } else {
          ++timer.attempt;
        }
        timer.org_id = schedule->org_id;
        timer.due_at = schedule->due_at;
        timer.payload = schedule->payload;
        claimed_until_.erase(timer.id.value());
        committed.results.emplace_back(timer);
      } else if (const auto* cancel = std::get_if<CancelTimer>(&mutation)) {
        committed.results.emplace_back(timers.erase({cancel->kind, cancel->key}) > 0);
      } else if (const auto* complete = std::get_if<CompleteTimer>(&mutation)) {
        auto found = std::find_if(timers.begin(), timers.end(), [&](const auto& entry) {
          return entry.second.id == complete->id && entry.second.attempt == complete->attempt;
        });
        if (found == timers.end()) {
          done(error(Code::kAborted, "claim overtaken"));
          return;
        }
        timers.erase(found);
        committed.results.emplace_back(true);
      } else {
        done(error(Code::kInternal, "not in this fake"));
        return;
      }
    }
    timers_ = std::move(timers);
    next_id_ = next_id;
    ++commits_;
    done(std::move(committed));
  }

  Result<std::vector<Timer>> claim_due_timers(Timestamp now, std::chrono::microseconds lease,
                                              std::size_t limit) override {
    std::lock_guard lock(mutex_);
    std::vector<Timer*> due;
    for (auto& [key, timer] : timers_) {
      auto claim = claimed_until_.find(timer.id.value());
      if (timer.due_at <= now && (claim == claimed_until_.end() || claim->second <= now)) {
        due.push_back(&timer);
      }
    }
    std::sort(due.begin(), due.end(), [](const Timer* a, const Timer* b) {
      return a->due_at != b->due_at ? a->due_at < b->due_at : a->id.value() < b->id.value();
    });
    std::vector<Timer> claimed;
    for (Timer* timer : due) {
      if (claimed.size() == limit) {
        break;
      }
      ++timer->attempt;
      claimed_until_[timer->id.value()] = now + lease;
      claimed.push_back(*timer);
    }
    return claimed;
  }

  Result<std::optional<Timestamp>> next_timer_due() override {
    std::lock_guard lock(mutex_);
    std::optional<Timestamp> next;
    for (const auto& [key, timer] : timers_) {
      Timestamp due = timer.due_at;
      if (auto claim = claimed_until_.find(timer.id.value()); claim != claimed_until_.end()) {
        due = std::max(due, claim->second);
      }
      if (!next || due < *next) {
        next = due;
      }
    }
    return next;
  }

  Result<Timer> find_timer(std::string_view kind, std::string_view key) override {
    std::lock_guard lock(mutex_);
    auto found = timers_.find({std::string(kind), std::string(key)});
    if (found == timers_.end()) {
      return error(Code::kNotFound, "timer not found");
    }
    return found->second;
  }

  int commits() {
    std::lock_guard lock(mutex_);
    return commits_;
  }

 private:
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Timer> timers_;
  std::map<std::int64_t, Timestamp> claimed_until_;
  std::int64_t next_id_ = 1;
  int commits_ = 0;
};

}  // namespace wl::testing
