#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "core/metrics.hpp"
#include "core/status.hpp"
#include "ports/clock.hpp"
#include "ports/timer_store.hpp"
#include "ports/write_batch.hpp"

namespace wl {

/// Does a timer's work: adds its mutations and audit entries to `batch`, which already
/// begins with the timer's completion, and returns; the runner commits the batch. To
/// run again, add a ScheduleTimer of the same kind and key. An error writes nothing,
/// and the timer is claimed again when its lease ends. Called on the runner's thread;
/// it may block on the store's reads.
using TimerHandler = std::function<Result<void>(const Timer& timer, WriteBatch& batch)>;

struct JobRunnerOptions {
  // How long a claim holds a timer: a runner that dies leaves it to another after this.
  // Longer than any handler takes.
  std::chrono::microseconds lease = std::chrono::seconds(60);
  // Timers claimed at a time.
  std::size_t claim_limit = 256;
  // Longest wait between looks for due timers: bounds how late a timer scheduled by
  // another process, or on a clock moved by a test, can run.
  std::chrono::milliseconds poll = std::chrono::seconds(1);
  // When set (it must outlive the runner): how late each completed timer's work
  // committed, from its due time (for /metrics).
  DurationHistogram* lateness = nullptr;
};

/// Runs due timers (docs/architecture.md, "Timers"): claims them from the TimerStore
/// at the Clock's now, runs each kind's handler and commits its work with the timer's
/// completion, so each timer's work commits once even with several runners or a crash
/// between claim and completion. Tests on a ManualClock call run_due(); `serve` runs it
/// on its own thread (start()).
///
/// Register handlers before start(). Thread-safe otherwise.
class JobRunner {
 public:
  JobRunner(Committer& committer, TimerStore& timers, const Clock& clock,
            JobRunnerOptions options = {}, CommitHook publish = {});
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;
  ~JobRunner();

  void handle(std::string kind, TimerHandler handler);

  /// Claims the timers due now and runs them, until none is due. Returns how many
  /// completed. A timer of a kind with no handler, a failed handler and a lost claim
  /// are logged and left to a later claim. Errors: as claim_due_timers.
  Result<std::size_t> run_due();

  /// Runs run_due() on a thread ("wl-timers") whenever a timer may be due, until
  /// stop() (also called by the destructor).
  void start();
  void stop();
  /// Looks for due timers now: after scheduling one due sooner than the thread waits.
  void wake();

 private:
  // The commits of claimed timers' work, in flight together.
  struct InFlight {
    void started();
    void finished(bool ok);  // On the store's commit thread.
    // Until fewer than `limit` commits are in flight; how many committed so far.
    std::size_t wait_below(std::size_t limit);
    std::mutex mutex;
    std::condition_variable done;
    std::size_t pending = 0;
    std::size_t completed = 0;
  };
  // Runs one claimed timer's handler and queues its batch on `in_flight`.
  void run_one(const Timer& timer, InFlight& in_flight);
  void loop();

  Committer& committer_;
  TimerStore& timers_;
  const Clock& clock_;
  const JobRunnerOptions options_;
  const CommitHook publish_;
  std::map<std::string, TimerHandler, std::less<>> handlers_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace wl
