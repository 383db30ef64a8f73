#include "adapters/sqlite/sqlite_store.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include <sqlite3.h>

#include "adapters/sqlite/detail/checkpointer.hpp"
#include "adapters/sqlite/detail/connection.hpp"
#include "adapters/sqlite/detail/file_lock.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/schema.hpp"
#include "adapters/sqlite/detail/writer.hpp"

// Column lists shared by the statements that read whole records; each read_* helper
// below decodes exactly its list, in order.
#define WL_ORG_COLUMNS "id, name, created_at, idle_lock_seconds"
#define WL_USER_COLUMNS                                                            \
  "id, org_id, username, display_name, title, password_hash, is_admin, disabled, " \
  "failed_logins, locked_until, created_at, is_operator, pin_hash"
#define WL_DEVICE_COLUMNS "id, user_id, name_sealed, created_at, last_seen, revoked_at IS NOT NULL"
#define WL_SESSION_COLUMNS \
  "token_hash, user_id, device_id, created_at, last_used, expires_at, revoked, locked, " \
  "pin_failures"
#define WL_PATIENT_COLUMNS                                                        \
  "id, org_id, mrn_token, mrn_sealed, name_sealed, dob_sealed, location_sealed, " \
  "attending_sealed, updated_at"
#define WL_THREAD_COLUMNS \
  "id, org_id, kind, title_sealed, patient_id, unique_key, created_by, created_at, last_seq"
// events.client_id holds the client id's blind token (Event::client_token).
#define WL_EVENT_COLUMNS                                                                  \
  "id, org_id, thread_id, kind, actor, created_at, seq, client_id, urgent, body_sealed, " \
  "ref, ref_seq, subject, client_id_sealed, written_at"
#define WL_AUDIT_COLUMNS \
  "seq, at, org_id, actor, device_id, action, target, outcome, detail, prev_hash, hash"

namespace wl {
namespace {

using detail::Connection;
using detail::Statement;
using detail::WriteContext;

constexpr int kThreadColumnCount = 9;

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
  return event;
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

// The newest thread of the org with `thread`'s kind and patient and no unique key whose
// current members are exactly `members` (ascending), if any.
Result<std::optional<Thread>> find_thread_with_members(Connection& connection,
                                                       const NewThread& thread,
                                                       const std::vector<UserId>& members) {
  std::vector<Thread> candidates;
  {
    auto select = WL_TRY(connection.prepare(
        "SELECT " WL_THREAD_COLUMNS " FROM threads WHERE org_id = ?1 AND kind = ?2 "
        "AND patient_id IS ?3 AND unique_key IS NULL "
        "AND (SELECT count(*) FROM members m WHERE m.thread_id = threads.id) = ?4 "
        "ORDER BY activity_event_id DESC, id DESC",
        "find thread by members"));
    select.bind(1, thread.org_id.value())
        .bind(2, static_cast<std::int64_t>(thread.kind))
        .bind(4, static_cast<std::int64_t>(members.size()));
    bind_optional_id(select, 3, thread.patient_id);
    while (WL_TRY(select.step())) {
      candidates.push_back(read_thread(select));
    }
  }
  for (Thread& candidate : candidates) {
    auto select = WL_TRY(connection.prepare(
        "SELECT user_id FROM members WHERE thread_id = ?1 ORDER BY user_id",
        "find thread by members"));
    select.bind(1, candidate.id.value());
    std::vector<UserId> current;
    while (WL_TRY(select.step())) {
      current.push_back(UserId(select.column_int64(0)));
    }
    if (current == members) {
      return std::optional<Thread>(std::move(candidate));
    }
  }
  return std::optional<Thread>();
}

// ---- Write helpers: run on the writer thread inside a job's savepoint. ----

// Inserts `event` (its id is assigned here) and records it for the job's CommitHook.
Result<void> insert_event(WriteContext& context, Event& event) {
  auto insert = WL_TRY(context.connection.prepare(
      "INSERT INTO events (org_id, thread_id, kind, actor, created_at, seq, client_id, urgent, "
      "body_sealed, ref, ref_seq, subject, client_id_sealed, written_at) VALUES (?1, ?2, ?3, ?4, "
      "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
      "append event"));
  insert.bind(1, event.org_id.value())
      .bind(2, event.thread_id.value())
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
  WL_TRY(insert.run());
  event.id = EventId(context.connection.last_insert_id());
  context.events->push_back(event);
  return ok();
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

// Fails with NotFound (naming `what`) when the last statement changed no row.
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

// Opens `user`'s membership period of `thread` at event `from` (inclusive); see
// read_user_events.
Result<void> open_membership(Connection& connection, ThreadId thread, UserId user, EventId from) {
  auto insert = WL_TRY(connection.prepare(
      "INSERT INTO memberships (user_id, thread_id, from_event) VALUES (?1, ?2, ?3)",
      "record membership"));
  return insert.bind(1, user.value()).bind(2, thread.value()).bind(3, from.value()).run();
}

// Brings `thread` into the stream of each member whose stream it is not in yet (only
// `only`, if set): appends a kMemberAdded for them by `actor` and opens their period
// there, so live delivery and replay both start at that event.
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

// The users whose streams each event belongs to, decided inside the write's
// transaction: those with an open membership period of the thread after the write
// (its members, but for a direct thread's member it has not reached yet), plus the
// removed user of a kMemberRemoved (the same rule read_user_events replays by).
Result<std::vector<CommittedEvent>> with_recipients(Connection& connection,
                                                    const std::vector<Event>& events) {
  std::vector<CommittedEvent> committed;
  committed.reserve(events.size());
  ThreadId members_of;
  std::vector<UserId> members;
  for (const Event& event : events) {
    if (event.thread_id != members_of) {
      members.clear();
      auto select = WL_TRY(connection.prepare(
          "SELECT user_id FROM memberships WHERE thread_id = ?1 AND to_event IS NULL "
          "ORDER BY user_id",
          "list recipients"));
      select.bind(1, event.thread_id.value());
      while (WL_TRY(select.step())) {
        members.push_back(UserId(select.column_int64(0)));
      }
      members_of = event.thread_id;
    }
    CommittedEvent entry{event, members};
    if (event.kind == EventKind::kMemberRemoved &&
        !std::binary_search(members.begin(), members.end(), event.subject)) {
      entry.recipients.insert(
          std::lower_bound(entry.recipients.begin(), entry.recipients.end(), event.subject),
          event.subject);
    }
    committed.push_back(std::move(entry));
  }
  return committed;
}

// A write submitted to the writer: runs `body` and keeps its result for the caller.
template <typename T, typename Body>
class TypedJob final : public detail::WriteJob {
 public:
  TypedJob(Body& body, const CommitHook* hook) : body_(body), hook_(hook) {}

  Result<void> run(WriteContext& context) override {
    events_.clear();
    committed_.clear();
    context.events = &events_;
    result_.emplace(body_(context));
    if (*result_ && hook_ != nullptr && *hook_ && !events_.empty()) {
      auto committed = with_recipients(context.connection, events_);
      if (committed) {
        committed_ = std::move(*committed);
      } else {
        result_.emplace(std::unexpected(committed.error()));
      }
    }
    if (!*result_) {
      committed_.clear();
      return std::unexpected(result_->error());
    }
    return ok();
  }

  void fail(const Status& status) override {
    committed_.clear();
    result_.emplace(std::unexpected(status));
  }

  void on_committed() override {
    if (hook_ != nullptr && *hook_ && result_ && *result_ && !committed_.empty()) {
      (*hook_)(std::span<const CommittedEvent>(committed_));
    }
  }

  Result<T> take() {
    if (!result_) {
      return error(Code::kInternal, "store: write did not run");
    }
    return std::move(*result_);
  }

 private:
  Body& body_;
  const CommitHook* hook_;
  std::optional<Result<T>> result_;
  std::vector<Event> events_;              // What the write created, for its result.
  std::vector<CommittedEvent> committed_;  // The same with recipients, for the hook.
};

}  // namespace

namespace {

// An asynchronous write: owns its body, hook and completion. The writer destroys it
// after complete().
template <typename T, typename Body>
class AsyncJob final : public detail::WriteJob {
 public:
  AsyncJob(Body body, CommitHook hook, WriteDone<T> done)
      : body_(std::move(body)),
        hook_(std::move(hook)),
        done_(std::move(done)),
        job_(body_, hook_ ? &hook_ : nullptr) {}

  Result<void> run(WriteContext& context) override { return job_.run(context); }
  void fail(const Status& status) override { job_.fail(status); }
  void on_committed() override { job_.on_committed(); }
  void complete() override { done_(job_.take()); }

 private:
  Body body_;
  CommitHook hook_;
  WriteDone<T> done_;
  TypedJob<T, Body> job_;  // Last: refers to body_ and hook_.
};

}  // namespace

template <typename T, typename Body>
void SqliteStore::write_async(CommitHook hook, Body body, WriteDone<T> done) {
  if (writer_ == nullptr) {
    done(error(Code::kFailedPrecondition, "store: opened read-only"));
    return;
  }
  writer_->submit_async(
      std::make_unique<AsyncJob<T, Body>>(std::move(body), std::move(hook), std::move(done)));
}

template <typename T, typename Body>
Result<T> SqliteStore::write(const CommitHook* hook, Body body) {
  if (writer_ == nullptr) {
    return error(Code::kFailedPrecondition, "store: opened read-only");
  }
  TypedJob<T, Body> job(body, hook);
  writer_->submit(job);
  return job.take();
}

// ---- Open and close ----

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& database_file,
                                                       AuditChainer chainer,
                                                       SqliteOptions options) {
  if (!chainer) {
    return error(Code::kInvalidArgument, "store: an audit chainer is required");
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore());
  if (options.read_only) {
    store->read_pool_ = WL_TRY(
        detail::ReadPool::open(database_file, options.read_connections, options.busy_timeout));
    auto lease = store->read_pool_->acquire();
    if (WL_TRY(detail::read_schema_version(lease.connection())) != detail::kSchemaVersion) {
      return error(Code::kFailedPrecondition,
                   "store: a read-only open needs a database of this build's schema");
    }
    store->instance_id_ = WL_TRY(detail::read_instance_id(lease.connection()));
    return store;
  }
  std::filesystem::path lock_file = database_file;
  lock_file += ".lock";
  store->lock_ = WL_TRY(detail::FileLock::acquire(lock_file));
  WL_TRY(detail::create_private_file(database_file));

  auto writer_connection =
      WL_TRY(Connection::open(database_file, detail::OpenMode::kReadWrite, options.busy_timeout));
  {
    auto journal = WL_TRY(writer_connection->prepare("PRAGMA journal_mode = WAL", "enable WAL"));
    if (!WL_TRY(journal.step()) || journal.column_bytes(0) != "wal") {
      return error(Code::kUnavailable, "store: the database cannot use WAL mode");
    }
  }
  WL_TRY(writer_connection->execute(
      "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0; "
      "PRAGMA secure_delete = ON",
      "configure database"));
  // PRAGMA takes no parameters; the limit is an integer option.
  const std::string size_limit =
      "PRAGMA journal_size_limit = " + std::to_string(options.wal_size_limit_bytes);
  WL_TRY(writer_connection->execute(size_limit.c_str(), "configure database"));
  if (options.max_pages_for_test > 0) {
    const std::string page_cap =
        "PRAGMA max_page_count = " + std::to_string(options.max_pages_for_test);
    WL_TRY(writer_connection->execute(page_cap.c_str(), "configure database"));
  }
  WL_TRY(detail::migrate(*writer_connection));
  store->instance_id_ = WL_TRY(detail::read_instance_id(*writer_connection));

  detail::AuditHead head{0, std::string(32, '\0')};
  {
    auto last = WL_TRY(writer_connection->prepare(
        "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", "read audit head"));
    if (WL_TRY(last.step())) {
      head.seq = last.column_int64(0);
      head.hash = last.column_bytes(1);
    }
  }

  auto checkpoint_connection =
      WL_TRY(Connection::open(database_file, detail::OpenMode::kReadWrite, options.busy_timeout));
  // A connection learns the journal mode when it first reads the file; until then a
  // checkpoint on it is a no-op.
  WL_TRY(checkpoint_connection->execute("SELECT count(*) FROM sqlite_schema", "open checkpointer"));
  store->checkpointer_ = std::make_unique<detail::Checkpointer>(std::move(checkpoint_connection),
                                                                options.checkpoint_pages);
  // Replaces SQLite's automatic checkpoint (which would run inside the writer's commit)
  // with a request to the background checkpointer.
  sqlite3_wal_hook(
      writer_connection->handle(),
      [](void* checkpointer, sqlite3*, const char*, int pages) {
        static_cast<detail::Checkpointer*>(checkpointer)->on_commit(pages);
        return SQLITE_OK;
      },
      store->checkpointer_.get());

  store->read_pool_ =
      WL_TRY(detail::ReadPool::open(database_file, options.read_connections, options.busy_timeout));
  store->writer_ = std::make_unique<detail::Writer>(std::move(writer_connection),
                                                    std::move(chainer), std::move(head),
                                                    options.max_batch, store->checkpointer_.get());
  return store;
}

SqliteStore::~SqliteStore() {
  writer_.reset();
  read_pool_.reset();
  checkpointer_.reset();
}

std::string SqliteStore::instance_id() const { return instance_id_; }

void SqliteStore::pause_writes_for_test() { writer_->pause_for_test(); }
void SqliteStore::resume_writes_for_test() { writer_->resume_for_test(); }
std::size_t SqliteStore::queued_writes_for_test() { return writer_->queued_for_test(); }
std::uint64_t SqliteStore::write_batches_for_test() { return writer_->batches_for_test(); }

// ---- Orgs and users ----

Result<Org> SqliteStore::create_org(std::string_view name, Timestamp now) {
  return write<Org>(nullptr, [&](WriteContext& context) -> Result<Org> {
    auto insert = WL_TRY(context.connection.prepare(
        "INSERT INTO orgs (name, created_at) VALUES (?1, ?2)", "create org"));
    WL_TRY(insert.bind_text(1, name).bind(2, now).run());
    return Org{OrgId(context.connection.last_insert_id()), std::string(name), now};
  });
}

Result<Org> SqliteStore::find_org(OrgId id) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(
      lease.connection().prepare("SELECT " WL_ORG_COLUMNS " FROM orgs WHERE id = ?1", "find org"));
  select.bind(1, id.value());
  return single_row<Org>(select, read_org, "org");
}

Result<Org> SqliteStore::find_org_by_name(std::string_view name) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_ORG_COLUMNS " FROM orgs WHERE name = ?1", "find org"));
  select.bind_text(1, name);
  return single_row<Org>(select, read_org, "org");
}

Result<std::vector<Org>> SqliteStore::list_orgs() {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(
      lease.connection().prepare("SELECT " WL_ORG_COLUMNS " FROM orgs ORDER BY id", "list orgs"));
  return all_rows<Org>(select, read_org);
}

Result<void> SqliteStore::set_org_idle_lock(OrgId id, std::chrono::seconds idle_lock) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE orgs SET idle_lock_seconds = ?2 WHERE id = ?1", "set org idle lock"));
    WL_TRY(update.bind(1, id.value()).bind(2, std::int64_t{idle_lock.count()}).run());
    return expect_changed(context.connection, "org");
  });
}

Result<User> SqliteStore::create_user(const NewUser& user) {
  return write<User>(nullptr, [&](WriteContext& context) -> Result<User> {
    auto org =
        WL_TRY(context.connection.prepare("SELECT 1 FROM orgs WHERE id = ?1", "create user"));
    org.bind(1, user.org_id.value());
    if (!WL_TRY(org.step())) {
      return error(Code::kNotFound, "org not found");
    }
    auto insert = WL_TRY(context.connection.prepare(
        "INSERT INTO users (org_id, username, display_name, title, password_hash, is_admin, "
        "created_at, is_operator) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        "create user"));
    WL_TRY(insert.bind(1, user.org_id.value())
               .bind_text(2, user.username)
               .bind_text(3, user.display_name)
               .bind_text(4, user.title)
               .bind_text(5, user.password_hash)
               .bind(6, std::int64_t{user.is_admin ? 1 : 0})
               .bind(7, user.created_at)
               .bind(8, std::int64_t{user.is_operator ? 1 : 0})
               .run());
    User created;
    created.id = UserId(context.connection.last_insert_id());
    created.org_id = user.org_id;
    created.username = user.username;
    created.display_name = user.display_name;
    created.title = user.title;
    created.password_hash = user.password_hash;
    created.is_admin = user.is_admin;
    created.is_operator = user.is_operator;
    created.created_at = user.created_at;
    return created;
  });
}

Result<User> SqliteStore::find_user(UserId id) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_USER_COLUMNS " FROM users WHERE id = ?1", "find user"));
  select.bind(1, id.value());
  return single_row<User>(select, read_user, "user");
}

Result<User> SqliteStore::find_user_by_name(OrgId org, std::string_view username) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_USER_COLUMNS " FROM users WHERE org_id = ?1 AND username = ?2", "find user"));
  select.bind(1, org.value()).bind_text(2, username);
  return single_row<User>(select, read_user, "user");
}

Result<std::vector<User>> SqliteStore::list_users(OrgId org) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_USER_COLUMNS " FROM users WHERE org_id = ?1 ORDER BY username", "list users"));
  select.bind(1, org.value());
  return all_rows<User>(select, read_user);
}

Result<void> SqliteStore::set_password_hash(UserId id, std::string_view password_hash) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE users SET password_hash = ?2, failed_logins = 0, locked_until = NULL "
        "WHERE id = ?1",
        "set password"));
    WL_TRY(update.bind(1, id.value()).bind_text(2, password_hash).run());
    return expect_changed(context.connection, "user");
  });
}

Result<void> SqliteStore::set_login_failures(UserId id, int failed_logins,
                                             std::optional<Timestamp> locked_until) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE users SET failed_logins = ?2, locked_until = ?3 WHERE id = ?1",
        "set login failures"));
    WL_TRY(update.bind(1, id.value())
               .bind(2, std::int64_t{failed_logins})
               .bind(3, locked_until)
               .run());
    return expect_changed(context.connection, "user");
  });
}

Result<void> SqliteStore::set_user_disabled(UserId id, bool disabled) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare("UPDATE users SET disabled = ?2 WHERE id = ?1",
                                                    "set user disabled"));
    WL_TRY(update.bind(1, id.value()).bind(2, std::int64_t{disabled ? 1 : 0}).run());
    return expect_changed(context.connection, "user");
  });
}

Result<void> SqliteStore::set_user_operator(UserId id, bool is_operator) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE users SET is_operator = ?2 WHERE id = ?1", "set user operator"));
    WL_TRY(update.bind(1, id.value()).bind(2, std::int64_t{is_operator ? 1 : 0}).run());
    return expect_changed(context.connection, "user");
  });
}

Result<void> SqliteStore::set_pin_hash(UserId id, std::string_view pin_hash) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE users SET pin_hash = ?2 WHERE id = ?1", "set pin"));
    WL_TRY(update.bind(1, id.value()).bind_text_or_null(2, pin_hash).run());
    return expect_changed(context.connection, "user");
  });
}

// ---- Devices and sessions ----

Result<Device> SqliteStore::create_device(UserId user, std::string_view name_sealed,
                                          Timestamp now) {
  return write<Device>(nullptr, [&](WriteContext& context) -> Result<Device> {
    // The clear name column of schema 3 stays empty (docs/storage.md, version 4).
    auto insert = WL_TRY(context.connection.prepare(
        "INSERT INTO devices (user_id, name, name_sealed, created_at, last_seen) "
        "VALUES (?1, '', ?2, ?3, ?3)",
        "create device"));
    WL_TRY(insert.bind(1, user.value()).bind_blob(2, name_sealed).bind(3, now).run());
    Device device;
    device.id = DeviceId(context.connection.last_insert_id());
    device.user_id = user;
    device.name_sealed = std::string(name_sealed);
    device.created_at = now;
    device.last_seen = now;
    return device;
  });
}

Result<Device> SqliteStore::find_device(DeviceId id) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_DEVICE_COLUMNS " FROM devices WHERE id = ?1", "find device"));
  select.bind(1, id.value());
  return single_row<Device>(select, read_device, "device");
}

Result<std::vector<Device>> SqliteStore::list_devices(UserId user) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_DEVICE_COLUMNS " FROM devices WHERE user_id = ?1 ORDER BY id", "list devices"));
  select.bind(1, user.value());
  return all_rows<Device>(select, read_device);
}

Result<void> SqliteStore::revoke_device(DeviceId id, Timestamp now) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE devices SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1", "revoke device"));
    WL_TRY(update.bind(1, id.value()).bind(2, now).run());
    WL_TRY(expect_changed(context.connection, "device"));
    auto sessions = WL_TRY(context.connection.prepare(
        "UPDATE sessions SET revoked = 1 WHERE device_id = ?1", "revoke device"));
    WL_TRY(sessions.bind(1, id.value()).run());
    return ok();
  });
}

Result<void> SqliteStore::create_session(const Session& session) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto insert = WL_TRY(context.connection.prepare(
        "INSERT INTO sessions (" WL_SESSION_COLUMNS
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        "create session"));
    return insert.bind_blob(1, session.token_hash)
        .bind(2, session.user_id.value())
        .bind(3, session.device_id.value())
        .bind(4, session.created_at)
        .bind(5, session.last_used)
        .bind(6, session.expires_at)
        .bind(7, std::int64_t{session.revoked ? 1 : 0})
        .bind(8, std::int64_t{session.locked ? 1 : 0})
        .bind(9, std::int64_t{session.pin_failures})
        .run();
  });
}

Result<Session> SqliteStore::find_session(std::string_view token_hash) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_SESSION_COLUMNS " FROM sessions WHERE token_hash = ?1", "find session"));
  select.bind_blob(1, token_hash);
  return single_row<Session>(select, read_session, "session");
}

Result<void> SqliteStore::touch_session(std::string_view token_hash, Timestamp now) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE sessions SET last_used = ?2 WHERE token_hash = ?1", "touch session"));
    WL_TRY(update.bind_blob(1, token_hash).bind(2, now).run());
    WL_TRY(expect_changed(context.connection, "session"));
    auto device = WL_TRY(context.connection.prepare(
        "UPDATE devices SET last_seen = max(last_seen, ?2) "
        "WHERE id = (SELECT device_id FROM sessions WHERE token_hash = ?1)",
        "touch session"));
    return device.bind_blob(1, token_hash).bind(2, now).run();
  });
}

Result<void> SqliteStore::revoke_session(std::string_view token_hash) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE sessions SET revoked = 1 WHERE token_hash = ?1", "revoke session"));
    WL_TRY(update.bind_blob(1, token_hash).run());
    return expect_changed(context.connection, "session");
  });
}

Result<void> SqliteStore::lock_session(std::string_view token_hash) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE sessions SET locked = 1 WHERE token_hash = ?1", "lock session"));
    WL_TRY(update.bind_blob(1, token_hash).run());
    return expect_changed(context.connection, "session");
  });
}

Result<void> SqliteStore::unlock_session(std::string_view token_hash, Timestamp now) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE sessions SET locked = 0, pin_failures = 0, last_used = ?2 WHERE token_hash = ?1",
        "unlock session"));
    WL_TRY(update.bind_blob(1, token_hash).bind(2, now).run());
    WL_TRY(expect_changed(context.connection, "session"));
    auto device = WL_TRY(context.connection.prepare(
        "UPDATE devices SET last_seen = max(last_seen, ?2) "
        "WHERE id = (SELECT device_id FROM sessions WHERE token_hash = ?1)",
        "unlock session"));
    return device.bind_blob(1, token_hash).bind(2, now).run();
  });
}

Result<void> SqliteStore::set_session_pin_failures(std::string_view token_hash, int failures) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE sessions SET pin_failures = ?2 WHERE token_hash = ?1", "set pin failures"));
    WL_TRY(update.bind_blob(1, token_hash).bind(2, std::int64_t{failures}).run());
    return expect_changed(context.connection, "session");
  });
}

// ---- Patients ----

Result<Patient> SqliteStore::upsert_patient(const Patient& patient) {
  return write<Patient>(nullptr, [&](WriteContext& context) -> Result<Patient> {
    auto upsert = WL_TRY(context.connection.prepare(
        "INSERT INTO patients (org_id, mrn_token, mrn_sealed, name_sealed, dob_sealed, "
        "location_sealed, attending_sealed, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
        "ON CONFLICT (org_id, mrn_token) DO UPDATE SET mrn_sealed = excluded.mrn_sealed, "
        "name_sealed = excluded.name_sealed, dob_sealed = excluded.dob_sealed, "
        "location_sealed = excluded.location_sealed, "
        "attending_sealed = excluded.attending_sealed, updated_at = excluded.updated_at "
        "RETURNING id",
        "upsert patient"));
    upsert.bind(1, patient.org_id.value())
        .bind_blob(2, patient.mrn_token)
        .bind_blob(3, patient.mrn_sealed)
        .bind_blob(4, patient.name_sealed)
        .bind_blob(5, patient.dob_sealed)
        .bind_blob(6, patient.location_sealed)
        .bind_blob(7, patient.attending_sealed)
        .bind(8, patient.updated_at);
    if (!WL_TRY(upsert.step())) {
      return error(Code::kInternal, "store: upsert patient returned no row");
    }
    Patient stored = patient;
    stored.id = PatientId(upsert.column_int64(0));
    WL_TRY(upsert.run());
    return stored;
  });
}

Result<Patient> SqliteStore::find_patient(PatientId id) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_PATIENT_COLUMNS " FROM patients WHERE id = ?1", "find patient"));
  select.bind(1, id.value());
  return single_row<Patient>(select, read_patient, "patient");
}

Result<std::vector<Patient>> SqliteStore::list_patients(OrgId org) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare("SELECT " WL_PATIENT_COLUMNS
                                                  " FROM patients WHERE org_id = ?1 ORDER BY id",
                                                  "list patients"));
  select.bind(1, org.value());
  return all_rows<Patient>(select, read_patient);
}

// ---- Threads and members ----

Result<ThreadCreated> SqliteStore::create_thread(const NewThread& thread, const CommitHook& hook) {
  return write<ThreadCreated>(&hook, [&](WriteContext& context) -> Result<ThreadCreated> {
    Connection& connection = context.connection;
    std::vector<UserId> members = thread.members;
    members.push_back(thread.created_by);
    std::sort(members.begin(), members.end());
    members.erase(std::unique(members.begin(), members.end()), members.end());
    std::optional<Thread> existing;
    if (!thread.unique_key.empty()) {
      auto select = WL_TRY(connection.prepare(
          "SELECT " WL_THREAD_COLUMNS " FROM threads WHERE unique_key = ?1", "create thread"));
      select.bind_text(1, thread.unique_key);
      if (WL_TRY(select.step())) {
        existing = read_thread(select);
      }
    } else if (thread.reuse_same_members) {
      existing = WL_TRY(find_thread_with_members(connection, thread, members));
    }
    if (existing) {
      // Opening it is what brings a direct thread into the other member's stream if no
      // message has yet.
      WL_TRY(open_missing_periods(context, *existing, thread.created_by, thread.created_at,
                                  thread.created_by));
      return ThreadCreated{std::move(*existing), false, *context.events};
    }
    auto insert = WL_TRY(connection.prepare(
        "INSERT INTO threads (org_id, kind, title_sealed, patient_id, unique_key, created_by, "
        "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        "create thread"));
    insert.bind(1, thread.org_id.value())
        .bind(2, static_cast<std::int64_t>(thread.kind))
        .bind_blob(3, thread.title_sealed);
    bind_optional_id(insert, 4, thread.patient_id);
    WL_TRY(insert.bind_text_or_null(5, thread.unique_key)
               .bind(6, thread.created_by.value())
               .bind(7, thread.created_at)
               .run());

    ThreadCreated created;
    created.created = true;
    Thread& stored = created.thread;
    stored.id = ThreadId(connection.last_insert_id());
    stored.org_id = thread.org_id;
    stored.kind = thread.kind;
    stored.title_sealed = thread.title_sealed;
    stored.patient_id = thread.patient_id;
    stored.unique_key = thread.unique_key;
    stored.created_by = thread.created_by;
    stored.created_at = thread.created_at;

    Event created_event = WL_TRY(member_event(context, stored, EventKind::kThreadCreated, UserId(),
                                              thread.created_by, thread.created_at));
    for (UserId member : members) {
      auto add = WL_TRY(connection.prepare(
          "INSERT INTO members (thread_id, user_id, joined_at) VALUES (?1, ?2, ?3)",
          "create thread"));
      WL_TRY(
          add.bind(1, stored.id.value()).bind(2, member.value()).bind(3, thread.created_at).run());
      if (thread.kind == ThreadKind::kDirect && member != thread.created_by) {
        // An empty direct thread stays out of the other member's stream and list until
        // its first message (or their opening it) brings it: open_missing_periods.
        continue;
      }
      WL_TRY(member_event(context, stored, EventKind::kMemberAdded, member, thread.created_by,
                          thread.created_at));
      // The first members' period starts at the creation, which they were sent.
      WL_TRY(open_membership(context.connection, stored.id, member, created_event.id));
    }
    auto activity = WL_TRY(connection.prepare(
        "UPDATE threads SET activity_event_id = ?2 WHERE id = ?1", "create thread"));
    WL_TRY(activity.bind(1, stored.id.value()).bind(2, created_event.id.value()).run());
    created.events = *context.events;
    return created;
  });
}

Result<Thread> SqliteStore::find_thread(ThreadId id) {
  auto lease = read_pool_->acquire();
  return load_thread(lease.connection(), id);
}

Result<std::vector<ThreadSummary>> SqliteStore::list_threads_for_user(UserId user) {
  auto lease = read_pool_->acquire();
  Connection& connection = lease.connection();
  ReadTransaction transaction(connection);
  WL_TRY(transaction.begin());

  std::vector<ThreadSummary> summaries;
  {
    auto threads = WL_TRY(connection.prepare(
        "SELECT t.id, t.org_id, t.kind, t.title_sealed, t.patient_id, t.unique_key, "
        "t.created_by, t.created_at, t.last_seq, m.read_seq "
        "FROM members m JOIN threads t ON t.id = m.thread_id WHERE m.user_id = ?1 "
        "AND EXISTS (SELECT 1 FROM memberships p WHERE p.user_id = m.user_id "
        "AND p.thread_id = m.thread_id AND p.to_event IS NULL) "
        "ORDER BY t.activity_event_id DESC, t.id DESC",
        "list threads"));
    threads.bind(1, user.value());
    while (WL_TRY(threads.step())) {
      ThreadSummary summary;
      summary.thread = read_thread(threads);
      summary.read_seq = threads.column_int64(kThreadColumnCount);
      summaries.push_back(std::move(summary));
    }
  }
  for (ThreadSummary& summary : summaries) {
    const std::int64_t thread_id = summary.thread.id.value();
    {
      auto members = WL_TRY(connection.prepare(
          "SELECT user_id FROM members WHERE thread_id = ?1 ORDER BY user_id", "list threads"));
      members.bind(1, thread_id);
      while (WL_TRY(members.step())) {
        summary.members.push_back(UserId(members.column_int64(0)));
      }
    }
    if (summary.thread.last_seq > 0) {
      auto last = WL_TRY(connection.prepare(
          "SELECT " WL_EVENT_COLUMNS " FROM events WHERE thread_id = ?1 AND kind = 1 AND seq = ?2",
          "list threads"));
      last.bind(1, thread_id).bind(2, summary.thread.last_seq);
      if (WL_TRY(last.step())) {
        summary.last_message = read_event(last);
      }
    }
    if (summary.thread.last_seq > summary.read_seq) {
      auto unread = WL_TRY(
          connection.prepare("SELECT count(*), coalesce(max(urgent), 0) FROM events "
                             "WHERE thread_id = ?1 AND kind = 1 AND seq > ?2 AND actor != ?3",
                             "list threads"));
      unread.bind(1, thread_id).bind(2, summary.read_seq).bind(3, user.value());
      if (WL_TRY(unread.step())) {
        summary.unread_count = unread.column_int64(0);
        summary.has_unread_urgent = unread.column_int64(1) != 0;
      }
    }
  }
  return summaries;
}

Result<std::vector<Member>> SqliteStore::list_members(ThreadId thread) {
  auto lease = read_pool_->acquire();
  Connection& connection = lease.connection();
  ReadTransaction transaction(connection);
  WL_TRY(transaction.begin());
  WL_TRY(load_thread(connection, thread));
  auto select = WL_TRY(connection.prepare(
      "SELECT thread_id, user_id, joined_at, read_seq FROM members WHERE thread_id = ?1 "
      "ORDER BY user_id",
      "list members"));
  select.bind(1, thread.value());
  return all_rows<Member>(select, [](const Statement& row) {
    return Member{ThreadId(row.column_int64(0)), UserId(row.column_int64(1)), row.column_time(2),
                  row.column_int64(3)};
  });
}

Result<bool> SqliteStore::is_member(ThreadId thread, UserId user) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT 1 FROM members WHERE thread_id = ?1 AND user_id = ?2", "check member"));
  select.bind(1, thread.value()).bind(2, user.value());
  return select.step();
}

Result<Event> SqliteStore::add_member(ThreadId thread, UserId user, UserId actor, Timestamp now,
                                      const CommitHook& hook) {
  return write<Event>(&hook, [&](WriteContext& context) -> Result<Event> {
    const Thread stored = WL_TRY(load_thread(context.connection, thread));
    auto insert = WL_TRY(context.connection.prepare(
        "INSERT INTO members (thread_id, user_id, joined_at) VALUES (?1, ?2, ?3)", "add member"));
    WL_TRY(insert.bind(1, thread.value()).bind(2, user.value()).bind(3, now).run());
    Event added = WL_TRY(member_event(context, stored, EventKind::kMemberAdded, user, actor, now));
    WL_TRY(open_membership(context.connection, thread, user, added.id));
    return added;
  });
}

Result<Event> SqliteStore::remove_member(ThreadId thread, UserId user, UserId actor, Timestamp now,
                                         const CommitHook& hook) {
  return write<Event>(&hook, [&](WriteContext& context) -> Result<Event> {
    const Thread stored = WL_TRY(load_thread(context.connection, thread));
    auto remove = WL_TRY(context.connection.prepare(
        "DELETE FROM members WHERE thread_id = ?1 AND user_id = ?2", "remove member"));
    WL_TRY(remove.bind(1, thread.value()).bind(2, user.value()).run());
    WL_TRY(expect_changed(context.connection, "member"));
    Event removed =
        WL_TRY(member_event(context, stored, EventKind::kMemberRemoved, user, actor, now));
    // The removed user is sent their removal (with_recipients), so it closes the period.
    auto close = WL_TRY(context.connection.prepare(
        "UPDATE memberships SET to_event = ?3 WHERE user_id = ?1 AND thread_id = ?2 "
        "AND to_event IS NULL",
        "remove member"));
    WL_TRY(close.bind(1, user.value()).bind(2, thread.value()).bind(3, removed.id.value()).run());
    return removed;
  });
}

Result<Event> SqliteStore::rename_thread(ThreadId thread, std::string_view title_sealed,
                                         UserId actor, Timestamp now, const CommitHook& hook) {
  return write<Event>(&hook, [&](WriteContext& context) -> Result<Event> {
    const Thread stored = WL_TRY(load_thread(context.connection, thread));
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE threads SET title_sealed = ?2 WHERE id = ?1", "rename thread"));
    WL_TRY(update.bind(1, thread.value()).bind_blob(2, title_sealed).run());
    Event renamed;
    renamed.org_id = stored.org_id;
    renamed.thread_id = thread;
    renamed.kind = EventKind::kThreadRenamed;
    renamed.actor = actor;
    renamed.created_at = now;
    renamed.body_sealed = std::string(title_sealed);
    WL_TRY(insert_event(context, renamed));
    return renamed;
  });
}

// ---- Messages and receipts ----

namespace {

Result<MessageAppended> append_message_in(WriteContext& context, const NewMessage& message,
                                          const AuditDraft& audit) {
  Connection& connection = context.connection;
  // Checked on the writer thread, so two concurrent sends of one client id cannot
  // both pass; the unique index backs it up.
  if (!message.client_token.empty()) {
    auto original = WL_TRY(connection.prepare(
        "SELECT " WL_EVENT_COLUMNS " FROM events WHERE actor = ?1 AND client_id = ?2 AND kind = 1",
        "append message"));
    original.bind(1, message.sender.value()).bind_text(2, message.client_token);
    if (WL_TRY(original.step())) {
      return MessageAppended{read_event(original), true};
    }
  }
  // Membership is checked here, in the write's transaction, so a sender removed
  // an instant earlier cannot post.
  const Thread thread = WL_TRY(load_thread(connection, message.thread_id));
  if (thread.org_id != message.org_id) {
    // Another org's thread is answered as a missing one: ids reveal nothing across orgs.
    return error(Code::kNotFound, "thread not found");
  }
  auto member = WL_TRY(connection.prepare(
      "SELECT 1 FROM members WHERE thread_id = ?1 AND user_id = ?2", "append message"));
  member.bind(1, thread.id.value()).bind(2, message.sender.value());
  if (!WL_TRY(member.step())) {
    auto removed = WL_TRY(connection.prepare(
        "SELECT 1 FROM events WHERE subject = ?1 AND kind = 5 AND thread_id = ?2",
        "append message"));
    removed.bind(1, message.sender.value()).bind(2, thread.id.value());
    if (WL_TRY(removed.step())) {
      return error(Code::kPermissionDenied, "you were removed from this thread");
    }
    return error(Code::kPermissionDenied, "you are not a member of this thread");
  }
  if (thread.last_seq == 0) {
    WL_TRY(open_missing_periods(context, thread, message.sender, message.created_at, {}));
  }
  // Invariant: seq is contiguous per thread; threads.last_seq moves in the same
  // transaction as the insert.
  Event event;
  event.org_id = thread.org_id;
  event.thread_id = thread.id;
  event.kind = EventKind::kMessage;
  event.actor = message.sender;
  event.created_at = message.created_at;
  event.seq = thread.last_seq + 1;
  event.client_token = message.client_token;
  event.client_id_sealed = message.client_id_sealed;
  event.urgent = message.urgent;
  event.body_sealed = message.body_sealed;
  event.written_at = message.written_at;
  WL_TRY(insert_event(context, event));
  auto update = WL_TRY(connection.prepare(
      "UPDATE threads SET last_seq = ?2, activity_event_id = ?3 WHERE id = ?1", "append message"));
  WL_TRY(update.bind(1, thread.id.value()).bind(2, event.seq).bind(3, event.id.value()).run());
  WL_TRY(insert_audit(context, audit));
  return MessageAppended{std::move(event), false};
}

}  // namespace

Result<MessageAppended> SqliteStore::append_message(const NewMessage& message,
                                                    const AuditDraft& audit,
                                                    const CommitHook& hook) {
  return write<MessageAppended>(
      &hook, [&](WriteContext& context) { return append_message_in(context, message, audit); });
}

void SqliteStore::append_message_async(NewMessage message, AuditDraft audit, CommitHook hook,
                                       WriteDone<MessageAppended> done) {
  write_async<MessageAppended>(
      std::move(hook),
      [message = std::move(message), audit = std::move(audit)](WriteContext& context) {
        return append_message_in(context, message, audit);
      },
      std::move(done));
}

namespace {

Result<std::vector<Event>> record_delivered_in(WriteContext& context, UserId recipient,
                                               std::span<const EventId> messages, Timestamp now) {
  Connection& connection = context.connection;
  for (EventId message_id : messages) {
    // One query decides eligibility: a message, in a thread the recipient is in,
    // from someone else, not yet delivered to them.
    auto eligible = WL_TRY(
        connection.prepare("SELECT e.org_id, e.thread_id, e.seq FROM events e "
                           "JOIN members m ON m.thread_id = e.thread_id AND m.user_id = ?2 "
                           "WHERE e.id = ?1 AND e.kind = 1 AND e.actor != ?2 AND NOT EXISTS ("
                           "SELECT 1 FROM receipts r WHERE r.message_id = e.id AND r.user_id = ?2 "
                           "AND r.delivered_at IS NOT NULL)",
                           "record delivered"));
    eligible.bind(1, message_id.value()).bind(2, recipient.value());
    if (!WL_TRY(eligible.step())) {
      continue;
    }
    Event event;
    event.org_id = OrgId(eligible.column_int64(0));
    event.thread_id = ThreadId(eligible.column_int64(1));
    event.ref_seq = eligible.column_int64(2);
    event.kind = EventKind::kDelivered;
    event.actor = recipient;
    event.created_at = now;
    event.ref = message_id;
    auto receipt = WL_TRY(connection.prepare(
        "INSERT INTO receipts (message_id, user_id, delivered_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (message_id, user_id) DO UPDATE SET delivered_at = excluded.delivered_at",
        "record delivered"));
    WL_TRY(receipt.bind(1, message_id.value()).bind(2, recipient.value()).bind(3, now).run());
    WL_TRY(insert_event(context, event));
  }
  return *context.events;
}

}  // namespace

Result<std::vector<Event>> SqliteStore::record_delivered(UserId recipient,
                                                         std::span<const EventId> messages,
                                                         Timestamp now, const CommitHook& hook) {
  return write<std::vector<Event>>(&hook, [&](WriteContext& context) {
    return record_delivered_in(context, recipient, messages, now);
  });
}

void SqliteStore::record_delivered_async(UserId recipient, std::vector<EventId> messages,
                                         Timestamp now, CommitHook hook, DeliveredAudit audit,
                                         WriteDone<std::vector<Event>> done) {
  write_async<std::vector<Event>>(
      std::move(hook),
      [recipient, messages = std::move(messages), now,
       audit = std::move(audit)](WriteContext& context) -> Result<std::vector<Event>> {
        std::vector<Event> delivered =
            WL_TRY(record_delivered_in(context, recipient, messages, now));
        if (audit) {
          if (const std::optional<AuditDraft> draft = audit(delivered)) {
            WL_TRY(insert_audit(context, *draft));
          }
        }
        return delivered;
      },
      std::move(done));
}

Result<std::optional<Event>> SqliteStore::record_read(ThreadId thread, UserId reader,
                                                      std::int64_t up_to_seq, Timestamp now,
                                                      const CommitHook& hook) {
  return write<std::optional<Event>>(
      &hook, [&](WriteContext& context) -> Result<std::optional<Event>> {
        Connection& connection = context.connection;
        auto position = WL_TRY(connection.prepare(
            "SELECT m.read_seq, t.last_seq, t.org_id FROM members m "
            "JOIN threads t ON t.id = m.thread_id WHERE m.thread_id = ?1 AND m.user_id = ?2",
            "record read"));
        position.bind(1, thread.value()).bind(2, reader.value());
        if (!WL_TRY(position.step())) {
          return error(Code::kNotFound, "member not found");
        }
        const std::int64_t read_seq = position.column_int64(0);
        const std::int64_t target = std::min(up_to_seq, position.column_int64(1));
        const OrgId org(position.column_int64(2));
        if (target <= read_seq) {
          return std::optional<Event>();
        }
        auto move = WL_TRY(connection.prepare(
            "UPDATE members SET read_seq = ?3 WHERE thread_id = ?1 AND user_id = ?2",
            "record read"));
        WL_TRY(move.bind(1, thread.value()).bind(2, reader.value()).bind(3, target).run());
        auto receipts = WL_TRY(connection.prepare(
            "INSERT INTO receipts (message_id, user_id, delivered_at, read_at) "
            "SELECT id, ?2, ?5, ?5 FROM events "
            "WHERE thread_id = ?1 AND kind = 1 AND seq > ?3 AND seq <= ?4 AND actor != ?2 "
            "ON CONFLICT (message_id, user_id) DO UPDATE SET read_at = excluded.read_at, "
            "delivered_at = coalesce(receipts.delivered_at, excluded.delivered_at)",
            "record read"));
        WL_TRY(receipts.bind(1, thread.value())
                   .bind(2, reader.value())
                   .bind(3, read_seq)
                   .bind(4, target)
                   .bind(5, now)
                   .run());
        Event event;
        event.org_id = org;
        event.thread_id = thread;
        event.kind = EventKind::kRead;
        event.actor = reader;
        event.created_at = now;
        event.ref_seq = target;
        WL_TRY(insert_event(context, event));
        return std::optional<Event>(std::move(event));
      });
}

Result<Event> SqliteStore::find_event(EventId id) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_EVENT_COLUMNS " FROM events WHERE id = ?1", "find event"));
  select.bind(1, id.value());
  return single_row<Event>(select, read_event, "event");
}

Result<std::vector<Event>> SqliteStore::read_user_events(UserId user, EventId after,
                                                         std::size_t limit) {
  auto lease = read_pool_->acquire();
  // Exactly the events live delivery sent the user: those of each thread inside one of
  // their membership periods, from the event that added them (or the thread's
  // creation) to the one that removed them. Periods of one thread never overlap, so
  // no event comes twice.
  auto select =
      WL_TRY(lease.connection().prepare(
          "SELECT " WL_EVENT_COLUMNS " FROM events WHERE id IN ("
          "SELECT e.id FROM memberships p JOIN events e ON e.thread_id = p.thread_id "
          "WHERE p.user_id = ?2 AND e.id > ?1 AND e.id >= p.from_event "
          "AND (p.to_event IS NULL OR e.id <= p.to_event) ORDER BY e.id LIMIT ?3) "
          "ORDER BY id",
          "read user events"));
  select.bind(1, after.value()).bind(2, user.value()).bind(3, clamp_limit(limit));
  return all_rows<Event>(select, read_event);
}

Result<EventId> SqliteStore::last_event_id() {
  auto lease = read_pool_->acquire();
  auto select =
      WL_TRY(lease.connection().prepare("SELECT coalesce(max(id), 0) FROM events", "last event"));
  if (!WL_TRY(select.step())) {
    return EventId();
  }
  return EventId(select.column_int64(0));
}

Result<std::vector<Event>> SqliteStore::read_thread_messages(ThreadId thread,
                                                             std::int64_t before_seq,
                                                             std::size_t limit) {
  auto lease = read_pool_->acquire();
  auto select =
      WL_TRY(lease.connection().prepare(
          "SELECT " WL_EVENT_COLUMNS " FROM events WHERE thread_id = ?1 AND kind = 1 AND seq < ?2 "
          "ORDER BY seq DESC LIMIT ?3",
          "read thread messages"));
  const std::int64_t before =
      before_seq <= 0 ? std::numeric_limits<std::int64_t>::max() : before_seq;
  select.bind(1, thread.value()).bind(2, before).bind(3, clamp_limit(limit));
  return all_rows<Event>(select, read_event);
}

Result<std::vector<Receipt>> SqliteStore::list_receipts(EventId message) {
  auto lease = read_pool_->acquire();
  Connection& connection = lease.connection();
  ReadTransaction transaction(connection);
  WL_TRY(transaction.begin());
  std::int64_t thread_id = 0;
  std::int64_t sender = 0;
  {
    auto find = WL_TRY(connection.prepare(
        "SELECT thread_id, actor FROM events WHERE id = ?1 AND kind = 1", "list receipts"));
    find.bind(1, message.value());
    if (!WL_TRY(find.step())) {
      return error(Code::kNotFound, "message not found");
    }
    thread_id = find.column_int64(0);
    sender = find.column_int64(1);
  }
  auto select = WL_TRY(
      connection.prepare("SELECT m.user_id, r.delivered_at, r.read_at FROM members m "
                         "LEFT JOIN receipts r ON r.message_id = ?1 AND r.user_id = m.user_id "
                         "WHERE m.thread_id = ?2 AND m.user_id != ?3 ORDER BY m.user_id",
                         "list receipts"));
  select.bind(1, message.value()).bind(2, thread_id).bind(3, sender);
  return all_rows<Receipt>(select, [message](const Statement& row) {
    return Receipt{message, UserId(row.column_int64(0)), row.column_optional_time(1),
                   row.column_optional_time(2)};
  });
}

Result<HistoryReceipts> SqliteStore::read_history_receipts(ThreadId thread, UserId sender,
                                                           std::int64_t from_seq,
                                                           std::int64_t to_seq) {
  auto lease = read_pool_->acquire();
  Connection& connection = lease.connection();
  ReadTransaction transaction(connection);
  WL_TRY(transaction.begin());
  HistoryReceipts receipts;
  {
    auto select = WL_TRY(connection.prepare(
        "SELECT user_id, read_seq FROM members WHERE thread_id = ?1 ORDER BY user_id",
        "read positions"));
    select.bind(1, thread.value());
    receipts.read = WL_TRY(all_rows<ReadPosition>(select, [](const Statement& row) {
      return ReadPosition{UserId(row.column_int64(0)), row.column_int64(1)};
    }));
  }
  // The page's own messages come from the (thread_id, seq) index of messages, and
  // their receipts from the receipts' primary key. Members who left are not listed, as
  // in list_receipts.
  auto select = WL_TRY(connection.prepare(
      "SELECT r.message_id, r.user_id, r.delivered_at FROM events e "
      "JOIN receipts r ON r.message_id = e.id "
      "JOIN members m ON m.thread_id = e.thread_id AND m.user_id = r.user_id "
      "WHERE e.thread_id = ?1 AND e.kind = 1 AND e.seq BETWEEN ?3 AND ?4 AND e.actor = ?2 "
      "AND r.delivered_at IS NOT NULL AND r.read_at IS NULL "
      "ORDER BY r.message_id, r.user_id",
      "read delivered unread"));
  select.bind(1, thread.value()).bind(2, sender.value()).bind(3, from_seq).bind(4, to_seq);
  receipts.delivered_unread = WL_TRY(all_rows<Receipt>(select, [](const Statement& row) {
    return Receipt{EventId(row.column_int64(0)), UserId(row.column_int64(1)),
                   row.column_optional_time(2), std::nullopt};
  }));
  return receipts;
}

// ---- Keys ----

Result<void> SqliteStore::put_data_key(const DataKeyRecord& key) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto upsert = WL_TRY(context.connection.prepare(
        "INSERT INTO data_keys (org_id, key_id, wrapped, created_at, destroyed) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (org_id, key_id) DO UPDATE SET "
        "wrapped = excluded.wrapped, destroyed = excluded.destroyed",
        "put data key"));
    return upsert.bind(1, key.org_id.value())
        .bind(2, std::int64_t{key.key_id})
        .bind_blob(3, key.wrapped)
        .bind(4, key.created_at)
        .bind(5, std::int64_t{key.destroyed ? 1 : 0})
        .run();
  });
}

Result<std::vector<DataKeyRecord>> SqliteStore::list_data_keys() {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT org_id, key_id, wrapped, created_at, destroyed FROM data_keys "
      "ORDER BY org_id, key_id",
      "list data keys"));
  return all_rows<DataKeyRecord>(select, [](const Statement& row) {
    return DataKeyRecord{OrgId(row.column_int64(0)),
                         static_cast<std::uint32_t>(row.column_int64(1)), row.column_bytes(2),
                         row.column_time(3), row.column_int64(4) != 0};
  });
}

Result<void> SqliteStore::rewrap_data_keys(std::span<const DataKeyRecord> keys) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    for (const DataKeyRecord& key : keys) {
      auto update = WL_TRY(context.connection.prepare(
          "UPDATE data_keys SET wrapped = ?3 WHERE org_id = ?1 AND key_id = ?2",
          "rewrap data keys"));
      WL_TRY(update.bind(1, key.org_id.value())
                 .bind(2, std::int64_t{key.key_id})
                 .bind_blob(3, key.wrapped)
                 .run());
      // A missing key fails the whole call: the savepoint undoes the others.
      WL_TRY(expect_changed(context.connection, "data key"));
    }
    return ok();
  });
}

// ---- Values that versions before schema 4 stored in clear ----

Result<std::vector<DeviceNameInClear>> SqliteStore::list_device_names_in_clear(DeviceId after,
                                                                               std::size_t limit) {
  auto lease = read_pool_->acquire();
  // Served by the partial index devices_named_in_clear, empty once all are sealed.
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT d.id, u.org_id, d.user_id, d.created_at, d.name FROM devices d "
      "JOIN users u ON u.id = d.user_id WHERE d.name_sealed IS NULL AND d.id > ?1 "
      "ORDER BY d.id LIMIT ?2",
      "list device names in clear"));
  select.bind(1, after.value()).bind(2, clamp_limit(limit));
  return all_rows<DeviceNameInClear>(select, [](const Statement& row) {
    return DeviceNameInClear{DeviceId(row.column_int64(0)), OrgId(row.column_int64(1)),
                             UserId(row.column_int64(2)), row.column_time(3), row.column_bytes(4)};
  });
}

Result<void> SqliteStore::seal_device_names(std::span<const SealedDeviceName> names) {
  WL_TRY(write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    for (const SealedDeviceName& name : names) {
      auto update = WL_TRY(context.connection.prepare(
          "UPDATE devices SET name = '', name_sealed = ?2 WHERE id = ?1 AND name_sealed IS NULL",
          "seal device names"));
      WL_TRY(update.bind(1, name.id.value()).bind_blob(2, name.name_sealed).run());
      // A device missing or already sealed fails the whole call: the savepoint undoes
      // the others.
      WL_TRY(expect_changed(context.connection, "device name in clear"));
    }
    return ok();
  }));
  // secure_delete zeroed the bytes the update freed in the new page images, but the
  // old images, with the clear names, are still in the database file and maybe in the
  // WAL: copying the new pages over them and emptying the WAL leaves the names nowhere.
  return checkpointer_->truncate();
}

Result<std::vector<ClientIdInClear>> SqliteStore::list_client_ids_in_clear(EventId after,
                                                                           std::size_t limit) {
  auto lease = read_pool_->acquire();
  // Served by the partial index client_ids_in_clear, empty once all are sealed.
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT id, org_id, thread_id, actor, client_id FROM events "
      "WHERE kind = 1 AND client_id IS NOT NULL AND client_id_sealed IS NULL AND id > ?1 "
      "ORDER BY id LIMIT ?2",
      "list client ids in clear"));
  select.bind(1, after.value()).bind(2, clamp_limit(limit));
  return all_rows<ClientIdInClear>(select, [](const Statement& row) {
    return ClientIdInClear{EventId(row.column_int64(0)), OrgId(row.column_int64(1)),
                           ThreadId(row.column_int64(2)), UserId(row.column_int64(3)),
                           row.column_bytes(4)};
  });
}

Result<void> SqliteStore::seal_client_ids(std::span<const SealedClientId> ids) {
  WL_TRY(write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    for (const SealedClientId& id : ids) {
      auto update = WL_TRY(context.connection.prepare(
          "UPDATE events SET client_id = ?2, client_id_sealed = ?3 "
          "WHERE id = ?1 AND kind = 1 AND client_id IS NOT NULL AND client_id_sealed IS NULL",
          "seal client ids"));
      WL_TRY(update.bind(1, id.id.value())
                 .bind_text(2, id.client_token)
                 .bind_blob(3, id.client_id_sealed)
                 .run());
      WL_TRY(expect_changed(context.connection, "client id in clear"));
    }
    return ok();
  }));
  return checkpointer_->truncate();
}

// ---- Audit ----

Result<AuditEntry> SqliteStore::append_audit(const AuditDraft& draft) {
  return write<AuditEntry>(nullptr, [&](WriteContext& context) -> Result<AuditEntry> {
    return insert_audit(context, draft);
  });
}

void SqliteStore::append_audit_async(AuditDraft draft, WriteDone<AuditEntry> done) {
  write_async<AuditEntry>(
      CommitHook(),
      [draft = std::move(draft)](WriteContext& context) { return insert_audit(context, draft); },
      std::move(done));
}

Result<std::vector<AuditEntry>> SqliteStore::read_audit(std::int64_t after, std::size_t limit) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_AUDIT_COLUMNS " FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2", "read audit"));
  select.bind(1, after).bind(2, clamp_limit(limit));
  return all_rows<AuditEntry>(select, read_audit_entry);
}

Result<void> SqliteStore::put_audit_checkpoint(const AuditCheckpoint& checkpoint) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto stored = WL_TRY(context.connection.prepare(
        "SELECT hash, at FROM audit_checkpoints WHERE seq = ?1", "find audit checkpoint"));
    stored.bind(1, checkpoint.seq);
    if (WL_TRY(stored.step())) {
      if (stored.column_bytes(0) != checkpoint.hash) {
        return error(Code::kAlreadyExists, "store: another audit checkpoint at this seq");
      }
      if (stored.column_time(1) >= checkpoint.at) {
        return ok();
      }
      auto update = WL_TRY(context.connection.prepare(
          "UPDATE audit_checkpoints SET public_key = ?2, signature = ?3, at = ?4 WHERE seq = ?1",
          "refresh audit checkpoint"));
      return update.bind(1, checkpoint.seq)
          .bind_blob(2, checkpoint.public_key)
          .bind_blob(3, checkpoint.signature)
          .bind(4, checkpoint.at)
          .run();
    }
    auto insert = WL_TRY(context.connection.prepare(
        "INSERT INTO audit_checkpoints (seq, hash, public_key, signature, at) "
        "VALUES (?1, ?2, ?3, ?4, ?5)",
        "put audit checkpoint"));
    return insert.bind(1, checkpoint.seq)
        .bind_blob(2, checkpoint.hash)
        .bind_blob(3, checkpoint.public_key)
        .bind_blob(4, checkpoint.signature)
        .bind(5, checkpoint.at)
        .run();
  });
}

Result<std::vector<AuditCheckpoint>> SqliteStore::list_audit_checkpoints() {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT seq, hash, public_key, signature, at FROM audit_checkpoints ORDER BY seq",
      "list audit checkpoints"));
  return all_rows<AuditCheckpoint>(select, [](const Statement& row) {
    return AuditCheckpoint{row.column_int64(0), row.column_bytes(1), row.column_bytes(2),
                           row.column_bytes(3), row.column_time(4)};
  });
}

}  // namespace wl
