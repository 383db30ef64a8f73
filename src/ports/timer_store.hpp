#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/status.hpp"
#include "core/time.hpp"

// Durable timers (docs/architecture.md, "Timers"): work that must happen at a time,
// once, across restarts and nodes: escalations, reminders, audit checkpoints, session
// sweeps. A timer is scheduled or cancelled inside the WriteBatch of the operation that
// wants it, claimed when due by one runner for a lease, and completed inside the batch
// that does its work, so that work commits exactly once.
namespace wl {

using TimerId = StrongId<struct TimerTag>;

struct Timer {
  TimerId id;
  std::string kind;  // What runs it: "audit.checkpoint", "session.sweep", ...
  std::string key;   // Unique per kind: scheduling (kind, key) again replaces the timer.
  OrgId org_id;      // Unset for server-wide work.
  Timestamp due_at;
  std::string payload;  // Ids and settings only, never PHI.
  // Goes up at every claim and every replacement: a claim is (id, attempt), and
  // completing needs both, so a claim that was overtaken can never complete.
  std::int64_t attempt = 0;
};

// ---- Mutations (written through a WriteBatch, ports/write_batch.hpp) ----

/// Schedules the timer (kind, key), or replaces the one scheduled under it: its due
/// time and payload, and a claim on it is dropped (that claim can no longer complete).
/// Result: the stored Timer. Errors: InvalidArgument for an empty kind or key, a kind
/// over 64 bytes, a key over 256 or a payload over 4,096.
struct ScheduleTimer {
  std::string kind;
  std::string key;
  OrgId org_id;
  Timestamp due_at;
  std::string payload;
};

/// Cancels the timer (kind, key), claimed or not. Result: true if there was one.
struct CancelTimer {
  std::string kind;
  std::string key;
};

/// Completes a claimed timer: deletes it if the claim (id, attempt) is still the
/// current one. Put it before the batch's other mutations, so that a lost claim
/// writes none of the work; put a ScheduleTimer of the same (kind, key) after it to
/// run again. Result: true.
/// Errors: Aborted if the timer was claimed again (its lease ran out), replaced or
/// cancelled since: the work is someone else's now, or no longer wanted.
struct CompleteTimer {
  TimerId id;
  std::int64_t attempt = 0;
};

/// The timers' reads and claims.
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class TimerStore {
 public:
  virtual ~TimerStore() = default;

  /// Claims at most `limit` timers due at or before `now`, earliest first, that no
  /// live claim holds (never claimed, or the claim's lease ran out), each for `lease`
  /// from now: its attempt goes up by one, and until the lease ends no other claim gets
  /// it. Once claimed, a timer belongs to exactly one claimer, across processes and
  /// nodes. A durable write, committed ahead of queued writes (WriteBatch::go_ahead).
  virtual Result<std::vector<Timer>> claim_due_timers(Timestamp now,
                                                      std::chrono::microseconds lease,
                                                      std::size_t limit) = 0;

  /// When the next timer falls due, counting a claimed one at the end of its lease;
  /// nullopt if none is scheduled.
  virtual Result<std::optional<Timestamp>> next_timer_due() = 0;

  /// The timer (kind, key), if scheduled. Errors: NotFound.
  virtual Result<Timer> find_timer(std::string_view kind, std::string_view key) = 0;
};

}  // namespace wl
