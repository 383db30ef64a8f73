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
  // Each timer's work is its own batch, but they are committed without waiting for
  // one another, and the next claim does not wait for the last one's commits (a claimed
  // timer is nobody else's until its lease ends): the store writes them in the same
  // group commits. At most two claims' work is in flight.
  InFlight in_flight;
  while (true) {
    auto claimed = timers_.claim_due_timers(clock_.now(), options_.lease, options_.claim_limit);
    if (!claimed) {
      in_flight.wait_below(1);
      return std::unexpected(claimed.error());
    }
    for (const Timer& timer : *claimed) {
      run_one(timer, in_flight);
    }
    if (claimed->size() < options_.claim_limit) {
      return in_flight.wait_below(1);
    }
    in_flight.wait_below(options_.claim_limit + 1);
  }
}

void JobRunner::InFlight::started() {
  const std::lock_guard lock(mutex);
  ++pending;
}

void JobRunner::InFlight::finished(bool ok) {
  {
    const std::lock_guard lock(mutex);
    --pending;
    completed += ok ? 1 : 0;
  }
  done.notify_all();
}

std::size_t JobRunner::InFlight::wait_below(std::size_t limit) {
  std::unique_lock lock(mutex);
  done.wait(lock, [this, limit] { return pending < limit; });
  return completed;
}

void JobRunner::run_one(const Timer& timer, InFlight& in_flight) {
  auto handler = handlers_.find(timer.kind);
  if (handler == handlers_.end()) {
    log::get("timers")->warn("no handler for timer kind {} (timer {}): left for its lease",
                             timer.kind, timer.id.value());
    return;
  }
  WriteBatch batch;
  // Its deadline has come: the batch does not queue behind the messages of a full load.
  batch.go_ahead();
  batch.add(CompleteTimer{timer.id, timer.attempt});
  if (auto done = handler->second(timer, batch); !done) {
    log::get("timers")->error("timer {} ({}) failed: {}; retried after its lease", timer.id.value(),
                              timer.kind, done.error().to_string());
    return;
  }
  in_flight.started();
  committer_.commit(
      std::move(batch), publish_,
      [this, &in_flight, id = timer.id, kind = timer.kind,
       due = timer.due_at](Result<BatchResult> committed) {
        if (committed && options_.lateness != nullptr) {
          options_.lateness->observe(
              std::chrono::duration_cast<std::chrono::microseconds>(clock_.now() - due));
        }
        if (!committed) {
          // Aborted: overtaken after its lease, replaced or cancelled; its
          // work is not ours.
          log::get("timers")->warn("timer {} ({}) not completed: {}", id.value(), kind,
                                   committed.error().to_string());
        }
        in_flight.finished(committed.has_value());
      });
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
