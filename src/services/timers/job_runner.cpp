#include "services/timers/job_runner.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "core/log.hpp"
#include "core/thread_name.hpp"

namespace wl {

JobRunner::JobRunner(Committer& committer, TimerStore& timers, const Clock& clock,
                     JobRunnerOptions options, CommitHook publish)
    : committer_(committer),
      timers_(timers),
      clock_(clock),
      options_(options),
      publish_(std::move(publish)) {}

JobRunner::~JobRunner() { stop(); }

void JobRunner::handle(std::string kind, TimerHandler handler) {
  handlers_[std::move(kind)] = std::move(handler);
}

Result<std::size_t> JobRunner::run_due() {
  std::size_t completed = 0;
  while (true) {
    const std::vector<Timer> claimed =
        WL_TRY(timers_.claim_due_timers(clock_.now(), options_.lease, options_.claim_limit));
    for (const Timer& timer : claimed) {
      completed += run_one(timer) ? 1 : 0;
    }
    if (claimed.size() < options_.claim_limit) {
      return completed;
    }
  }
}

bool JobRunner::run_one(const Timer& timer) {
  auto handler = handlers_.find(timer.kind);
  if (handler == handlers_.end()) {
    log::get("timers")->warn("no handler for timer kind {} (timer {}): left for its lease",
                             timer.kind, timer.id.value());
    return false;
  }
  WriteBatch batch;
  batch.add(CompleteTimer{timer.id, timer.attempt});
  if (auto done = handler->second(timer, batch); !done) {
    log::get("timers")->error("timer {} ({}) failed: {}; retried after its lease", timer.id.value(),
                              timer.kind, done.error().to_string());
    return false;
  }
  auto committed = commit_and_wait(committer_, std::move(batch), publish_);
  if (!committed) {
    // Aborted: overtaken after its lease, replaced or cancelled; its work is not ours.
    log::get("timers")->warn("timer {} ({}) not completed: {}", timer.id.value(), timer.kind,
                             committed.error().to_string());
    return false;
  }
  return true;
}

void JobRunner::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) {
    return;
  }
  stopping_ = false;
  thread_ = std::thread([this] {
    name_this_thread("wl-timers");
    loop();
  });
}

void JobRunner::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void JobRunner::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void JobRunner::loop() {
  while (true) {
    if (auto ran = run_due(); !ran) {
      log::get("timers")->error("claiming due timers failed: {}", ran.error().to_string());
    }
    // Until the next timer is due, looking again at least every `poll`.
    std::chrono::microseconds wait = options_.poll;
    if (auto next = timers_.next_timer_due(); next && *next) {
      wait = std::clamp<std::chrono::microseconds>(**next - clock_.now(),
                                                   std::chrono::microseconds(0), wait);
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, wait, [this] { return stopping_ || woken_; });
    woken_ = false;
    if (stopping_) {
      return;
    }
  }
}

}  // namespace wl
