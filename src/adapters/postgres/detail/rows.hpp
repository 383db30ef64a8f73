#pragma once

// What the PostgreSQL adapter's files share (postgres_*.cpp): the column lists that
// read whole records with their readers, the small result helpers, and the write
// helpers that run on the writer thread inside a job's savepoint. Internal to the
// adapter.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/postgres/detail/connection.hpp"
#include "adapters/postgres/detail/writer.hpp"
#include "ports/store.hpp"

// Column lists shared by the statements that read whole records; each read_* helper
// below decodes exactly its list, in order.
#define WL_PG_ORG_COLUMNS "id, name, created_at, idle_lock_seconds"
#define WL_PG_USER_COLUMNS                                                         \
  "id, org_id, username, display_name, title, password_hash, is_admin, disabled, " \
  "failed_logins, locked_until, created_at, is_operator, pin_hash, is_scheduler, department"
#define WL_PG_DEVICE_COLUMNS \
  "id, user_id, name_sealed, created_at, last_seen, revoked_at IS NOT NULL"
#define WL_PG_SESSION_COLUMNS                                                            \
  "token_hash, user_id, device_id, created_at, last_used, expires_at, revoked, locked, " \
  "pin_failures"
#define WL_PG_PATIENT_COLUMNS                                                     \
  "id, org_id, mrn_token, mrn_sealed, name_sealed, dob_sealed, location_sealed, " \
  "attending_sealed, updated_at, seal_record, sex_sealed, merged_into, event_at, version"
#define WL_PG_THREAD_COLUMNS                                                                   \
  "id, org_id, kind, title_sealed, patient_id, unique_key, created_by, created_at, last_seq, " \
  "role_id"
#define WL_PG_EVENT_COLUMNS                                                                      \
  "id, org_id, thread_id, kind, actor, created_at, seq, client_token, urgent, body_sealed, "     \
  "ref, ref_seq, subject, client_id_sealed, written_at, scope, user_id, xact, role_id, reason, " \
  "callback_sealed"
#define WL_PG_ROLE_COLUMNS \
  "id, org_id, kind, name, description, fallback_role, fallback_user, created_at, updated_at"
#define WL_PG_SHIFT_COLUMNS                                                               \
  "id, org_id, role_id, user_id, starts_at, ends_at, time_zone, source_key, updated_by, " \
  "updated_at"
#define WL_PG_AUDIT_COLUMNS \
  "seq, at, org_id, actor, device_id, action, target, outcome, detail, prev_hash, hash, chain"

namespace wl::detail::pg {

constexpr int kThreadColumnCount = 10;

// A LIMIT for `limit`, within bigint.
std::int64_t clamp_limit(std::size_t limit);

Org read_org(const PgResult& result, int row);
User read_user(const PgResult& result, int row);
Device read_device(const PgResult& result, int row);
Session read_session(const PgResult& result, int row);
Patient read_patient(const PgResult& result, int row);
Thread read_thread(const PgResult& result, int row);
Event read_event(const PgResult& result, int row);
Role read_role(const PgResult& result, int row);
Shift read_shift(const PgResult& result, int row);
AuditEntry read_audit_entry(const PgResult& result, int row);

// Reads the first row with `read`. Errors: NotFound (naming `what`) if none; Internal if
// a value had an unexpected type.
template <typename T, typename Reader>
Result<T> single_row(const PgResult& result, Reader read, std::string_view what) {
  if (result.rows() == 0) {
    return error(Code::kNotFound, std::string(what) + " not found");
  }
  T value = read(result, 0);
  WL_TRY(result.check());
  return value;
}

template <typename T, typename Reader>
Result<std::vector<T>> all_rows(const PgResult& result, Reader read) {
  std::vector<T> rows;
  rows.reserve(static_cast<std::size_t>(result.rows()));
  for (int row = 0; row < result.rows(); ++row) {
    rows.push_back(read(result, row));
  }
  WL_TRY(result.check());
  return rows;
}

// Makes a multi-statement read see one snapshot (REPEATABLE READ, READ ONLY).
class ReadTransaction {
 public:
  explicit ReadTransaction(PgConnection& connection) : connection_(connection) {}
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;
  ~ReadTransaction() {
    if (open_) {
      // After a failed statement COMMIT rolls back, which is what a read wants too.
      (void)connection_.execute("COMMIT", "end read");
    }
  }
  [[nodiscard]] Result<void> begin() {
    WL_TRY(connection_.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "begin read"));
    open_ = true;
    return ok();
  }

 private:
  PgConnection& connection_;
  bool open_ = false;
};

// Fails with NotFound (naming `what`) when the statement changed no row.
Result<void> expect_changed(const PgResult& result, std::string_view what);

Result<Thread> load_thread(PgConnection& connection, ThreadId id);
// As load_thread, and locks the thread's row until the transaction ends, after the
// stream gate (lock_stream: one lock order for all stores). Every write
// of a thread's events takes it first, across stores, so within one thread event ids
// are assigned in commit order: seqs are contiguous, and membership periods (bounded by
// event ids) agree with the recipients each write computed under the same lock.
//
// It also keeps stream positions (transaction id, event id) in commit order within a
// thread: threads.last_xact is the last transaction that wrote the thread's events, and
// a transaction with a smaller id that gets the lock after it fails with Aborted and
// sets context.rerun, so the writer reruns its batch in a new (larger) transaction.
Result<Thread> lock_thread(WriteContext& context, ThreadId id);

// ---- Write helpers: run on the writer thread inside a job's savepoint. ----

// Inserts `event` (its id is assigned here, its epoch is the writing transaction's id)
// and records it for the job's CommitHook.
Result<void> insert_event(WriteContext& context, Event& event);
// The org of a user. Errors: NotFound.
Result<OrgId> org_of_user(PgConnection& connection, UserId user);
// Appends a user- or org-scoped event (an EventKind whose scope_of() is not kThread):
// `user` is the user of a user event; `subject` whom it is about; `role` the role of a
// routing kind.
Result<Event> insert_scoped_event(WriteContext& context, EventKind kind, OrgId org, UserId user,
                                  UserId actor, UserId subject, Timestamp at,
                                  RoleId role = RoleId(), EventId ref = EventId());

// Takes the stream gate: a transaction-level advisory lock that every transaction
// takes before it writes an existing thread's events (lock_thread), so those
// transactions run one after another across stores. Taking
// it gives the transaction no id, so one that takes it before its first write gets a
// larger id than every transaction that held it before: the writer does so when it
// reruns a batch that lock_thread found overtaken, which then cannot be overtaken again.
Result<void> lock_stream(PgConnection& connection);

// Claims an audit chain for the store whose writer `connection` is (docs/audit_chain.md,
// "Chains"): the first chain no live store holds, or else a new one. The claim is a
// session-level advisory lock on the chain, held as long as the session, so no two
// live stores append to one chain and a restarted store takes a chain back.
Result<std::int64_t> claim_audit_chain(PgConnection& connection);
// Claims `chain` again on a new session of the same writer. Errors: Unavailable if
// another store claimed it meanwhile.
Result<void> reclaim_audit_chain(PgConnection& connection, std::int64_t chain);

// Locks this store's chain head row until the transaction ends and reads it into
// context.audit_head, unless this transaction holds it already.
Result<void> lock_audit_head(WriteContext& context);

// Appends an audit entry to this store's chain, after its head.
Result<AuditEntry> insert_audit(WriteContext& context, const AuditDraft& draft);

// Opens `user`'s membership period of `thread` at event `from` (inclusive).
Result<void> open_membership(PgConnection& connection, ThreadId thread, UserId user, EventId from);

// Appends a membership event (kMemberAdded, kMemberRemoved) of `subject` by `actor`.
Result<Event> member_event(WriteContext& context, const Thread& thread, EventKind kind,
                           UserId subject, UserId actor, Timestamp now);

// Brings `thread` into the stream of each member whose stream it is not in yet (only
// `only`, if set): appends a kMemberAdded for them by `actor` and opens their period
// there, so live delivery and replay both start at that event.
Result<void> open_missing_periods(WriteContext& context, const Thread& thread, UserId actor,
                                  Timestamp now, std::optional<UserId> only);

// The users whose streams each event belongs to, decided inside the write's
// transaction (the same rule as the SQLite adapter's with_recipients and as
// read_user_events replays by).
Result<std::vector<CommittedEvent>> with_recipients(PgConnection& connection,
                                                    const std::vector<Event>& events);

}  // namespace wl::detail::pg
