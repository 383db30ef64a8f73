// TimerStore on PostgreSQL, and the timer mutations of a WriteBatch.
#include <algorithm>
#include <string>
#include <utility>

#include "adapters/postgres/detail/jobs.hpp"
#include "adapters/postgres/detail/mutations.hpp"
#include "adapters/postgres/detail/read_pool.hpp"
#include "adapters/postgres/detail/rows.hpp"
#include "adapters/postgres/postgres_store.hpp"

#define WL_PG_TIMER_COLUMNS "id, kind, key, org_id, due_at, payload, attempt"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals

namespace {

constexpr std::size_t kMaxKindBytes = 64;
constexpr std::size_t kMaxKeyBytes = 256;
constexpr std::size_t kMaxPayloadBytes = 4096;

Timer read_timer(const PgResult& result, int row) {
  Timer timer;
  timer.id = TimerId(result.int64(row, 0));
  timer.kind = result.bytes(row, 1);
  timer.key = result.bytes(row, 2);
  timer.org_id = OrgId(result.int64(row, 3));
  timer.due_at = result.time(row, 4);
  timer.payload = result.bytes(row, 5);
  timer.attempt = result.int64(row, 6);
  return timer;
}

}  // namespace

Result<Timer> detail::pg::apply(WriteContext& context, const ScheduleTimer& mutation) {
  if (mutation.kind.empty() || mutation.key.empty() || mutation.kind.size() > kMaxKindBytes ||
      mutation.key.size() > kMaxKeyBytes || mutation.payload.size() > kMaxPayloadBytes) {
    return error(Code::kInvalidArgument,
                 "a timer needs a kind of 1 to 64 bytes, a key of 1 to 256 and a payload of "
                 "at most 4,096");
  }
  // Replacing moves the attempt on, so that a claim on the old timer cannot complete.
  const PgResult stored = WL_TRY(context.connection.query(
      "INSERT INTO timers (kind, key, org_id, due_at, payload) VALUES ($1, $2, $3, $4, $5) "
      "ON CONFLICT (kind, key) DO UPDATE SET org_id = excluded.org_id, due_at = excluded.due_at, "
      "payload = excluded.payload, attempt = timers.attempt + 1, claimed_until = NULL "
      "RETURNING " WL_PG_TIMER_COLUMNS,
      Params()
          .add_text(mutation.kind)
          .add_text(mutation.key)
          .add_id_or_null(mutation.org_id)
          .add(mutation.due_at)
          .add_bytes(mutation.payload),
      "schedule timer"));
  return single_row<Timer>(stored, read_timer, "timer");
}

Result<bool> detail::pg::apply(WriteContext& context, const CancelTimer& mutation) {
  const PgResult cancelled = WL_TRY(context.connection.query(
      "DELETE FROM timers WHERE kind = $1 AND key = $2",
      Params().add_text(mutation.kind).add_text(mutation.key), "cancel timer"));
  const std::int64_t count = cancelled.affected();
  WL_TRY(cancelled.check());
  return count > 0;
}

Result<bool> detail::pg::apply(WriteContext& context, const CompleteTimer& mutation) {
  const PgResult completed = WL_TRY(context.connection.query(
      "DELETE FROM timers WHERE id = $1 AND attempt = $2",
      Params().add(mutation.id.value()).add(mutation.attempt), "complete timer"));
  const std::int64_t count = completed.affected();
  WL_TRY(completed.check());
  if (count == 0) {
    return error(Code::kAborted,
                 "the timer was claimed again, replaced or cancelled since this claim");
  }
  return true;
}

Result<std::vector<Timer>> PostgresStore::claim_due_timers(Timestamp now,
                                                           std::chrono::microseconds lease,
                                                           std::size_t limit) {
  // Ahead of the queued writes, as the claimed timers' work is (JobRunner).
  return write<std::vector<Timer>>(
      nullptr,
      [&](WriteContext& context) -> Result<std::vector<Timer>> {
        // SKIP LOCKED: a timer another store is claiming right now is left to it; one it
        // claimed and committed no longer matches (its lease is re-checked on the new
        // row version), so each due timer goes to exactly one claimer.
        const PgResult claimed_rows = WL_TRY(context.connection.query(
            "UPDATE timers SET attempt = attempt + 1, claimed_until = $2 WHERE id IN ("
            "SELECT id FROM timers WHERE due_at <= $1 "
            "AND (claimed_until IS NULL OR claimed_until <= $1) "
            "ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) "
            "RETURNING " WL_PG_TIMER_COLUMNS,
            Params().add(now).add(now + lease).add(clamp_limit(limit)), "claim timers"));
        std::vector<Timer> claimed = WL_TRY(all_rows<Timer>(claimed_rows, read_timer));
        std::sort(claimed.begin(), claimed.end(), [](const Timer& a, const Timer& b) {
          return a.due_at != b.due_at ? a.due_at < b.due_at : a.id.value() < b.id.value();
        });
        return claimed;
      },
      /*ahead=*/true);
}

Result<std::optional<Timestamp>> PostgresStore::next_timer_due() {
  auto lease = read_pool_->acquire();
  const PgResult next = WL_TRY(lease.connection().query(
      "SELECT min(greatest(due_at, coalesce(claimed_until, due_at))) FROM timers", "next timer"));
  if (next.rows() == 0) {
    return std::optional<Timestamp>();
  }
  std::optional<Timestamp> due = next.optional_time(0, 0);
  WL_TRY(next.check());
  return due;
}

Result<Timer> PostgresStore::find_timer(std::string_view kind, std::string_view key) {
  auto lease = read_pool_->acquire();
  const PgResult timer = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_TIMER_COLUMNS " FROM timers WHERE kind = $1 AND key = $2",
      Params().add_text(kind).add_text(key), "find timer"));
  return single_row<Timer>(timer, read_timer, "timer");
}

}  // namespace wl
