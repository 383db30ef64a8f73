#pragma once

#include <chrono>
#include <string_view>

#include "core/status.hpp"
#include "ports/clock.hpp"
#include "ports/timer_store.hpp"
#include "ports/write_batch.hpp"
#include "services/timers/job_runner.hpp"

// The purge of ended sessions (docs/security.md, "Session records"): a periodic
// durable timer that deletes the session rows whose absolute expiry passed more than
// `keep` ago. What each login did stays in the audit log; the session table keeps
// only what can still be used or was just used.
namespace wl {

inline constexpr std::string_view kSessionPurgeTimer = "session.purge";

struct SessionPurgeOptions {
  std::chrono::hours keep{24 * 7};  // Ended sessions are kept this long.
  std::chrono::minutes every{60};   // How often the purge runs.
};

/// Schedules the first purge, one period from now, unless one is scheduled already
/// (by an earlier start or another node). Errors: as the store's.
Result<void> schedule_session_purge(Committer& committer, TimerStore& timers, const Clock& clock,
                                    const SessionPurgeOptions& options);

/// The purge's timer handler: deletes the sessions that expired more than `keep`
/// before now, audits how many ("session.purge", only when there were some), and
/// schedules the next run `every` from now, all in the timer's batch.
TimerHandler session_purge_handler(const Clock& clock, SessionPurgeOptions options);

}  // namespace wl
