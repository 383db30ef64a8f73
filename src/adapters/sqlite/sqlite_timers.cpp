// TimerStore on SQLite, and the timer mutations of a WriteBatch.
#include <algorithm>
#include <string>
#include <utility>

#include "adapters/sqlite/detail/jobs.hpp"
#include "adapters/sqlite/detail/mutations.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/rows.hpp"
#include "adapters/sqlite/sqlite_store.hpp"

#define WL_TIMER_COLUMNS "id, kind, key, org_id, due_at, payload, attempt"

namespace wl {

using namespace detail;  // NOLINT: the adapter's own internals

namespace {

constexpr std::size_t kMaxKindBytes = 64;
constexpr std::size_t kMaxKeyBytes = 256;
constexpr std::size_t kMaxPayloadBytes = 4096;

Timer read_timer(const Statement& row) {
  Timer timer;
  timer.id = TimerId(row.column_int64(0));
  timer.kind = row.column_bytes(1);
  timer.key = row.column_bytes(2);
  timer.org_id = OrgId(row.column_int64(3));
  timer.due_at = row.column_time(4);
  timer.payload = row.column_bytes(5);
  timer.attempt = row.column_int64(6);
  return timer;
}

}  // namespace

Result<Timer> detail::apply(WriteContext& context, const ScheduleTimer& mutation) {
  if (mutation.kind.empty() || mutation.key.empty() || mutation.kind.size() > kMaxKindBytes ||
      mutation.key.size() > kMaxKeyBytes || mutation.payload.size() > kMaxPayloadBytes) {
    return error(Code::kInvalidArgument,
                 "a timer needs a kind of 1 to 64 bytes, a key of 1 to 256 and a payload of "
                 "at most 4,096");
  }
  // Replacing moves the attempt on, so that a claim on the old timer cannot complete.
  auto upsert = WL_TRY(context.connection.prepare(
      "INSERT INTO timers (kind, key, org_id, due_at, payload) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT (kind, key) DO UPDATE SET org_id = excluded.org_id, due_at = excluded.due_at, "
      "payload = excluded.payload, attempt = timers.attempt + 1, claimed_until = NULL "
      "RETURNING " WL_TIMER_COLUMNS,
      "schedule timer"));
  upsert.bind_text(1, mutation.kind).bind_text(2, mutation.key);
  bind_optional_id(upsert, 3, mutation.org_id);
  upsert.bind(4, mutation.due_at).bind_blob(5, mutation.payload);
  Timer stored = WL_TRY(single_row<Timer>(upsert, read_timer, "timer"));
  WL_TRY(upsert.run());
  return stored;
}

Result<bool> detail::apply(WriteContext& context, const CancelTimer& mutation) {
  auto cancel = WL_TRY(context.connection.prepare("DELETE FROM timers WHERE kind = ?1 AND key = ?2",
                                                  "cancel timer"));
  WL_TRY(cancel.bind_text(1, mutation.kind).bind_text(2, mutation.key).run());
  return context.connection.changes() > 0;
}

Result<bool> detail::apply(WriteContext& context, const CompleteTimer& mutation) {
  auto complete = WL_TRY(context.connection.prepare(
      "DELETE FROM timers WHERE id = ?1 AND attempt = ?2", "complete timer"));
  WL_TRY(complete.bind(1, mutation.id.value()).bind(2, mutation.attempt).run());
  if (context.connection.changes() == 0) {
    return error(Code::kAborted,
                 "the timer was claimed again, replaced or cancelled since this claim");
  }
  return true;
}

Result<std::vector<Timer>> SqliteStore::claim_due_timers(Timestamp now,
                                                         std::chrono::microseconds lease,
                                                         std::size_t limit) {
  // Ahead of the queued writes, as the claimed timers' work is (JobRunner).
  return write<std::vector<Timer>>(
      nullptr,
      [&](WriteContext& context) -> Result<std::vector<Timer>> {
        auto claim = WL_TRY(context.connection.prepare(
            "UPDATE timers SET attempt = attempt + 1, claimed_until = ?2 WHERE id IN ("
            "SELECT id FROM timers WHERE due_at <= ?1 "
            "AND (claimed_until IS NULL OR claimed_until <= ?1) "
            "ORDER BY due_at, id LIMIT ?3) RETURNING " WL_TIMER_COLUMNS,
            "claim timers"));
        claim.bind(1, now).bind(2, now + lease).bind(3, clamp_limit(limit));
        std::vector<Timer> claimed = WL_TRY(all_rows<Timer>(claim, read_timer));
        std::sort(claimed.begin(), claimed.end(), [](const Timer& a, const Timer& b) {
          return a.due_at != b.due_at ? a.due_at < b.due_at : a.id.value() < b.id.value();
        });
        return claimed;
      },
      /*ahead=*/true);
}

Result<std::optional<Timestamp>> SqliteStore::next_timer_due() {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT min(max(due_at, coalesce(claimed_until, due_at))) FROM timers", "next timer"));
  if (!WL_TRY(select.step())) {
    return std::optional<Timestamp>();
  }
  return select.column_optional_time(0);
}

Result<Timer> SqliteStore::find_timer(std::string_view kind, std::string_view key) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_TIMER_COLUMNS " FROM timers WHERE kind = ?1 AND key = ?2", "find timer"));
  select.bind_text(1, kind).bind_text(2, key);
  return single_row<Timer>(select, read_timer, "timer");
}

}  // namespace wl
