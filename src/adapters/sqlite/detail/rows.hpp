#pragma once

// What the SQLite adapter's files share (sqlite_*.cpp): the column lists that read
// whole records with their readers, the small statement helpers, and the write helpers
// that run on the writer thread inside a job's savepoint. Internal to the adapter.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/sqlite/detail/connection.hpp"
#include "adapters/sqlite/detail/writer.hpp"
#include "ports/store.hpp"

// Column lists shared by the statements that read whole records; each read_* helper
// below decodes exactly its list, in order.
#define WL_ORG_COLUMNS "id, name, created_at, idle_lock_seconds"
#define WL_USER_COLUMNS                                                            \
  "id, org_id, username, display_name, title, password_hash, is_admin, disabled, " \
  "failed_logins, locked_until, created_at, is_operator, pin_hash, is_scheduler, department"
#define WL_DEVICE_COLUMNS "id, user_id, name_sealed, created_at, last_seen, revoked_at IS NOT NULL"
#define WL_SESSION_COLUMNS                                                               \
  "token_hash, user_id, device_id, created_at, last_used, expires_at, revoked, locked, " \
  "pin_failures"
#define WL_PATIENT_COLUMNS                                                        \
  "id, org_id, mrn_token, mrn_sealed, name_sealed, dob_sealed, location_sealed, " \
  "attending_sealed, updated_at, seal_record, sex_sealed, merged_into, event_at, version"
#define WL_THREAD_COLUMNS                                                                      \
  "id, org_id, kind, title_sealed, patient_id, unique_key, created_by, created_at, last_seq, " \
  "role_id"
// events.client_id holds the client id's blind token (Event::client_token).
#define WL_EVENT_COLUMNS                                                                   \
  "id, org_id, thread_id, kind, actor, created_at, seq, client_id, urgent, body_sealed, "  \
  "ref, ref_seq, subject, client_id_sealed, written_at, scope, user_id, role_id, reason, " \
  "callback_sealed"
#define WL_ROLE_COLUMNS \
  "id, org_id, kind, name, description, fallback_role, fallback_user, created_at, updated_at"
#define WL_SHIFT_COLUMNS                                                                  \
  "id, org_id, role_id, user_id, starts_at, ends_at, time_zone, source_key, updated_by, " \
  "updated_at"
#define WL_AUDIT_COLUMNS \
  "seq, at, org_id, actor, device_id, action, target, outcome, detail, prev_hash, hash"

namespace wl::detail {

constexpr int kThreadColumnCount = 10;

std::int64_t clamp_limit(std::size_t limit);

Org read_org(const Statement& row);

User read_user(const Statement& row);

Device read_device(const Statement& row);

Session read_session(const Statement& row);

Patient read_patient(const Statement& row);

Thread read_thread(const Statement& row);

Event read_event(const Statement& row);

Role read_role(const Statement& row);

Shift read_shift(const Statement& row);

AuditEntry read_audit_entry(const Statement& row);

// Binds an id that is stored as NULL when unset (optional foreign keys).
template <typename Tag>
void bind_optional_id(Statement& statement, int index, StrongId<Tag> id) {
  if (id.is_set()) {
    statement.bind(index, id.value());
  } else {
    statement.bind_null(index);
  }
}

// Reads at most one row with `read`. Errors: NotFound (naming `what`) if none.
template <typename T, typename Reader>
Result<T> single_row(Statement& statement, Reader read, std::string_view what) {
  if (!WL_TRY(statement.step())) {
    return error(Code::kNotFound, std::string(what) + " not found");
  }
  return read(statement);
}

template <typename T, typename Reader>
Result<std::vector<T>> all_rows(Statement& statement, Reader read) {
  std::vector<T> rows;
  while (WL_TRY(statement.step())) {
    rows.push_back(read(statement));
  }
  return rows;
}

// Makes a multi-statement read see one committed snapshot.
class ReadTransaction {
 public:
  explicit ReadTransaction(Connection& connection) : connection_(connection) {}
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;
  ~ReadTransaction() {
    if (open_) {
      (void)connection_.execute("COMMIT", "end read");
    }
  }
  [[nodiscard]] Result<void> begin() {
    WL_TRY(connection_.execute("BEGIN", "begin read"));
    open_ = true;
    return ok();
  }

 private:
  Connection& connection_;
  bool open_ = false;
};

// Fails with NotFound (naming `what`) when the last statement changed no row.
Result<void> expect_changed(Connection& connection, std::string_view what);

Result<Thread> load_thread(Connection& connection, ThreadId id);

// ---- Write helpers: run on the writer thread inside a job's savepoint. ----

// Inserts `event` (its id is assigned here) and records it for the job's CommitHook.
Result<void> insert_event(WriteContext& context, Event& event);
// The org of a user. Errors: NotFound.
Result<OrgId> org_of_user(Connection& connection, UserId user);
// Appends a user- or org-scoped event (an EventKind whose scope_of() is not kThread):
// `user` is the user of a user event; `subject` whom it is about; `role` the role of a
// routing kind.
Result<Event> insert_scoped_event(WriteContext& context, EventKind kind, OrgId org, UserId user,
                                  UserId actor, UserId subject, Timestamp at,
                                  RoleId role = RoleId(), EventId ref = EventId());

Result<AuditEntry> insert_audit(WriteContext& context, const AuditDraft& draft);

// Opens `user`'s membership period of `thread` at event `from` (inclusive); see
// read_user_events.
Result<void> open_membership(Connection& connection, ThreadId thread, UserId user, EventId from);

// Appends a membership event (kMemberAdded, kMemberRemoved) of `subject` by `actor`.
Result<Event> member_event(WriteContext& context, const Thread& thread, EventKind kind,
                           UserId subject, UserId actor, Timestamp now);

// Brings `thread` into the stream of each member whose stream it is not in yet (only
// `only`, if set): appends a kMemberAdded for them by `actor` and opens their period
// there, so live delivery and replay both start at that event.
Result<void> open_missing_periods(WriteContext& context, const Thread& thread, UserId actor,
                                  Timestamp now, std::optional<UserId> only);

// The users whose streams each event belongs to, decided inside the write's
// transaction: those with an open membership period of the thread after the write
// (its members, but for a direct thread's member it has not reached yet), plus the
// removed user of a kMemberRemoved; of those, for a kDelivered only the message's
// sender and the recipient (the same rule read_user_events replays by).
Result<std::vector<CommittedEvent>> with_recipients(Connection& connection,
                                                    const std::vector<Event>& events);

}  // namespace wl::detail
