#include "services/audit/audit_tally.hpp"

namespace wl {

void AuditTally::note(std::int64_t seq) {
  std::int64_t seen = seq_.load();
  while (seen < seq && !seq_.compare_exchange_weak(seen, seq)) {
  }
  // This stores seq_ then loads mark_; wait() stores mark_ then loads seq_. Both are
  // sequentially consistent, so at least one side sees the other's store: either the
  // waiter finds the seq before it sleeps, or this notifies it (under the lock, so not
  // between its check and its sleep).
  if (seq >= mark_.load()) {
    std::lock_guard lock(mutex_);
    noted_.notify_all();
  }
}

std::int64_t AuditTally::wait(std::int64_t mark, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  mark_.store(mark);
  noted_.wait_until(lock, deadline, [&] { return interrupted_ || seq_.load() >= mark; });
  mark_.store(kNoMark);
  interrupted_ = false;
  return seq_.load();
}

void AuditTally::interrupt() {
  std::lock_guard lock(mutex_);
  interrupted_ = true;
  noted_.notify_all();
}

}  // namespace wl
