// ThreadStore on SQLite: threads and their members.
#include "adapters/sqlite/sqlite_store.hpp"

#include "adapters/common/scoped_events.hpp"
#include "adapters/sqlite/detail/jobs.hpp"
#include "adapters/sqlite/detail/mutations.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/rows.hpp"

namespace wl {

using namespace detail;  // NOLINT: the adapter's own internals

namespace {

// The newest thread of the org with `thread`'s kind and patient and no unique key whose
// current members are exactly `members` (ascending), if any.
Result<std::optional<Thread>> find_thread_with_members(Connection& connection,
                                                       const NewThread& thread,
                                                       const std::vector<UserId>& members) {
  std::vector<Thread> candidates;
  {
    auto select =
        WL_TRY(connection.prepare(
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
    auto select = WL_TRY(
        connection.prepare("SELECT user_id FROM members WHERE thread_id = ?1 ORDER BY user_id",
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

}  // namespace

// ---- Threads and members ----

Result<ThreadCreated> detail::apply(WriteContext& context, const CreateThread& mutation) {
  const NewThread& thread = mutation.thread;
  const std::size_t first_event = context.events->size();
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
    return ThreadCreated{std::move(*existing), false, events_since(context, first_event)};
  }
  auto insert = WL_TRY(connection.prepare(
      "INSERT INTO threads (org_id, kind, title_sealed, patient_id, unique_key, created_by, "
      "created_at, role_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      "create thread"));
  insert.bind(1, thread.org_id.value())
      .bind(2, static_cast<std::int64_t>(thread.kind))
      .bind_blob(3, thread.title_sealed);
  bind_optional_id(insert, 4, thread.patient_id);
  bind_optional_id(insert, 8, thread.role_id);
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
  stored.role_id = thread.role_id;
  stored.unique_key = thread.unique_key;
  stored.created_by = thread.created_by;
  stored.created_at = thread.created_at;

  Event created_event = WL_TRY(member_event(context, stored, EventKind::kThreadCreated, UserId(),
                                            thread.created_by, thread.created_at));
  for (UserId member : members) {
    auto add = WL_TRY(connection.prepare(
        "INSERT INTO members (thread_id, user_id, joined_at) VALUES (?1, ?2, ?3)",
        "create thread"));
    WL_TRY(add.bind(1, stored.id.value()).bind(2, member.value()).bind(3, thread.created_at).run());
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
  created.events = events_since(context, first_event);
  return created;
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
        "t.created_by, t.created_at, t.last_seq, t.role_id, m.read_seq "
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

Result<Event> detail::apply(WriteContext& context, const AddMember& mutation) {
  const Thread stored = WL_TRY(load_thread(context.connection, mutation.thread));
  auto insert = WL_TRY(context.connection.prepare(
      "INSERT INTO members (thread_id, user_id, joined_at) VALUES (?1, ?2, ?3)", "add member"));
  WL_TRY(insert.bind(1, mutation.thread.value())
             .bind(2, mutation.user.value())
             .bind(3, mutation.at)
             .run());
  Event added = WL_TRY(member_event(context, stored, EventKind::kMemberAdded, mutation.user,
                                    mutation.actor, mutation.at));
  WL_TRY(open_membership(context.connection, mutation.thread, mutation.user, added.id));
  return added;
}

Result<Event> detail::apply(WriteContext& context, const RemoveMember& mutation) {
  const Thread stored = WL_TRY(load_thread(context.connection, mutation.thread));
  auto remove = WL_TRY(context.connection.prepare(
      "DELETE FROM members WHERE thread_id = ?1 AND user_id = ?2", "remove member"));
  WL_TRY(remove.bind(1, mutation.thread.value()).bind(2, mutation.user.value()).run());
  WL_TRY(expect_changed(context.connection, "member"));
  Event removed = WL_TRY(member_event(context, stored, EventKind::kMemberRemoved, mutation.user,
                                      mutation.actor, mutation.at));
  // The removed user is sent their removal (with_recipients), so it closes the period.
  auto close = WL_TRY(context.connection.prepare(
      "UPDATE memberships SET to_event = ?3 WHERE user_id = ?1 AND thread_id = ?2 "
      "AND to_event IS NULL",
      "remove member"));
  WL_TRY(close.bind(1, mutation.user.value())
             .bind(2, mutation.thread.value())
             .bind(3, removed.id.value())
             .run());
  return removed;
}

Result<Event> detail::apply(WriteContext& context, const RenameThread& mutation) {
  const Thread stored = WL_TRY(load_thread(context.connection, mutation.thread));
  auto update = WL_TRY(context.connection.prepare(
      "UPDATE threads SET title_sealed = ?2 WHERE id = ?1", "rename thread"));
  WL_TRY(update.bind(1, mutation.thread.value()).bind_blob(2, mutation.title_sealed).run());
  Event renamed = renamed_event(stored.org_id, mutation);
  WL_TRY(insert_event(context, renamed));
  return renamed;
}

}  // namespace wl
