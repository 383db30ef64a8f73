// ThreadStore on PostgreSQL: threads and their members.
#include "adapters/postgres/postgres_store.hpp"

#include <algorithm>

#include "adapters/common/scoped_events.hpp"
#include "adapters/postgres/detail/jobs.hpp"
#include "adapters/postgres/detail/mutations.hpp"
#include "adapters/postgres/detail/read_pool.hpp"
#include "adapters/postgres/detail/rows.hpp"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals

namespace {

UserId read_user_id(const PgResult& result, int row) { return UserId(result.int64(row, 0)); }

// The newest thread of the org with `thread`'s kind and patient and no unique key whose
// current members are exactly `members` (ascending), if any.
Result<std::optional<Thread>> find_thread_with_members(PgConnection& connection,
                                                       const NewThread& thread,
                                                       const std::vector<UserId>& members) {
  const PgResult candidate_rows =
      WL_TRY(connection.query(
          "SELECT " WL_PG_THREAD_COLUMNS " FROM threads WHERE org_id = $1 AND kind = $2 "
          "AND patient_id IS NOT DISTINCT FROM $3 AND unique_key IS NULL "
          "AND (SELECT count(*) FROM members m WHERE m.thread_id = threads.id) = $4 "
          "ORDER BY activity_event_id DESC, id DESC",
          Params()
              .add(thread.org_id)
              .add(static_cast<std::int64_t>(thread.kind))
              .add_id_or_null(thread.patient_id)
              .add(static_cast<std::int64_t>(members.size())),
          "find thread by members"));
  std::vector<Thread> candidates = WL_TRY(all_rows<Thread>(candidate_rows, read_thread));
  for (Thread& candidate : candidates) {
    const PgResult current_rows =
        WL_TRY(connection.query("SELECT user_id FROM members WHERE thread_id = $1 ORDER BY user_id",
                                Params().add(candidate.id), "find thread by members"));
    if (WL_TRY(all_rows<UserId>(current_rows, read_user_id)) == members) {
      return std::optional<Thread>(std::move(candidate));
    }
  }
  return std::optional<Thread>();
}

Result<std::optional<Thread>> find_thread_by_key(PgConnection& connection,
                                                 std::string_view unique_key) {
  const PgResult existing =
      WL_TRY(connection.query("SELECT " WL_PG_THREAD_COLUMNS " FROM threads WHERE unique_key = $1",
                              Params().add_text(unique_key), "create thread"));
  if (existing.rows() == 0) {
    return std::optional<Thread>();
  }
  return std::optional<Thread>(WL_TRY(single_row<Thread>(existing, read_thread, "thread")));
}

}  // namespace

// ---- Threads and members ----

Result<ThreadCreated> detail::pg::apply(WriteContext& context, const CreateThread& mutation) {
  const NewThread& thread = mutation.thread;
  const std::size_t first_event = context.events->size();
  PgConnection& connection = context.connection;
  std::vector<UserId> members = thread.members;
  members.push_back(thread.created_by);
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  std::optional<Thread> existing;
  if (!thread.unique_key.empty()) {
    existing = WL_TRY(find_thread_by_key(connection, thread.unique_key));
  } else if (thread.reuse_same_members) {
    existing = WL_TRY(find_thread_with_members(connection, thread, members));
  }
  ThreadCreated created;
  if (!existing) {
    // ON CONFLICT: another store creating the same unique key at once; this insert
    // waits for its commit and then takes its thread.
    const PgResult inserted = WL_TRY(connection.query(
        "INSERT INTO threads (org_id, kind, title_sealed, patient_id, unique_key, created_by, "
        "created_at, role_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT (unique_key) DO NOTHING "
        "RETURNING " WL_PG_THREAD_COLUMNS,
        Params()
            .add(thread.org_id)
            .add(static_cast<std::int64_t>(thread.kind))
            .add_bytes(thread.title_sealed)
            .add_id_or_null(thread.patient_id)
            .add_text_or_null(thread.unique_key)
            .add(thread.created_by)
            .add(thread.created_at)
            .add_id_or_null(thread.role_id),
        "create thread"));
    if (inserted.rows() == 0) {
      existing = WL_TRY(find_thread_by_key(connection, thread.unique_key));
      if (!existing) {
        return error(Code::kInternal, "store: a conflicting thread vanished");
      }
    } else {
      created.thread = WL_TRY(single_row<Thread>(inserted, read_thread, "thread"));
    }
  }
  if (existing) {
    // Opening it is what brings a direct thread into the other member's stream if no
    // message has yet. Like every write of a thread's events, under its row lock.
    existing = WL_TRY(lock_thread(context, existing->id));
    WL_TRY(open_missing_periods(context, *existing, thread.created_by, thread.created_at,
                                thread.created_by));
    return ThreadCreated{std::move(*existing), false, events_since(context, first_event)};
  }

  created.created = true;
  const Thread& stored = created.thread;
  Event created_event = WL_TRY(member_event(context, stored, EventKind::kThreadCreated, UserId(),
                                            thread.created_by, thread.created_at));
  for (UserId member : members) {
    WL_TRY(connection.query(
        "INSERT INTO members (thread_id, user_id, joined_at) VALUES ($1, $2, $3)",
        Params().add(stored.id).add(member).add(thread.created_at), "create thread"));
    if (thread.kind == ThreadKind::kDirect && member != thread.created_by) {
      // An empty direct thread stays out of the other member's stream and list until
      // its first message (or their opening it) brings it: open_missing_periods.
      continue;
    }
    WL_TRY(member_event(context, stored, EventKind::kMemberAdded, member, thread.created_by,
                        thread.created_at));
    // The first members' period starts at the creation, which they were sent.
    WL_TRY(open_membership(connection, stored.id, member, created_event.id));
  }
  WL_TRY(connection.query("UPDATE threads SET activity_event_id = $2 WHERE id = $1",
                          Params().add(stored.id).add(created_event.id), "create thread"));
  created.events = events_since(context, first_event);
  return created;
}

Result<Thread> PostgresStore::find_thread(ThreadId id) {
  auto lease = read_pool_->acquire();
  return load_thread(lease.connection(), id);
}

Result<std::vector<ThreadSummary>> PostgresStore::list_threads_for_user(UserId user) {
  auto lease = read_pool_->acquire();
  PgConnection& connection = lease.connection();
  ReadTransaction transaction(connection);
  WL_TRY(transaction.begin());

  std::vector<ThreadSummary> summaries;
  {
    const PgResult threads = WL_TRY(connection.query(
        "SELECT t.id, t.org_id, t.kind, t.title_sealed, t.patient_id, t.unique_key, "
        "t.created_by, t.created_at, t.last_seq, t.role_id, m.read_seq "
        "FROM members m JOIN threads t ON t.id = m.thread_id WHERE m.user_id = $1 "
        "AND EXISTS (SELECT 1 FROM memberships p WHERE p.user_id = m.user_id "
        "AND p.thread_id = m.thread_id AND p.to_event IS NULL) "
        "ORDER BY t.activity_event_id DESC, t.id DESC",
        Params().add(user), "list threads"));
    summaries = WL_TRY(all_rows<ThreadSummary>(threads, [](const PgResult& row, int index) {
      ThreadSummary summary;
      summary.thread = read_thread(row, index);
      summary.read_seq = row.int64(index, kThreadColumnCount);
      return summary;
    }));
  }
  for (ThreadSummary& summary : summaries) {
    const ThreadId thread_id = summary.thread.id;
    const PgResult members =
        WL_TRY(connection.query("SELECT user_id FROM members WHERE thread_id = $1 ORDER BY user_id",
                                Params().add(thread_id), "list threads"));
    summary.members = WL_TRY(all_rows<UserId>(members, read_user_id));
    if (summary.thread.last_seq > 0) {
      const PgResult last =
          WL_TRY(connection.query(
              "SELECT " WL_PG_EVENT_COLUMNS " FROM events WHERE thread_id = $1 AND kind = 1 "
              "AND seq = $2",
              Params().add(thread_id).add(summary.thread.last_seq), "list threads"));
      if (last.rows() > 0) {
        summary.last_message = WL_TRY(single_row<Event>(last, read_event, "message"));
      }
    }
    if (summary.thread.last_seq > summary.read_seq) {
      const PgResult unread = WL_TRY(connection.query(
          "SELECT count(*), coalesce(bool_or(urgent), false) FROM events "
          "WHERE thread_id = $1 AND kind = 1 AND seq > $2 AND actor <> $3",
          Params().add(thread_id).add(summary.read_seq).add(user), "list threads"));
      if (unread.rows() > 0) {
        summary.unread_count = unread.int64(0, 0);
        summary.has_unread_urgent = unread.boolean(0, 1);
        WL_TRY(unread.check());
      }
    }
  }
  return summaries;
}

Result<std::vector<Member>> PostgresStore::list_members(ThreadId thread) {
  auto lease = read_pool_->acquire();
  PgConnection& connection = lease.connection();
  ReadTransaction transaction(connection);
  WL_TRY(transaction.begin());
  WL_TRY(load_thread(connection, thread));
  const PgResult members = WL_TRY(connection.query(
      "SELECT thread_id, user_id, joined_at, read_seq FROM members WHERE thread_id = $1 "
      "ORDER BY user_id",
      Params().add(thread), "list members"));
  return all_rows<Member>(members, [](const PgResult& row, int index) {
    return Member{ThreadId(row.int64(index, 0)), UserId(row.int64(index, 1)), row.time(index, 2),
                  row.int64(index, 3)};
  });
}

Result<bool> PostgresStore::is_member(ThreadId thread, UserId user) {
  auto lease = read_pool_->acquire();
  const PgResult member = WL_TRY(
      lease.connection().query("SELECT user_id FROM members WHERE thread_id = $1 AND user_id = $2",
                               Params().add(thread).add(user), "check member"));
  return member.rows() > 0;
}

Result<Event> detail::pg::apply(WriteContext& context, const AddMember& mutation) {
  const Thread stored = WL_TRY(lock_thread(context, mutation.thread));
  WL_TRY(context.connection.query(
      "INSERT INTO members (thread_id, user_id, joined_at) VALUES ($1, $2, $3)",
      Params().add(mutation.thread).add(mutation.user).add(mutation.at), "add member"));
  Event added = WL_TRY(member_event(context, stored, EventKind::kMemberAdded, mutation.user,
                                    mutation.actor, mutation.at));
  WL_TRY(open_membership(context.connection, mutation.thread, mutation.user, added.id));
  return added;
}

Result<Event> detail::pg::apply(WriteContext& context, const RemoveMember& mutation) {
  const Thread stored = WL_TRY(lock_thread(context, mutation.thread));
  const PgResult removed_rows = WL_TRY(
      context.connection.query("DELETE FROM members WHERE thread_id = $1 AND user_id = $2",
                               Params().add(mutation.thread).add(mutation.user), "remove member"));
  WL_TRY(expect_changed(removed_rows, "member"));
  Event removed = WL_TRY(member_event(context, stored, EventKind::kMemberRemoved, mutation.user,
                                      mutation.actor, mutation.at));
  // The removed user is sent their removal (with_recipients), so it closes the period.
  WL_TRY(context.connection.query(
      "UPDATE memberships SET to_event = $3 WHERE user_id = $1 AND thread_id = $2 "
      "AND to_event IS NULL",
      Params().add(mutation.user).add(mutation.thread).add(removed.id), "remove member"));
  return removed;
}

Result<Event> detail::pg::apply(WriteContext& context, const RenameThread& mutation) {
  const Thread stored = WL_TRY(lock_thread(context, mutation.thread));
  WL_TRY(context.connection.query("UPDATE threads SET title_sealed = $2 WHERE id = $1",
                                  Params().add(mutation.thread).add_bytes(mutation.title_sealed),
                                  "rename thread"));
  Event renamed = renamed_event(stored.org_id, mutation);
  WL_TRY(insert_event(context, renamed));
  return renamed;
}

}  // namespace wl
