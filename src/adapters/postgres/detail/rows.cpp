#include "adapters/postgres/detail/rows.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "adapters/common/recipients.hpp"

namespace wl::detail::pg {

std::int64_t clamp_limit(std::size_t limit) {
  return static_cast<std::int64_t>(
      std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

namespace {

// Counters and enums are stored as bigint; a value outside int's range is corrupt.
int narrow_int(const PgResult& result, int row, int column) {
  const std::int64_t value = result.int64(row, column);
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    result.reject();
    return 0;
  }
  return static_cast<int>(value);
}

}  // namespace

Org read_org(const PgResult& result, int row) {
  return Org{OrgId(result.int64(row, 0)), result.bytes(row, 1), result.time(row, 2),
             std::chrono::seconds(result.int64(row, 3))};
}

User read_user(const PgResult& result, int row) {
  User user;
  user.id = UserId(result.int64(row, 0));
  user.org_id = OrgId(result.int64(row, 1));
  user.username = result.bytes(row, 2);
  user.display_name = result.bytes(row, 3);
  user.title = result.bytes(row, 4);
  user.password_hash = result.bytes(row, 5);
  user.is_admin = result.boolean(row, 6);
  user.disabled = result.boolean(row, 7);
  user.failed_logins = narrow_int(result, row, 8);
  user.locked_until = result.optional_time(row, 9);
  user.created_at = result.time(row, 10);
  user.is_operator = result.boolean(row, 11);
  user.pin_hash = result.bytes(row, 12);
  user.is_scheduler = result.boolean(row, 13);
  user.department = result.bytes(row, 14);
  return user;
}

Device read_device(const PgResult& result, int row) {
  Device device;
  device.id = DeviceId(result.int64(row, 0));
  device.user_id = UserId(result.int64(row, 1));
  device.name_sealed = result.bytes(row, 2);
  device.created_at = result.time(row, 3);
  device.last_seen = result.time(row, 4);
  device.revoked = result.boolean(row, 5);
  return device;
}

Session read_session(const PgResult& result, int row) {
  Session session;
  session.token_hash = result.bytes(row, 0);
  session.user_id = UserId(result.int64(row, 1));
  session.device_id = DeviceId(result.int64(row, 2));
  session.created_at = result.time(row, 3);
  session.last_used = result.time(row, 4);
  session.expires_at = result.time(row, 5);
  session.revoked = result.boolean(row, 6);
  session.locked = result.boolean(row, 7);
  session.pin_failures = narrow_int(result, row, 8);
  return session;
}

Patient read_patient(const PgResult& result, int row) {
  Patient patient;
  patient.id = PatientId(result.int64(row, 0));
  patient.org_id = OrgId(result.int64(row, 1));
  patient.mrn_token = result.bytes(row, 2);
  patient.mrn_sealed = result.bytes(row, 3);
  patient.name_sealed = result.bytes(row, 4);
  patient.dob_sealed = result.bytes(row, 5);
  patient.location_sealed = result.bytes(row, 6);
  patient.attending_sealed = result.bytes(row, 7);
  patient.updated_at = result.time(row, 8);
  patient.seal_record = result.bytes(row, 9);
  patient.sex_sealed = result.bytes(row, 10);
  patient.merged_into = PatientId(result.optional_int64(row, 11).value_or(0));
  patient.event_at = result.optional_time(row, 12);
  patient.version = result.int64(row, 13);
  return patient;
}

Thread read_thread(const PgResult& result, int row) {
  Thread thread;
  thread.id = ThreadId(result.int64(row, 0));
  thread.org_id = OrgId(result.int64(row, 1));
  thread.kind = static_cast<ThreadKind>(narrow_int(result, row, 2));
  thread.title_sealed = result.bytes(row, 3);
  thread.patient_id = PatientId(result.int64(row, 4));
  thread.unique_key = result.bytes(row, 5);
  thread.created_by = UserId(result.int64(row, 6));
  thread.created_at = result.time(row, 7);
  thread.last_seq = result.int64(row, 8);
  thread.role_id = RoleId(result.int64(row, 9));
  return thread;
}

Event read_event(const PgResult& result, int row) {
  Event event;
  event.id = EventId(result.int64(row, 0));
  event.org_id = OrgId(result.int64(row, 1));
  event.thread_id = ThreadId(result.int64(row, 2));
  event.kind = static_cast<EventKind>(narrow_int(result, row, 3));
  event.actor = UserId(result.int64(row, 4));
  event.created_at = result.time(row, 5);
  event.seq = result.int64(row, 6);
  event.client_token = result.bytes(row, 7);
  event.urgent = result.boolean(row, 8);
  event.body_sealed = result.bytes(row, 9);
  event.ref = EventId(result.int64(row, 10));
  event.ref_seq = result.int64(row, 11);
  event.subject = UserId(result.int64(row, 12));
  event.client_id_sealed = result.bytes(row, 13);
  event.written_at = result.optional_time(row, 14);
  const std::int64_t scope = result.int64(row, 15);
  if (scope < static_cast<std::int64_t>(EventScope::kThread) ||
      scope > static_cast<std::int64_t>(EventScope::kOrg)) {
    result.reject();
  }
  event.scope = static_cast<EventScope>(scope);
  event.user_id = UserId(result.int64(row, 16));
  event.epoch = result.int64(row, 17);
  event.role = RoleId(result.int64(row, 18));
  event.reason = result.bytes(row, 19);
  event.callback_sealed = result.bytes(row, 20);
  return event;
}

Role read_role(const PgResult& result, int row) {
  Role role;
  role.id = RoleId(result.int64(row, 0));
  role.org_id = OrgId(result.int64(row, 1));
  const std::int64_t kind = result.int64(row, 2);
  if (kind < static_cast<std::int64_t>(RoleKind::kRole) ||
      kind > static_cast<std::int64_t>(RoleKind::kRoom)) {
    result.reject();
  }
  role.kind = static_cast<RoleKind>(kind);
  role.name = result.bytes(row, 3);
  role.description = result.bytes(row, 4);
  role.fallback_role = RoleId(result.int64(row, 5));
  role.fallback_user = UserId(result.int64(row, 6));
  role.created_at = result.time(row, 7);
  role.updated_at = result.time(row, 8);
  return role;
}

Shift read_shift(const PgResult& result, int row) {
  Shift shift;
  shift.id = ShiftId(result.int64(row, 0));
  shift.org_id = OrgId(result.int64(row, 1));
  shift.role_id = RoleId(result.int64(row, 2));
  shift.user_id = UserId(result.int64(row, 3));
  shift.starts_at = result.time(row, 4);
  shift.ends_at = result.time(row, 5);
  shift.time_zone = result.bytes(row, 6);
  shift.source_key = result.bytes(row, 7);
  shift.updated_by = UserId(result.int64(row, 8));
  shift.updated_at = result.time(row, 9);
  return shift;
}

AuditEntry read_audit_entry(const PgResult& result, int row) {
  AuditEntry entry;
  entry.seq = result.int64(row, 0);
  entry.draft.at = result.time(row, 1);
  entry.draft.org_id = OrgId(result.int64(row, 2));
  entry.draft.actor = UserId(result.int64(row, 3));
  entry.draft.device = DeviceId(result.int64(row, 4));
  entry.draft.action = result.bytes(row, 5);
  entry.draft.target = result.bytes(row, 6);
  entry.draft.outcome = result.bytes(row, 7);
  entry.draft.detail = result.bytes(row, 8);
  entry.prev_hash = result.bytes(row, 9);
  entry.hash = result.bytes(row, 10);
  entry.chain = result.int64(row, 11);
  return entry;
}

Result<void> expect_changed(const PgResult& result, std::string_view what) {
  const std::int64_t changed = result.affected();
  WL_TRY(result.check());
  if (changed == 0) {
    return error(Code::kNotFound, std::string(what) + " not found");
  }
  return ok();
}

Result<Thread> load_thread(PgConnection& connection, ThreadId id) {
  const PgResult thread =
      WL_TRY(connection.query("SELECT " WL_PG_THREAD_COLUMNS " FROM threads WHERE id = $1",
                              Params().add(id), "find thread"));
  return single_row<Thread>(thread, read_thread, "thread");
}

Result<void> lock_stream(PgConnection& connection) {
  // "stream" in ASCII: the key of the stream gate.
  constexpr std::int64_t kStreamGate = 0x73747265616d;
  // Deferred: the statement after it waits for the lock on the server.
  connection.defer("SELECT pg_advisory_xact_lock($1)", Params().add(kStreamGate), "lock stream");
  return ok();
}

namespace {

// The first key of the advisory locks that claim audit chains ("audi" in ASCII); the
// second is the chain.
constexpr std::int32_t kAuditChainLock = 0x61756469;

Result<bool> try_claim(PgConnection& connection, std::int64_t chain) {
  const PgResult claimed = WL_TRY(connection.query(
      "SELECT pg_try_advisory_lock($1::integer, $2::integer)",
      Params().add(std::int64_t{kAuditChainLock}).add(chain), "claim audit chain"));
  WL_TRY(claimed.check());
  return claimed.rows() == 1 && claimed.boolean(0, 0);
}

}  // namespace

Result<std::int64_t> claim_audit_chain(PgConnection& connection) {
  // Bounded: each round either claims a chain or loses one to another store, which
  // only happens while stores are opening at the same moment.
  for (int round = 0; round < 100; ++round) {
    const PgResult chains =
        WL_TRY(connection.query("SELECT id FROM audit_head ORDER BY id", "list audit chains"));
    for (int row = 0; row < chains.rows(); ++row) {
      const std::int64_t chain = chains.int64(row, 0);
      if (WL_TRY(try_claim(connection, chain))) {
        return chain;
      }
    }
    // Every chain is held: start the next one. Two stores doing so at once collide on
    // the key; the loser looks again.
    const PgResult created = WL_TRY(connection.query(
        "INSERT INTO audit_head (id, seq, hash) "
        "SELECT coalesce(max(id), 0) + 1, 0, decode(repeat('00', 32), 'hex') FROM audit_head "
        "ON CONFLICT (id) DO NOTHING RETURNING id",
        "start audit chain"));
    if (created.rows() == 1 && WL_TRY(try_claim(connection, created.int64(0, 0)))) {
      return created.int64(0, 0);
    }
  }
  return error(Code::kUnavailable, "store: could not claim an audit chain");
}

Result<void> reclaim_audit_chain(PgConnection& connection, std::int64_t chain) {
  if (!WL_TRY(try_claim(connection, chain))) {
    return error(Code::kUnavailable, "store: another store took this store's audit chain");
  }
  return ok();
}

Result<void> lock_audit_head(WriteContext& context) {
  if (context.audit_head) {
    return ok();
  }
  // This store's own chain (claim_audit_chain): no other live store appends to it, so
  // the row lock never waits; it only guards the chain should two stores ever share it.
  const PgResult head =
      WL_TRY(context.connection.query("SELECT seq, hash FROM audit_head WHERE id = $1 FOR UPDATE",
                                      Params().add(context.audit_chain), "lock audit head"));
  context.audit_head = WL_TRY(single_row<AuditHead>(
      head,
      [](const PgResult& row, int index) {
        const std::int64_t seq = row.int64(index, 0);
        return AuditHead{seq, row.bytes(index, 1), seq};
      },
      "audit head"));
  return ok();
}

Result<Thread> lock_thread(WriteContext& context, ThreadId id) {
  if (std::find(context.locked_threads.begin(), context.locked_threads.end(), id) !=
      context.locked_threads.end()) {
    // Locked by an earlier write of this transaction, which already checked it and
    // marked it: the row as this transaction sees it is enough. Locking it again from
    // another savepoint would only stack lockers on the row for every reader to resolve.
    return load_thread(context.connection, id);
  }
  // The stream gate first, always, then the thread: one order across stores.
  if (!context.holds_gate) {
    WL_TRY(lock_stream(context.connection));
    context.holds_gate = true;
  }
  const PgResult locked =
      WL_TRY(context.connection.query("SELECT " WL_PG_THREAD_COLUMNS
                                      ", last_xact > pg_current_xact_id()::text::bigint "
                                      "FROM threads WHERE id = $1 FOR UPDATE",
                                      Params().add(id), "lock thread"));
  const Thread thread = WL_TRY(single_row<Thread>(locked, read_thread, "thread"));
  const bool overtaken = locked.boolean(0, kThreadColumnCount);
  WL_TRY(locked.check());
  if (overtaken) {
    context.rerun = true;
    return error(Code::kAborted, "store: a later transaction wrote the thread first");
  }
  context.connection.defer(
      "UPDATE threads SET last_xact = pg_current_xact_id()::text::bigint WHERE id = $1",
      Params().add(id), "lock thread");
  context.locked_threads.push_back(id);
  return thread;
}

Result<void> insert_event(WriteContext& context, Event& event) {
  event.scope = scope_of(event.kind);
  Params params;
  params.add(event.org_id).add(static_cast<std::int64_t>(event.kind));
  params.add(event.actor).add(event.created_at);
  if (event.kind == EventKind::kMessage) {
    params.add(event.seq).add_bytes_or_null(event.client_token);
  } else {
    params.add_null(PgType::kInt8).add_null(PgType::kBytea);
  }
  params.add(event.urgent);
  if (event.kind == EventKind::kMessage || event.kind == EventKind::kThreadRenamed) {
    params.add_bytes(event.body_sealed);
  } else {
    params.add_null(PgType::kBytea);
  }
  params.add_id_or_null(event.ref).add(event.ref_seq).add_id_or_null(event.subject);
  if (event.kind == EventKind::kMessage) {
    params.add_bytes(event.client_id_sealed).add(event.written_at);
  } else {
    params.add_null(PgType::kBytea).add_null(PgType::kInt8);
  }
  // The table's CHECK holds each scope to its target: a thread, a user, or neither.
  params.add(static_cast<std::int64_t>(event.scope))
      .add_id_or_null(event.scope == EventScope::kThread ? event.thread_id : ThreadId())
      .add_id_or_null(event.scope == EventScope::kUser ? event.user_id : UserId())
      .add_id_or_null(event.role)
      .add_text_or_null(event.reason);
  // NULL for none, as before schema 13.
  if (event.kind == EventKind::kMessage && !event.callback_sealed.empty()) {
    params.add_bytes(event.callback_sealed);
  } else {
    params.add_null(PgType::kBytea);
  }
  // The default of events.xact is the writing transaction's id: the position's epoch.
  const PgResult inserted = WL_TRY(context.connection.query(
      "INSERT INTO events (org_id, kind, actor, created_at, seq, client_token, urgent, "
      "body_sealed, ref, ref_seq, subject, client_id_sealed, written_at, scope, thread_id, "
      "user_id, role_id, reason, callback_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
      "$10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id, xact",
      params, "append event"));
  if (inserted.rows() != 1) {
    return error(Code::kInternal, "store: append event returned no row");
  }
  event.id = EventId(inserted.int64(0, 0));
  event.epoch = inserted.int64(0, 1);
  WL_TRY(inserted.check());
  if (event.kind == EventKind::kUserChanged || event.kind == EventKind::kRoleChanged) {
    // The directory version (DirectoryStore::directory_version) moves with the event
    // that announces the change, in its transaction, so every node sees it at commit.
    context.connection.defer(
        "INSERT INTO directory_versions (org_id, version) VALUES ($1, 1) "
        "ON CONFLICT (org_id) DO UPDATE SET version = directory_versions.version + 1",
        Params().add(event.org_id), "bump directory version");
  }
  context.events->push_back(event);
  return ok();
}

Result<OrgId> org_of_user(PgConnection& connection, UserId user) {
  const PgResult org = WL_TRY(connection.query("SELECT org_id FROM users WHERE id = $1",
                                               Params().add(user), "find user's org"));
  return single_row<OrgId>(
      org, [](const PgResult& row, int index) { return OrgId(row.int64(index, 0)); }, "user");
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
  WL_TRY(lock_audit_head(context));
  AuditHead& head = *context.audit_head;
  AuditEntry entry;
  entry.seq = head.seq + 1;
  entry.draft = draft;
  entry.prev_hash = head.hash;
  entry.hash = context.chainer(entry);
  entry.chain = context.audit_chain;
  // Nothing reads the insert's rows: it goes with the next statement the transaction
  // sends (PgConnection::defer), and a failure fails that one. The head row is written
  // once per batch, before its COMMIT (AuditHead).
  context.connection.defer("INSERT INTO audit (" WL_PG_AUDIT_COLUMNS
                           ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                           Params()
                               .add(entry.seq)
                               .add(draft.at)
                               .add(draft.org_id)
                               .add(draft.actor)
                               .add(draft.device)
                               .add_text(draft.action)
                               .add_text(draft.target)
                               .add_text(draft.outcome)
                               .add_text(draft.detail)
                               .add_bytes(entry.prev_hash)
                               .add_bytes(entry.hash)
                               .add(entry.chain),
                           "append audit entry");
  head.seq = entry.seq;
  head.hash = entry.hash;
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

Result<void> open_membership(PgConnection& connection, ThreadId thread, UserId user, EventId from) {
  WL_TRY(connection.query(
      "INSERT INTO memberships (user_id, thread_id, from_event) VALUES ($1, $2, $3)",
      Params().add(user).add(thread).add(from), "record membership"));
  return ok();
}

Result<void> open_missing_periods(WriteContext& context, const Thread& thread, UserId actor,
                                  Timestamp now, std::optional<UserId> only) {
  const PgResult missing_rows = WL_TRY(context.connection.query(
      "SELECT m.user_id FROM members m WHERE m.thread_id = $1 AND NOT EXISTS ("
      "SELECT 1 FROM memberships p WHERE p.thread_id = m.thread_id AND p.user_id = m.user_id "
      "AND p.to_event IS NULL) ORDER BY m.user_id",
      Params().add(thread.id), "open membership periods"));
  std::vector<UserId> missing;
  for (int row = 0; row < missing_rows.rows(); ++row) {
    const UserId user(missing_rows.int64(row, 0));
    if (!only || *only == user) {
      missing.push_back(user);
    }
  }
  WL_TRY(missing_rows.check());
  for (const UserId user : missing) {
    const Event added =
        WL_TRY(member_event(context, thread, EventKind::kMemberAdded, user, actor, now));
    WL_TRY(open_membership(context.connection, thread.id, user, added.id));
  }
  return ok();
}

Result<std::vector<CommittedEvent>> with_recipients(PgConnection& connection,
                                                    const std::vector<Event>& events) {
  return assign_recipients(events, [&connection](ThreadId thread) -> Result<std::vector<UserId>> {
    const PgResult open = WL_TRY(connection.query(
        "SELECT user_id FROM memberships WHERE thread_id = $1 AND to_event IS NULL "
        "ORDER BY user_id",
        Params().add(thread), "list recipients"));
    return all_rows<UserId>(
        open, [](const PgResult& row, int index) { return UserId(row.int64(index, 0)); });
  });
}

}  // namespace wl::detail::pg
