#include "services/identity/session_purge.hpp"

#include <string>

#include <fmt/format.h>

namespace wl {
namespace {

constexpr std::string_view kKey = "server";

}  // namespace

Result<void> schedule_session_purge(Committer& committer, TimerStore& timers, const Clock& clock,
                                    const SessionPurgeOptions& options) {
  auto scheduled = timers.find_timer(kSessionPurgeTimer, kKey);
  if (scheduled) {
    return ok();
  }
  if (scheduled.error().code() != Code::kNotFound) {
    return std::unexpected(scheduled.error());
  }
  WL_TRY(
      commit_one<Timer>(committer, ScheduleTimer{std::string(kSessionPurgeTimer), std::string(kKey),
                                                 OrgId(), clock.now() + options.every, ""}));
  return ok();
}

TimerHandler session_purge_handler(const Clock& clock, SessionPurgeOptions options) {
  return [&clock, options](const Timer& timer, WriteBatch& batch) -> Result<void> {
    const Timestamp now = clock.now();
    const std::size_t purged = batch.add(PurgeSessions{now - options.keep});
    batch.audit(
        AuditDraft{now, OrgId(), UserId(), DeviceId(), "session.purge", "sessions", "ok", ""},
        [purged](AuditDraft& draft, const std::vector<MutationResult>& results) {
          const std::int64_t count = std::get<std::int64_t>(results.at(purged));
          draft.detail = fmt::format("count={}", count);
          return count > 0;
        });
    batch.add(ScheduleTimer{timer.kind, timer.key, OrgId(), now + options.every, ""});
    return ok();
  };
}

}  // namespace wl
