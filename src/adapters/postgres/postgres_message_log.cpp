// MessageLog on PostgreSQL: messages, receipts and every user's stream.
#include "adapters/postgres/postgres_store.hpp"

#include <limits>

#include "adapters/common/scoped_events.hpp"
#include "adapters/postgres/detail/jobs.hpp"
#include "adapters/postgres/detail/mutations.hpp"
#include "adapters/postgres/detail/read_pool.hpp"
#include "adapters/postgres/detail/rows.hpp"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals

// ---- Messages and receipts ----

namespace {

// The message the sender already sent with this client token, if any. Two stores
// appending (or holding) the same (sender, client token) at once queue on this lock
// until the first commits; the second then finds the original. The unique indexes
// messages_by_client_token and held_by_token back it up.
Result<std::optional<Event>> sent_with_token(PgConnection& connection, const NewMessage& message) {
  if (message.client_token.empty()) {
    return std::optional<Event>();
  }
  connection.defer("SELECT pg_advisory_xact_lock(hashtextextended(encode($2, 'hex'), $1))",
                   Params().add(message.sender).add_bytes(message.client_token), "append message");
  const PgResult original = WL_TRY(connection.query(
      "SELECT " WL_PG_EVENT_COLUMNS
      " FROM events WHERE actor = $1 AND client_token = $2 AND kind = 1",
      Params().add(message.sender).add_bytes(message.client_token), "append message"));
  if (original.rows() > 0) {
    return std::optional<Event>(WL_TRY(single_row<Event>(original, read_event, "message")));
  }
  return std::optional<Event>();
}

#define WL_PG_HELD_COLUMNS                                                                  \
  "id, org_id, thread_id, sender, recipient, client_token, client_id_sealed, urgent, "      \
  "body_sealed, created_at, written_at, held_at, until, remind_after, state, screened_by, " \
  "callback_sealed"

HeldMessage read_held(const PgResult& result, int row) {
  HeldMessage held;
  held.id = HeldId(result.int64(row, 0));
  held.message.org_id = OrgId(result.int64(row, 1));
  held.message.thread_id = ThreadId(result.int64(row, 2));
  held.message.sender = UserId(result.int64(row, 3));
  held.recipient = UserId(result.int64(row, 4));
  held.message.client_token = result.bytes(row, 5);
  held.message.client_id_sealed = result.bytes(row, 6);
  held.message.urgent = result.boolean(row, 7);
  held.message.body_sealed = result.bytes(row, 8);
  held.message.callback_sealed = result.bytes(row, 16);
  held.message.created_at = result.time(row, 9);
  held.message.written_at = result.optional_time(row, 10);
  held.held_at = result.time(row, 11);
  held.until = result.optional_time(row, 12);
  if (!result.is_null(row, 13)) {
    held.remind_after = std::chrono::minutes(result.int64(row, 13) / 60);
  }
  held.state = static_cast<HeldState>(result.int64(row, 14));
  held.screened_by = UserId(result.is_null(row, 15) ? 0 : result.int64(row, 15));
  return held;
}

}  // namespace

Result<MessageAppended> detail::pg::apply(WriteContext& context, const AppendMessage& mutation) {
  const NewMessage& message = mutation.message;
  PgConnection& connection = context.connection;
  if (auto original = WL_TRY(sent_with_token(connection, message))) {
    return MessageAppended{std::move(*original), true};
  }
  // The thread's row stays locked until commit: appends to one thread from several
  // stores take their seqs one after another. Membership is checked under it, so a
  // sender removed an instant earlier cannot post.
  const Thread thread = WL_TRY(lock_thread(context, message.thread_id));
  if (thread.org_id != message.org_id) {
    // Another org's thread is answered as a missing one: ids reveal nothing across orgs.
    return error(Code::kNotFound, "thread not found");
  }
  const PgResult member =
      WL_TRY(connection.query("SELECT user_id FROM members WHERE thread_id = $1 AND user_id = $2",
                              Params().add(thread.id).add(message.sender), "append message"));
  if (member.rows() == 0) {
    const PgResult removed = WL_TRY(connection.query(
        "SELECT id FROM events WHERE subject = $1 AND kind = 5 AND thread_id = $2 LIMIT 1",
        Params().add(message.sender).add(thread.id), "append message"));
    return std::unexpected(not_a_member(removed.rows() > 0));
  }
  if (thread.last_seq == 0) {
    WL_TRY(open_missing_periods(context, thread, message.sender, message.created_at, {}));
  }
  // Invariant: seq is contiguous per thread; threads.last_seq moves in the same
  // transaction as the insert, under the thread's row lock.
  Event event = message_event(thread, message);
  WL_TRY(insert_event(context, event));
  // Indexed in the append's transaction: a message that is sent is searchable.
  WL_TRY(insert_search_tokens(connection, thread.id, event.id, message.search_tokens));
  connection.defer("UPDATE threads SET last_seq = $2, activity_event_id = $3 WHERE id = $1",
                   Params().add(thread.id).add(event.seq).add(event.id), "append message");
  return MessageAppended{std::move(event), false};
}

Result<MessageHeld> detail::pg::apply(WriteContext& context, const HoldMessage& mutation) {
  const NewMessage& message = mutation.message;
  PgConnection& connection = context.connection;
  if (auto original = WL_TRY(sent_with_token(connection, message))) {
    return MessageHeld{{}, true, std::move(*original)};
  }
  const PgResult held = WL_TRY(connection.query(
      "SELECT " WL_PG_HELD_COLUMNS " FROM held_messages WHERE sender = $1 AND client_token = $2",
      Params().add(message.sender).add_bytes(message.client_token), "hold message"));
  if (held.rows() > 0) {
    return MessageHeld{WL_TRY(single_row<HeldMessage>(held, read_held, "held message")), true,
                       std::nullopt};
  }
  const PgResult thread =
      WL_TRY(connection.query("SELECT t.org_id, m.user_id FROM threads t LEFT JOIN members m "
                              "ON m.thread_id = t.id AND m.user_id = $2 WHERE t.id = $1",
                              Params().add(message.thread_id).add(message.sender), "hold message"));
  if (thread.rows() == 0 || OrgId(thread.int64(0, 0)) != message.org_id) {
    return error(Code::kNotFound, "thread not found");
  }
  if (thread.is_null(0, 1)) {
    const PgResult removed = WL_TRY(connection.query(
        "SELECT id FROM events WHERE subject = $1 AND kind = 5 AND thread_id = $2 LIMIT 1",
        Params().add(message.sender).add(message.thread_id), "hold message"));
    return std::unexpected(not_a_member(removed.rows() > 0));
  }
  const PgResult recipient = WL_TRY(
      connection.query("SELECT id FROM users WHERE id = $1 AND org_id = $2",
                       Params().add(mutation.recipient).add(message.org_id), "hold message"));
  if (recipient.rows() == 0) {
    return error(Code::kNotFound, "user not found");
  }
  Params params;
  params.add(message.org_id)
      .add(message.thread_id)
      .add(message.sender)
      .add(mutation.recipient)
      .add_bytes(message.client_token)
      .add_bytes(message.client_id_sealed)
      .add(message.urgent)
      .add_bytes(message.body_sealed)
      .add(message.created_at)
      .add(message.written_at)
      .add(message.created_at)
      .add(mutation.until);
  if (mutation.remind_after) {
    params.add(static_cast<std::int64_t>(mutation.remind_after->count() * 60));
  } else {
    params.add_null(PgType::kInt8);
  }
  params.add(static_cast<std::int64_t>(mutation.state));
  if (message.callback_sealed.empty()) {
    params.add_null(PgType::kBytea);
  } else {
    params.add_bytes(message.callback_sealed);
  }
  const PgResult inserted = WL_TRY(connection.query(
      "INSERT INTO held_messages (org_id, thread_id, sender, recipient, client_token, "
      "client_id_sealed, urgent, body_sealed, created_at, written_at, held_at, until, "
      "remind_after, state, callback_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
      "$11, $12, $13, $14, $15) RETURNING id",
      params, "hold message"));
  const HeldId id(inserted.int64(0, 0));
  WL_TRY(inserted.check());
  return MessageHeld{HeldMessage{id, message, mutation.recipient, message.created_at,
                                 mutation.until, mutation.remind_after, mutation.state, UserId()},
                     false, std::nullopt};
}

Result<bool> detail::pg::apply(WriteContext& context, const ScreenHeld& mutation) {
  const PgResult updated = WL_TRY(context.connection.query(
      "UPDATE held_messages SET state = $3, screened_by = $4 WHERE id = $1 AND state = $2",
      Params()
          .add(mutation.id)
          .add(static_cast<std::int64_t>(mutation.from))
          .add(static_cast<std::int64_t>(mutation.to))
          .add_id_or_null(mutation.by),
      "screen held"));
  return updated.affected() > 0;
}

Result<bool> detail::pg::apply(WriteContext& context, const DeleteHeld& mutation) {
  const PgResult removed = WL_TRY(context.connection.query(
      "DELETE FROM held_messages WHERE id = $1 AND ($2 = 0 OR sender = $2) "
      "AND ($3 = 0 OR state = $3)",
      Params()
          .add(mutation.id)
          .add(mutation.sender)
          .add(static_cast<std::int64_t>(mutation.state ? static_cast<int>(*mutation.state) : 0)),
      "delete held"));
  if (removed.affected() == 0 && mutation.must_exist) {
    return error(Code::kNotFound, "the held message was released or withdrawn meanwhile");
  }
  return removed.affected() > 0;
}

Result<HeldMessage> PostgresStore::find_held(HeldId id) {
  auto lease = read_pool_->acquire();
  const PgResult rows = WL_TRY(lease.connection().query("SELECT " WL_PG_HELD_COLUMNS
                                                        " FROM held_messages WHERE id = $1",
                                                        Params().add(id), "find held"));
  return single_row<HeldMessage>(rows, read_held, "held message");
}

Result<HeldMessage> PostgresStore::find_held_by_token(UserId sender,
                                                      std::string_view client_token) {
  auto lease = read_pool_->acquire();
  const PgResult rows = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_HELD_COLUMNS " FROM held_messages WHERE sender = $1 AND client_token = $2",
      Params().add(sender).add_bytes(client_token), "find held"));
  return single_row<HeldMessage>(rows, read_held, "held message");
}

Result<std::vector<HeldMessage>> PostgresStore::list_held_for(UserId recipient,
                                                              std::optional<HeldState> state,
                                                              std::size_t limit) {
  auto lease = read_pool_->acquire();
  // State 0 is none: every state.
  const PgResult rows =
      WL_TRY(lease.connection().query(
          "SELECT " WL_PG_HELD_COLUMNS " FROM held_messages WHERE recipient = $1 "
          "AND ($3 = 0 OR state = $3) ORDER BY id LIMIT $2",
          Params()
              .add(recipient)
              .add(static_cast<std::int64_t>(limit))
              .add(static_cast<std::int64_t>(state ? static_cast<int>(*state) : 0)),
          "list held"));
  return all_rows<HeldMessage>(rows, read_held);
}

Result<std::vector<HeldMessage>> PostgresStore::list_held_in(ThreadId thread, UserId sender,
                                                             std::size_t limit) {
  auto lease = read_pool_->acquire();
  const PgResult rows =
      WL_TRY(lease.connection().query(
          "SELECT " WL_PG_HELD_COLUMNS " FROM held_messages WHERE thread_id = $1 AND sender = $2 "
          "ORDER BY id LIMIT $3",
          Params().add(thread).add(sender).add(static_cast<std::int64_t>(limit)), "list held"));
  return all_rows<HeldMessage>(rows, read_held);
}

Result<std::vector<Event>> detail::pg::apply(WriteContext& context,
                                             const RecordDelivered& mutation) {
  const std::size_t first_event = context.events->size();
  PgConnection& connection = context.connection;
  for (EventId message_id : mutation.messages) {
    const PgResult message =
        WL_TRY(connection.query("SELECT thread_id FROM events WHERE id = $1 AND kind = 1",
                                Params().add(message_id), "record delivered"));
    if (message.rows() == 0) {
      continue;
    }
    const ThreadId thread(message.int64(0, 0));
    WL_TRY(message.check());
    // Like every write of a thread's events, under the thread's row lock.
    WL_TRY(lock_thread(context, thread));
    // One query decides eligibility: a message, in a thread the recipient is in,
    // from someone else, not yet delivered to them.
    const PgResult eligible = WL_TRY(
        connection.query("SELECT e.org_id, e.thread_id, e.seq, e.actor FROM events e "
                         "JOIN members m ON m.thread_id = e.thread_id AND m.user_id = $2 "
                         "WHERE e.id = $1 AND e.kind = 1 AND e.actor <> $2 AND NOT EXISTS ("
                         "SELECT 1 FROM receipts r WHERE r.message_id = e.id AND r.user_id = $2 "
                         "AND r.delivered_at IS NOT NULL)",
                         Params().add(message_id).add(mutation.recipient), "record delivered"));
    if (eligible.rows() == 0) {
      continue;
    }
    Event event = delivered_event(mutation, message_id, OrgId(eligible.int64(0, 0)),
                                  ThreadId(eligible.int64(0, 1)), eligible.int64(0, 2),
                                  UserId(eligible.int64(0, 3)));
    WL_TRY(eligible.check());
    // Another store may deliver the same message to the same recipient at once: the
    // conditional upsert waits for it and then changes nothing, so only one delivery
    // event is written.
    const PgResult receipt = WL_TRY(connection.query(
        "INSERT INTO receipts (message_id, user_id, delivered_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (message_id, user_id) DO UPDATE SET delivered_at = excluded.delivered_at "
        "WHERE receipts.delivered_at IS NULL RETURNING message_id",
        Params().add(message_id).add(mutation.recipient).add(mutation.at), "record delivered"));
    if (receipt.rows() == 0) {
      continue;
    }
    WL_TRY(insert_event(context, event));
  }
  return events_since(context, first_event);
}

Result<std::optional<Event>> detail::pg::apply(WriteContext& context, const RecordRead& mutation) {
  PgConnection& connection = context.connection;
  // Like every write of a thread's events, under the thread's row lock, which also
  // makes two stores moving one reader's position apply one after the other.
  WL_TRY(lock_thread(context, mutation.thread));
  const PgResult position = WL_TRY(connection.query(
      "SELECT m.read_seq, t.last_seq, t.org_id FROM members m "
      "JOIN threads t ON t.id = m.thread_id WHERE m.thread_id = $1 AND m.user_id = $2",
      Params().add(mutation.thread).add(mutation.reader), "record read"));
  if (position.rows() == 0) {
    return error(Code::kNotFound, "member not found");
  }
  const std::int64_t read_seq = position.int64(0, 0);
  const std::int64_t target = std::min(mutation.up_to_seq, position.int64(0, 1));
  const OrgId org(position.int64(0, 2));
  WL_TRY(position.check());
  if (target <= read_seq) {
    return std::optional<Event>();
  }
  WL_TRY(connection.query("UPDATE members SET read_seq = $3 WHERE thread_id = $1 AND user_id = $2",
                          Params().add(mutation.thread).add(mutation.reader).add(target),
                          "record read"));
  WL_TRY(connection.query(
      "INSERT INTO receipts (message_id, user_id, delivered_at, read_at) "
      "SELECT id, $2, $5, $5 FROM events "
      "WHERE thread_id = $1 AND kind = 1 AND seq > $3 AND seq <= $4 AND actor <> $2 "
      "ON CONFLICT (message_id, user_id) DO UPDATE SET read_at = excluded.read_at, "
      "delivered_at = coalesce(receipts.delivered_at, excluded.delivered_at)",
      Params().add(mutation.thread).add(mutation.reader).add(read_seq).add(target).add(mutation.at),
      "record read"));
  Event event = read_mark_event(org, mutation, target);
  WL_TRY(insert_event(context, event));
  return std::optional<Event>(std::move(event));
}

Result<std::vector<Event>> detail::pg::apply(WriteContext& context, const RouteMessage& mutation) {
  PgConnection& connection = context.connection;
  Event message;
  if (mutation.message.is_set()) {
    const PgResult found = WL_TRY(
        connection.query("SELECT " WL_PG_EVENT_COLUMNS " FROM events WHERE id = $1 AND kind = 1",
                         Params().add(mutation.message), "route message"));
    message = WL_TRY(single_row<Event>(found, read_event, "message"));
    if (message.thread_id != mutation.thread) {
      return error(Code::kNotFound, "message not found");
    }
  } else {
    const Event* appended = detail::batch_message(*context.events, mutation.thread);
    if (appended == nullptr) {
      return std::vector<Event>();
    }
    message = *appended;  // insert_event may move the batch's events.
  }
  // The thread's lock orders its events (taken already by a batch's AppendMessage).
  const Thread thread = WL_TRY(lock_thread(context, mutation.thread));
  std::vector<Event> routed;
  for (const RoutedTo& to : mutation.to) {
    if (WL_TRY(org_of_user(connection, to.user)) != thread.org_id) {
      return error(Code::kNotFound, "user not found");
    }
    const PgResult added = WL_TRY(
        connection.query("INSERT INTO members (thread_id, user_id, joined_at) VALUES ($1, $2, $3) "
                         "ON CONFLICT DO NOTHING",
                         Params().add(thread.id).add(to.user).add(mutation.at), "route message"));
    if (added.affected() == 1) {
      // Their period opens at the message, so it is in their stream.
      WL_TRY(open_membership(connection, thread.id, to.user, message.id));
      WL_TRY(member_event(context, thread, EventKind::kMemberAdded, to.user, message.actor,
                          mutation.at));
    }
    Event event = detail::routed_event(message, mutation, to);
    WL_TRY(insert_event(context, event));
    routed.push_back(std::move(event));
  }
  return routed;
}

Result<Event> detail::pg::apply(WriteContext& context, const AppendScopedEvent& mutation) {
  WL_TRY(check_scoped_event(mutation));
  // The user and the subject, if named, must be of the org.
  for (const UserId named : {mutation.user, mutation.subject}) {
    if (named.is_set() && WL_TRY(org_of_user(context.connection, named)) != mutation.org) {
      return error(Code::kNotFound, "user not found");
    }
  }
  return insert_scoped_event(context, mutation.kind, mutation.org, mutation.user, mutation.actor,
                             mutation.subject, mutation.at, mutation.role, mutation.ref);
}

Result<Event> PostgresStore::find_message_by_client_token(UserId sender, std::string_view token) {
  auto lease = read_pool_->acquire();
  const PgResult event = WL_TRY(
      lease.connection().query("SELECT " WL_PG_EVENT_COLUMNS
                               " FROM events WHERE actor = $1 AND client_token = $2 AND kind = 1",
                               Params().add(sender).add_bytes(token), "find message"));
  return single_row<Event>(event, read_event, "message");
}

Result<std::vector<Event>> PostgresStore::read_thread_routing(ThreadId thread,
                                                              std::int64_t from_seq,
                                                              std::int64_t to_seq) {
  auto lease = read_pool_->acquire();
  const PgResult events =
      WL_TRY(lease.connection().query(
          "SELECT " WL_PG_EVENT_COLUMNS " FROM events WHERE thread_id = $1 AND kind = 13 "
          "AND ref_seq BETWEEN $2 AND $3 ORDER BY ref_seq, id",
          Params().add(thread).add(from_seq).add(to_seq), "read thread routing"));
  return all_rows<Event>(events, read_event);
}

Result<Event> PostgresStore::find_event(EventId id) {
  auto lease = read_pool_->acquire();
  const PgResult event = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_EVENT_COLUMNS " FROM events WHERE id = $1", Params().add(id), "find event"));
  return single_row<Event>(event, read_event, "event");
}

Result<std::vector<Event>> PostgresStore::read_user_events(UserId user, StreamPosition after,
                                                           std::size_t limit) {
  auto lease = read_pool_->acquire();
  // Exactly the events live delivery sent the user (with_recipients): those of each
  // thread inside one of their membership periods (of the deliveries, those of their
  // own messages and their own), their own events and their org's; in position order
  // (transaction id, event id) after `after`, and only of transactions below the
  // visibility horizon: every transaction there has ended and every one still to
  // commit has a larger id, so nothing can later appear behind a position returned here
  // (docs/storage.md, "Stream positions"). Membership periods compare ids: within a
  // thread, ids follow commit order (lock_thread). Each part is cut to the page before
  // they are merged.
  const PgResult events =
      WL_TRY(lease.connection().query(
          "WITH horizon AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin) "
          "SELECT " WL_PG_EVENT_COLUMNS " FROM events WHERE id IN ("
          "SELECT id FROM ("
          "(SELECT e.id, e.xact FROM memberships p JOIN events e ON e.thread_id = p.thread_id "
          "WHERE p.user_id = $3 AND (e.xact, e.id) > ($1, $2) "
          "AND e.id >= p.from_event AND (p.to_event IS NULL OR e.id <= p.to_event) "
          "AND (e.kind <> 2 OR e.subject = $3 OR e.actor = $3) "
          "AND e.xact < (SELECT xmin FROM horizon) ORDER BY e.xact, e.id LIMIT $4) "
          "UNION ALL (SELECT id, xact FROM events WHERE scope = 2 AND user_id = $3 "
          "AND (xact, id) > ($1, $2) AND xact < (SELECT xmin FROM horizon) "
          "ORDER BY xact, id LIMIT $4) "
          "UNION ALL (SELECT id, xact FROM events WHERE scope = 3 "
          "AND org_id = (SELECT org_id FROM users WHERE id = $3) "
          "AND (xact, id) > ($1, $2) AND xact < (SELECT xmin FROM horizon) "
          "ORDER BY xact, id LIMIT $4)) page ORDER BY xact, id LIMIT $4) "
          "ORDER BY xact, id",
          Params().add(after.epoch).add(after.id).add(user).add(clamp_limit(limit)),
          "read user events"));
  return all_rows<Event>(events, read_event);
}

Result<StreamPosition> PostgresStore::stream_head() {
  auto lease = read_pool_->acquire();
  // The latest position below the horizon: a reader starting there misses nothing that
  // commits later (see read_user_events).
  const PgResult last =
      WL_TRY(lease.connection().query("SELECT xact, id FROM events WHERE xact < "
                                      "pg_snapshot_xmin(pg_current_snapshot())::text::bigint "
                                      "ORDER BY xact DESC, id DESC LIMIT 1",
                                      "stream head"));
  if (last.rows() == 0) {
    return StreamPosition{};
  }
  return single_row<StreamPosition>(
      last,
      [](const PgResult& row, int index) {
        return StreamPosition{row.int64(index, 0), EventId(row.int64(index, 1))};
      },
      "event");
}

Result<std::vector<Event>> PostgresStore::read_thread_messages(ThreadId thread,
                                                               std::int64_t before_seq,
                                                               std::size_t limit) {
  auto lease = read_pool_->acquire();
  const std::int64_t before =
      before_seq <= 0 ? std::numeric_limits<std::int64_t>::max() : before_seq;
  const PgResult messages = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_EVENT_COLUMNS
      " FROM events WHERE thread_id = $1 AND kind = 1 AND seq < $2 "
      "ORDER BY seq DESC LIMIT $3",
      Params().add(thread).add(before).add(clamp_limit(limit)), "read thread messages"));
  return all_rows<Event>(messages, read_event);
}

Result<std::vector<Receipt>> PostgresStore::list_receipts(EventId message) {
  auto lease = read_pool_->acquire();
  PgConnection& connection = lease.connection();
  ReadTransaction transaction(connection);
  WL_TRY(transaction.begin());
  const PgResult found =
      WL_TRY(connection.query("SELECT thread_id, actor FROM events WHERE id = $1 AND kind = 1",
                              Params().add(message), "list receipts"));
  if (found.rows() == 0) {
    return error(Code::kNotFound, "message not found");
  }
  const std::int64_t thread_id = found.int64(0, 0);
  const std::int64_t sender = found.int64(0, 1);
  WL_TRY(found.check());
  const PgResult receipts =
      WL_TRY(connection.query("SELECT m.user_id, r.delivered_at, r.read_at FROM members m "
                              "LEFT JOIN receipts r ON r.message_id = $1 AND r.user_id = m.user_id "
                              "WHERE m.thread_id = $2 AND m.user_id <> $3 ORDER BY m.user_id",
                              Params().add(message).add(thread_id).add(sender), "list receipts"));
  return all_rows<Receipt>(receipts, [message](const PgResult& row, int index) {
    return Receipt{message, UserId(row.int64(index, 0)), row.optional_time(index, 1),
                   row.optional_time(index, 2)};
  });
}

Result<HistoryReceipts> PostgresStore::read_history_receipts(ThreadId thread, UserId sender,
                                                             std::int64_t from_seq,
                                                             std::int64_t to_seq) {
  auto lease = read_pool_->acquire();
  PgConnection& connection = lease.connection();
  ReadTransaction transaction(connection);
  WL_TRY(transaction.begin());
  HistoryReceipts receipts;
  const PgResult positions = WL_TRY(connection.query(
      "SELECT user_id, read_seq FROM members WHERE thread_id = $1 ORDER BY user_id",
      Params().add(thread), "read positions"));
  receipts.read = WL_TRY(all_rows<ReadPosition>(positions, [](const PgResult& row, int index) {
    return ReadPosition{UserId(row.int64(index, 0)), row.int64(index, 1)};
  }));
  // Members who left are not listed, as in list_receipts.
  const PgResult delivered = WL_TRY(connection.query(
      "SELECT r.message_id, r.user_id, r.delivered_at FROM events e "
      "JOIN receipts r ON r.message_id = e.id "
      "JOIN members m ON m.thread_id = e.thread_id AND m.user_id = r.user_id "
      "WHERE e.thread_id = $1 AND e.kind = 1 AND e.seq BETWEEN $3 AND $4 AND e.actor = $2 "
      "AND r.delivered_at IS NOT NULL AND r.read_at IS NULL "
      "ORDER BY r.message_id, r.user_id",
      Params().add(thread).add(sender).add(from_seq).add(to_seq), "read delivered unread"));
  receipts.delivered_unread =
      WL_TRY(all_rows<Receipt>(delivered, [](const PgResult& row, int index) {
        return Receipt{EventId(row.int64(index, 0)), UserId(row.int64(index, 1)),
                       row.optional_time(index, 2), std::nullopt};
      }));
  return receipts;
}

// ---- Client ids that versions before schema 4 stored in clear ----
//
// This adapter's schema stored client ids sealed from its first version: none is ever
// in clear here.

Result<std::vector<ClientIdInClear>> PostgresStore::list_client_ids_in_clear(
    EventId /*after*/, std::size_t /*limit*/) {
  return std::vector<ClientIdInClear>();
}

Result<void> PostgresStore::seal_client_ids(std::span<const SealedClientId> ids) {
  if (!ids.empty()) {
    return error(Code::kNotFound, "client id in clear not found");
  }
  return ok();
}

}  // namespace wl
