#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>

namespace wl {

// The newest seq a store has chained, so that checkpoints can follow the number of
// entries written without polling. The store appends some entries itself (a send's
// entry commits with its message), so AuditLog::record does not see them all; the
// chainer from make_audit_chainer(&tally) does.
//
// note() runs on the store's writer thread for every entry, inside the write's
// transaction (so a noted entry may still roll back, and its seq is noted again by the
// next append). It costs one atomic update, plus a lock and a notify only while a
// waiter's mark is reached. One thread at a time may wait(); every method is
// thread-safe.
class AuditTally {
 public:
  AuditTally() = default;
  AuditTally(const AuditTally&) = delete;
  AuditTally& operator=(const AuditTally&) = delete;

  // Records that the store chained the entry at `seq`. Never blocks beyond a short lock.
  void note(std::int64_t seq);
  // The highest seq noted so far (0: none).
  std::int64_t seq() const { return seq_.load(); }

  // Blocks until an entry at or past `mark` has been noted, `deadline` passes or
  // interrupt() is called, and returns seq().
  std::int64_t wait(std::int64_t mark, std::chrono::steady_clock::time_point deadline);
  // Ends the wait() in progress at once, or the next one if none is.
  void interrupt();

 private:
  static constexpr std::int64_t kNoMark = std::numeric_limits<std::int64_t>::max();

  std::atomic<std::int64_t> seq_{0};
  std::atomic<std::int64_t> mark_{kNoMark};  // What the current wait() waits for.
  std::mutex mutex_;
  std::condition_variable noted_;
  bool interrupted_ = false;  // Guarded by mutex_.
};

}  // namespace wl
