#include "adapters/sqlite/detail/rows.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "adapters/common/recipients.hpp"

namespace wl::detail {

std::int64_t clamp_limit(std::size_t limit) {
  return static_cast<std::int64_t>(
      std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

Org read_org(const Statement& row) {
  return Org{OrgId(row.column_int64(0)), row.column_bytes(1), row.column_time(2),
             std::chrono::seconds(row.column_int64(3))};
}

User read_user(const Statement& row) {
  User user;
  user.id = UserId(row.column_int64(0));
  user.org_id = OrgId(row.column_int64(1));
  user.username = row.column_bytes(2);
  user.display_name = row.column_bytes(3);
  user.title = row.column_bytes(4);
  user.password_hash = row.column_bytes(5);
  user.is_admin = row.column_int64(6) != 0;
  user.disabled = row.column_int64(7) != 0;
  user.failed_logins = static_cast<int>(row.column_int64(8));
  user.locked_until = row.column_optional_time(9);
  user.created_at = row.column_time(10);
  user.is_operator = row.column_int64(11) != 0;
  user.pin_hash = row.column_bytes(12);
  user.is_scheduler = row.column_int64(13) != 0;
  user.department = row.column_bytes(14);
  return user;
}

Device read_device(const Statement& row) {
  Device device;
  device.id = DeviceId(row.column_int64(0));
  device.user_id = UserId(row.column_int64(1));
  device.name_sealed = row.column_bytes(2);
  device.created_at = row.column_time(3);
  device.last_seen = row.column_time(4);
  device.revoked = row.column_int64(5) != 0;
  return device;
}

Session read_session(const Statement& row) {
  Session session;
  session.token_hash = row.column_bytes(0);
  session.user_id = UserId(row.column_int64(1));
  session.device_id = DeviceId(row.column_int64(2));
  session.created_at = row.column_time(3);
  session.last_used = row.column_time(4);
  session.expires_at = row.column_time(5);
  session.revoked = row.column_int64(6) != 0;
  session.locked = row.column_int64(7) != 0;
  session.pin_failures = static_cast<int>(row.column_int64(8));
  return session;
}

Patient read_patient(const Statement& row) {
  Patient patient;
  patient.id = PatientId(row.column_int64(0));
  patient.org_id = OrgId(row.column_int64(1));
  patient.mrn_token = row.column_bytes(2);
  patient.mrn_sealed = row.column_bytes(3);
  patient.name_sealed = row.column_bytes(4);
  patient.dob_sealed = row.column_bytes(5);
  patient.location_sealed = row.column_bytes(6);
  patient.attending_sealed = row.column_bytes(7);
  patient.updated_at = row.column_time(8);
  patient.seal_record = row.column_bytes(9);
  patient.sex_sealed = row.column_bytes(10);
  patient.merged_into = PatientId(row.column_is_null(11) ? 0 : row.column_int64(11));
  patient.event_at = row.column_optional_time(12);
  patient.version = row.column_int64(13);
  return patient;
}

Thread read_thread(const Statement& row) {
  Thread thread;
  thread.id = ThreadId(row.column_int64(0));
  thread.org_id = OrgId(row.column_int64(1));
  thread.kind = static_cast<ThreadKind>(row.column_int64(2));
  thread.title_sealed = row.column_bytes(3);
  thread.patient_id = PatientId(row.column_int64(4));
  thread.unique_key = row.column_bytes(5);
  thread.created_by = UserId(row.column_int64(6));
  thread.created_at = row.column_time(7);
  thread.last_seq = row.column_int64(8);
  thread.role_id = RoleId(row.column_int64(9));
  return thread;
}

Event read_event(const Statement& row) {
  Event event;
  event.id = EventId(row.column_int64(0));
  event.org_id = OrgId(row.column_int64(1));
  event.thread_id = ThreadId(row.column_int64(2));
  event.kind = static_cast<EventKind>(row.column_int64(3));
  event.actor = UserId(row.column_int64(4));
  event.created_at = row.column_time(5);
  event.seq = row.column_int64(6);
  event.client_token = row.column_bytes(7);
  event.urgent = row.column_int64(8) != 0;
  event.body_sealed = row.column_bytes(9);
  event.ref = EventId(row.column_int64(10));
  event.ref_seq = row.column_int64(11);
  event.subject = UserId(row.column_int64(12));
  event.client_id_sealed = row.column_bytes(13);
  event.written_at = row.column_optional_time(14);
  event.scope = static_cast<EventScope>(row.column_int64(15));
  event.user_id = UserId(row.column_int64(16));
  event.role = RoleId(row.column_int64(17));
  event.reason = row.column_bytes(18);
  event.callback_sealed = row.column_bytes(19);
  return event;
}

Role read_role(const Statement& row) {
  Role role;
  role.id = RoleId(row.column_int64(0));
  role.org_id = OrgId(row.column_int64(1));
  role.kind = static_cast<RoleKind>(row.column_int64(2));
  role.name = row.column_bytes(3);
  role.description = row.column_bytes(4);
  role.fallback_role = RoleId(row.column_int64(5));
  role.fallback_user = UserId(row.column_int64(6));
  role.created_at = row.column_time(7);
  role.updated_at = row.column_time(8);
  return role;
}

Shift read_shift(const Statement& row) {
  Shift shift;
  shift.id = ShiftId(row.column_int64(0));
  shift.org_id = OrgId(row.column_int64(1));
  shift.role_id = RoleId(row.column_int64(2));
  shift.user_id = UserId(row.column_int64(3));
  shift.starts_at = row.column_time(4);
  shift.ends_at = row.column_time(5);
  shift.time_zone = row.column_bytes(6);
  shift.source_key = row.column_bytes(7);
  shift.updated_by = UserId(row.column_int64(8));
  shift.updated_at = row.column_time(9);
  return shift;
}

AuditEntry read_audit_entry(const Statement& row) {
  AuditEntry entry;
  entry.seq = row.column_int64(0);
  entry.draft.at = row.column_time(1);
  entry.draft.org_id = OrgId(row.column_int64(2));
  entry.draft.actor = UserId(row.column_int64(3));
  entry.draft.device = DeviceId(row.column_int64(4));
  entry.draft.action = row.column_bytes(5);
  entry.draft.target = row.column_bytes(6);
  entry.draft.outcome = row.column_bytes(7);
  entry.draft.detail = row.column_bytes(8);
  entry.prev_hash = row.column_bytes(9);
  entry.hash = row.column_bytes(10);
  return entry;
}

Result<void> expect_changed(Connection& connection, std::string_view what) {
  if (connection.changes() == 0) {
    return error(Code::kNotFound, std::string(what) + " not found");
  }
  return ok();
}

Result<Thread> load_thread(Connection& connection, ThreadId id) {
  auto select = WL_TRY(
      connection.prepare("SELECT " WL_THREAD_COLUMNS " FROM threads WHERE id = ?1", "find thread"));
  select.bind(1, id.value());
  return single_row<Thread>(select, read_thread, "thread");
}

Result<void> insert_event(WriteContext& context, Event& event) {
  auto insert = WL_TRY(context.connection.prepare(
      "INSERT INTO events (org_id, thread_id, kind, actor, created_at, seq, client_id, urgent, "
      "body_sealed, ref, ref_seq, subject, client_id_sealed, written_at, scope, user_id, role_id, "
      "reason, callback_sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
      "?14, ?15, ?16, ?17, ?18, ?19)",
      "append event"));
  event.scope = scope_of(event.kind);
  insert.bind(1, event.org_id.value())
      .bind(3, static_cast<std::int64_t>(event.kind))
      .bind(4, event.actor.value())
      .bind(5, event.created_at);
  if (event.kind == EventKind::kMessage) {
    // A message's client_id_sealed is never NULL (an empty one is a zero-length blob):
    // NULL marks the clear client ids of older versions (docs/storage.md).
    insert.bind(6, event.seq)
        .bind_text_or_null(7, event.client_token)
        .bind_blob(9, event.body_sealed)
        .bind_blob(13, event.client_id_sealed);
  } else if (event.kind == EventKind::kThreadRenamed) {
    insert.bind_null(6).bind_null(7).bind_blob(9, event.body_sealed).bind_null(13);
  } else {
    insert.bind_null(6).bind_null(7).bind_null(9).bind_null(13);
  }
  if (event.kind == EventKind::kMessage && event.written_at) {
    insert.bind(14, *event.written_at);
  } else {
    insert.bind_null(14);
  }
  insert.bind(8, std::int64_t{event.urgent ? 1 : 0});
  bind_optional_id(insert, 10, event.ref);
  insert.bind(11, event.ref_seq);
  bind_optional_id(insert, 12, event.subject);
  // The table's CHECK holds each scope to its target: a thread, a user, or neither.
  insert.bind(15, static_cast<std::int64_t>(event.scope));
  bind_optional_id(insert, 2, event.scope == EventScope::kThread ? event.thread_id : ThreadId());
  bind_optional_id(insert, 16, event.scope == EventScope::kUser ? event.user_id : UserId());
  bind_optional_id(insert, 17, event.role);
  insert.bind_text_or_null(18, event.reason);
  // NULL for none, as before schema 19.
  if (event.kind == EventKind::kMessage && !event.callback_sealed.empty()) {
    insert.bind_blob(19, event.callback_sealed);
  } else {
    insert.bind_null(19);
  }
  WL_TRY(insert.run());
  event.id = EventId(context.connection.last_insert_id());
  if (event.kind == EventKind::kUserChanged || event.kind == EventKind::kRoleChanged) {
    // The directory version (DirectoryStore::directory_version) moves with the event
    // that announces the change, in its transaction.
    auto bump = WL_TRY(context.connection.prepare(
        "INSERT INTO directory_versions (org_id, version) VALUES (?1, 1) "
        "ON CONFLICT (org_id) DO UPDATE SET version = version + 1",
        "bump directory version"));
    WL_TRY(bump.bind(1, event.org_id.value()).run());
  }
  context.events->push_back(event);
  return ok();
}

Result<OrgId> org_of_user(Connection& connection, UserId user) {
  auto select =
      WL_TRY(connection.prepare("SELECT org_id FROM users WHERE id = ?1", "find user's org"));
  select.bind(1, user.value());
  if (!WL_TRY(select.step())) {
    return error(Code::kNotFound, "user not found");
  }
  return OrgId(select.column_int64(0));
}

Result<Event> insert_scoped_event(WriteContext& context, EventKind kind, OrgId org, UserId user,
                                  UserId actor, UserId subject, Timestamp at, RoleId role,
                                  EventId ref) {
  Event event;
  event.role = role;
  event.ref = ref;
  event.org_id = org;
  event.user_id = scope_of(kind) == EventScope::kUser ? user : UserId();
  event.kind = kind;
  event.actor = actor;
  event.subject = subject;
  event.created_at = at;
  WL_TRY(insert_event(context, event));
  return event;
}

Result<AuditEntry> insert_audit(WriteContext& context, const AuditDraft& draft) {
  AuditEntry entry;
  entry.seq = context.audit_head.seq + 1;
  entry.draft = draft;
  entry.prev_hash = context.audit_head.hash;
  entry.hash = context.chainer(entry);
  auto insert =
      WL_TRY(context.connection.prepare("INSERT INTO audit (" WL_AUDIT_COLUMNS
                                        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                                        "append audit entry"));
  WL_TRY(insert.bind(1, entry.seq)
             .bind(2, draft.at)
             .bind(3, draft.org_id.value())
             .bind(4, draft.actor.value())
             .bind(5, draft.device.value())
             .bind_text(6, draft.action)
             .bind_text(7, draft.target)
             .bind_text(8, draft.outcome)
             .bind_text(9, draft.detail)
             .bind_blob(10, entry.prev_hash)
             .bind_blob(11, entry.hash)
             .run());
  context.audit_head.seq = entry.seq;
  context.audit_head.hash = entry.hash;
  return entry;
}

Result<Event> member_event(WriteContext& context, const Thread& thread, EventKind kind,
                           UserId subject, UserId actor, Timestamp now) {
  Event event;
  event.org_id = thread.org_id;
  event.thread_id = thread.id;
  event.kind = kind;
  event.actor = actor;
  event.created_at = now;
  event.subject = subject;
  WL_TRY(insert_event(context, event));
  return event;
}

Result<void> open_membership(Connection& connection, ThreadId thread, UserId user, EventId from) {
  auto insert = WL_TRY(connection.prepare(
      "INSERT INTO memberships (user_id, thread_id, from_event) VALUES (?1, ?2, ?3)",
      "record membership"));
  return insert.bind(1, user.value()).bind(2, thread.value()).bind(3, from.value()).run();
}

Result<void> open_missing_periods(WriteContext& context, const Thread& thread, UserId actor,
                                  Timestamp now, std::optional<UserId> only) {
  std::vector<UserId> missing;
  {
    auto select = WL_TRY(context.connection.prepare(
        "SELECT m.user_id FROM members m WHERE m.thread_id = ?1 AND NOT EXISTS ("
        "SELECT 1 FROM memberships p WHERE p.thread_id = m.thread_id AND p.user_id = m.user_id "
        "AND p.to_event IS NULL) ORDER BY m.user_id",
        "open membership periods"));
    select.bind(1, thread.id.value());
    while (WL_TRY(select.step())) {
      const UserId user(select.column_int64(0));
      if (!only || *only == user) {
        missing.push_back(user);
      }
    }
  }
  for (const UserId user : missing) {
    const Event added =
        WL_TRY(member_event(context, thread, EventKind::kMemberAdded, user, actor, now));
    WL_TRY(open_membership(context.connection, thread.id, user, added.id));
  }
  return ok();
}

Result<std::vector<CommittedEvent>> with_recipients(Connection& connection,
                                                    const std::vector<Event>& events) {
  return assign_recipients(events, [&connection](ThreadId thread) -> Result<std::vector<UserId>> {
    auto select = WL_TRY(connection.prepare(
        "SELECT user_id FROM memberships WHERE thread_id = ?1 AND to_event IS NULL "
        "ORDER BY user_id",
        "list recipients"));
    select.bind(1, thread.value());
    std::vector<UserId> members;
    while (WL_TRY(select.step())) {
      members.push_back(UserId(select.column_int64(0)));
    }
    return members;
  });
}

}  // namespace wl::detail
