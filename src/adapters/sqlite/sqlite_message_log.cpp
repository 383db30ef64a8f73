// MessageLog on SQLite: messages, receipts and every user's stream.
#include "adapters/sqlite/sqlite_store.hpp"

#include "adapters/common/scoped_events.hpp"
#include "adapters/sqlite/detail/checkpointer.hpp"
#include "adapters/sqlite/detail/jobs.hpp"
#include "adapters/sqlite/detail/mutations.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/rows.hpp"

namespace wl {

using namespace detail;  // NOLINT: the adapter's own internals

// ---- Messages and receipts ----

namespace {

// The message the sender already sent with this client token, if any. Checked on the
// writer thread, so two concurrent sends of one client id cannot both pass; the unique
// index backs it up.
Result<std::optional<Event>> sent_with_token(Connection& connection, const NewMessage& message) {
  if (message.client_token.empty()) {
    return std::optional<Event>();
  }
  auto original = WL_TRY(connection.prepare(
      "SELECT " WL_EVENT_COLUMNS " FROM events WHERE actor = ?1 AND client_id = ?2 AND kind = 1",
      "append message"));
  original.bind(1, message.sender.value()).bind_text(2, message.client_token);
  if (WL_TRY(original.step())) {
    return std::optional<Event>(read_event(original));
  }
  return std::optional<Event>();
}

// The message's thread, once the sender is found a member of it. Checked in the write's
// transaction, so a sender removed an instant earlier cannot post.
Result<Thread> thread_of_sender(Connection& connection, const NewMessage& message) {
  Thread thread = WL_TRY(load_thread(connection, message.thread_id));
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
    return std::unexpected(not_a_member(WL_TRY(removed.step())));
  }
  return thread;
}

#define WL_HELD_COLUMNS                                                                     \
  "id, org_id, thread_id, sender, recipient, client_token, client_id_sealed, urgent, "      \
  "body_sealed, created_at, written_at, held_at, until, remind_after, state, screened_by, " \
  "callback_sealed"

HeldMessage read_held(const Statement& row) {
  HeldMessage held;
  held.id = HeldId(row.column_int64(0));
  held.message.org_id = OrgId(row.column_int64(1));
  held.message.thread_id = ThreadId(row.column_int64(2));
  held.message.sender = UserId(row.column_int64(3));
  held.recipient = UserId(row.column_int64(4));
  held.message.client_token = row.column_bytes(5);
  held.message.client_id_sealed = row.column_bytes(6);
  held.message.urgent = row.column_int64(7) != 0;
  held.message.body_sealed = row.column_bytes(8);
  held.message.callback_sealed = row.column_bytes(16);
  held.message.created_at = row.column_time(9);
  if (!row.column_is_null(10)) {
    held.message.written_at = row.column_time(10);
  }
  held.held_at = row.column_time(11);
  if (!row.column_is_null(12)) {
    held.until = row.column_time(12);
  }
  if (!row.column_is_null(13)) {
    held.remind_after = std::chrono::minutes(row.column_int64(13) / 60);
  }
  held.state = static_cast<HeldState>(row.column_int64(14));
  held.screened_by = UserId(row.column_is_null(15) ? 0 : row.column_int64(15));
  return held;
}

}  // namespace

Result<MessageAppended> detail::apply(WriteContext& context, const AppendMessage& mutation) {
  const NewMessage& message = mutation.message;
  Connection& connection = context.connection;
  if (auto original = WL_TRY(sent_with_token(connection, message))) {
    return MessageAppended{std::move(*original), true};
  }
  const Thread thread = WL_TRY(thread_of_sender(connection, message));
  if (thread.last_seq == 0) {
    WL_TRY(open_missing_periods(context, thread, message.sender, message.created_at, {}));
  }
  // Invariant: seq is contiguous per thread; threads.last_seq moves in the same
  // transaction as the insert.
  Event event = message_event(thread, message);
  WL_TRY(insert_event(context, event));
  // Indexed in the append's transaction: a message that is sent is searchable.
  WL_TRY(insert_search_tokens(connection, thread.id, event.id, message.search_tokens));
  auto update = WL_TRY(connection.prepare(
      "UPDATE threads SET last_seq = ?2, activity_event_id = ?3 WHERE id = ?1", "append message"));
  WL_TRY(update.bind(1, thread.id.value()).bind(2, event.seq).bind(3, event.id.value()).run());
  return MessageAppended{std::move(event), false};
}

Result<MessageHeld> detail::apply(WriteContext& context, const HoldMessage& mutation) {
  const NewMessage& message = mutation.message;
  Connection& connection = context.connection;
  if (auto original = WL_TRY(sent_with_token(connection, message))) {
    return MessageHeld{{}, true, std::move(*original)};
  }
  auto held = WL_TRY(connection.prepare(
      "SELECT " WL_HELD_COLUMNS " FROM held_messages WHERE sender = ?1 AND client_token = ?2",
      "hold message"));
  held.bind(1, message.sender.value()).bind_text(2, message.client_token);
  if (WL_TRY(held.step())) {
    return MessageHeld{read_held(held), true, std::nullopt};
  }
  WL_TRY(thread_of_sender(connection, message));
  auto recipient = WL_TRY(
      connection.prepare("SELECT 1 FROM users WHERE id = ?1 AND org_id = ?2", "hold message"));
  recipient.bind(1, mutation.recipient.value()).bind(2, message.org_id.value());
  if (!WL_TRY(recipient.step())) {
    return error(Code::kNotFound, "user not found");
  }
  auto insert = WL_TRY(connection.prepare(
      "INSERT INTO held_messages (org_id, thread_id, sender, recipient, client_token, "
      "client_id_sealed, urgent, body_sealed, created_at, written_at, held_at, until, "
      "remind_after, state, callback_sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
      "?12, ?13, ?14, ?15)",
      "hold message"));
  insert.bind(1, message.org_id.value())
      .bind(2, message.thread_id.value())
      .bind(3, message.sender.value())
      .bind(4, mutation.recipient.value())
      .bind_text(5, message.client_token)
      .bind_blob(6, message.client_id_sealed)
      .bind(7, std::int64_t{message.urgent ? 1 : 0})
      .bind_blob(8, message.body_sealed)
      .bind(9, message.created_at)
      .bind(10, message.written_at)
      .bind(11, message.created_at)
      .bind(12, mutation.until);
  if (mutation.remind_after) {
    insert.bind(13, static_cast<std::int64_t>(mutation.remind_after->count() * 60));
  } else {
    insert.bind_null(13);
  }
  insert.bind(14, static_cast<std::int64_t>(mutation.state));
  if (message.callback_sealed.empty()) {
    insert.bind_null(15);
  } else {
    insert.bind_blob(15, message.callback_sealed);
  }
  WL_TRY(insert.run());
  return MessageHeld{HeldMessage{HeldId(connection.last_insert_id()), message, mutation.recipient,
                                 message.created_at, mutation.until, mutation.remind_after,
                                 mutation.state, UserId()},
                     false, std::nullopt};
}

Result<bool> detail::apply(WriteContext& context, const ScreenHeld& mutation) {
  auto update = WL_TRY(context.connection.prepare(
      "UPDATE held_messages SET state = ?3, screened_by = ?4 WHERE id = ?1 AND state = ?2",
      "screen held"));
  update.bind(1, mutation.id.value())
      .bind(2, static_cast<std::int64_t>(mutation.from))
      .bind(3, static_cast<std::int64_t>(mutation.to));
  bind_optional_id(update, 4, mutation.by);
  WL_TRY(update.run());
  return context.connection.changes() > 0;
}

Result<bool> detail::apply(WriteContext& context, const DeleteHeld& mutation) {
  auto remove = WL_TRY(context.connection.prepare(
      "DELETE FROM held_messages WHERE id = ?1 AND (?2 = 0 OR sender = ?2) "
      "AND (?3 = 0 OR state = ?3)",
      "delete held"));
  WL_TRY(remove.bind(1, mutation.id.value())
             .bind(2, mutation.sender.value())
             .bind(3, static_cast<std::int64_t>(mutation.state ? static_cast<int>(*mutation.state)
                                                               : 0))
             .run());
  if (context.connection.changes() == 0 && mutation.must_exist) {
    return error(Code::kNotFound, "the held message was released or withdrawn meanwhile");
  }
  return context.connection.changes() > 0;
}

Result<HeldMessage> SqliteStore::find_held(HeldId id) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_HELD_COLUMNS " FROM held_messages WHERE id = ?1", "find held"));
  select.bind(1, id.value());
  return single_row<HeldMessage>(select, read_held, "held message");
}

Result<HeldMessage> SqliteStore::find_held_by_token(UserId sender, std::string_view client_token) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_HELD_COLUMNS " FROM held_messages WHERE sender = ?1 AND client_token = ?2",
      "find held"));
  select.bind(1, sender.value()).bind_text(2, client_token);
  return single_row<HeldMessage>(select, read_held, "held message");
}

Result<std::vector<HeldMessage>> SqliteStore::list_held_for(UserId recipient,
                                                            std::optional<HeldState> state,
                                                            std::size_t limit) {
  auto lease = read_pool_->acquire();
  auto select =
      WL_TRY(lease.connection().prepare("SELECT " WL_HELD_COLUMNS
                                        " FROM held_messages WHERE recipient = ?1 "
                                        "AND (?3 IS NULL OR state = ?3) ORDER BY id LIMIT ?2",
                                        "list held"));
  select.bind(1, recipient.value()).bind(2, static_cast<std::int64_t>(limit));
  if (state) {
    select.bind(3, static_cast<std::int64_t>(*state));
  } else {
    select.bind_null(3);
  }
  return all_rows<HeldMessage>(select, read_held);
}

Result<std::vector<HeldMessage>> SqliteStore::list_held_in(ThreadId thread, UserId sender,
                                                           std::size_t limit) {
  auto lease = read_pool_->acquire();
  auto select =
      WL_TRY(lease.connection().prepare("SELECT " WL_HELD_COLUMNS
                                        " FROM held_messages WHERE thread_id = ?1 AND sender = ?2 "
                                        "ORDER BY id LIMIT ?3",
                                        "list held"));
  select.bind(1, thread.value()).bind(2, sender.value()).bind(3, static_cast<std::int64_t>(limit));
  return all_rows<HeldMessage>(select, read_held);
}

Result<std::vector<Event>> detail::apply(WriteContext& context, const RecordDelivered& mutation) {
  const std::size_t first_event = context.events->size();
  Connection& connection = context.connection;
  for (EventId message_id : mutation.messages) {
    // One query decides eligibility: a message, in a thread the recipient is in,
    // from someone else, not yet delivered to them.
    auto eligible = WL_TRY(
        connection.prepare("SELECT e.org_id, e.thread_id, e.seq, e.actor FROM events e "
                           "JOIN members m ON m.thread_id = e.thread_id AND m.user_id = ?2 "
                           "WHERE e.id = ?1 AND e.kind = 1 AND e.actor != ?2 AND NOT EXISTS ("
                           "SELECT 1 FROM receipts r WHERE r.message_id = e.id AND r.user_id = ?2 "
                           "AND r.delivered_at IS NOT NULL)",
                           "record delivered"));
    eligible.bind(1, message_id.value()).bind(2, mutation.recipient.value());
    if (!WL_TRY(eligible.step())) {
      continue;
    }
    Event event = delivered_event(mutation, message_id, OrgId(eligible.column_int64(0)),
                                  ThreadId(eligible.column_int64(1)), eligible.column_int64(2),
                                  UserId(eligible.column_int64(3)));
    auto receipt = WL_TRY(connection.prepare(
        "INSERT INTO receipts (message_id, user_id, delivered_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (message_id, user_id) DO UPDATE SET delivered_at = excluded.delivered_at",
        "record delivered"));
    WL_TRY(receipt.bind(1, message_id.value())
               .bind(2, mutation.recipient.value())
               .bind(3, mutation.at)
               .run());
    WL_TRY(insert_event(context, event));
  }
  return events_since(context, first_event);
}

Result<std::optional<Event>> detail::apply(WriteContext& context, const RecordRead& mutation) {
  Connection& connection = context.connection;
  auto position = WL_TRY(connection.prepare(
      "SELECT m.read_seq, t.last_seq, t.org_id FROM members m "
      "JOIN threads t ON t.id = m.thread_id WHERE m.thread_id = ?1 AND m.user_id = ?2",
      "record read"));
  position.bind(1, mutation.thread.value()).bind(2, mutation.reader.value());
  if (!WL_TRY(position.step())) {
    return error(Code::kNotFound, "member not found");
  }
  const std::int64_t read_seq = position.column_int64(0);
  const std::int64_t target = std::min(mutation.up_to_seq, position.column_int64(1));
  const OrgId org(position.column_int64(2));
  if (target <= read_seq) {
    return std::optional<Event>();
  }
  auto move = WL_TRY(connection.prepare(
      "UPDATE members SET read_seq = ?3 WHERE thread_id = ?1 AND user_id = ?2", "record read"));
  WL_TRY(
      move.bind(1, mutation.thread.value()).bind(2, mutation.reader.value()).bind(3, target).run());
  auto receipts = WL_TRY(connection.prepare(
      "INSERT INTO receipts (message_id, user_id, delivered_at, read_at) "
      "SELECT id, ?2, ?5, ?5 FROM events "
      "WHERE thread_id = ?1 AND kind = 1 AND seq > ?3 AND seq <= ?4 AND actor != ?2 "
      "ON CONFLICT (message_id, user_id) DO UPDATE SET read_at = excluded.read_at, "
      "delivered_at = coalesce(receipts.delivered_at, excluded.delivered_at)",
      "record read"));
  WL_TRY(receipts.bind(1, mutation.thread.value())
             .bind(2, mutation.reader.value())
             .bind(3, read_seq)
             .bind(4, target)
             .bind(5, mutation.at)
             .run());
  Event event = read_mark_event(org, mutation, target);
  WL_TRY(insert_event(context, event));
  return std::optional<Event>(std::move(event));
}

Result<std::vector<Event>> detail::apply(WriteContext& context, const RouteMessage& mutation) {
  Connection& connection = context.connection;
  Event message;
  if (mutation.message.is_set()) {
    auto select = WL_TRY(connection.prepare(
        "SELECT " WL_EVENT_COLUMNS " FROM events WHERE id = ?1 AND kind = 1", "route message"));
    select.bind(1, mutation.message.value());
    message = WL_TRY(single_row<Event>(select, read_event, "message"));
    if (message.thread_id != mutation.thread) {
      return error(Code::kNotFound, "message not found");
    }
  } else {
    const Event* appended = batch_message(*context.events, mutation.thread);
    if (appended == nullptr) {
      return std::vector<Event>();
    }
    message = *appended;  // insert_event may move the batch's events.
  }
  const Thread thread = WL_TRY(load_thread(connection, mutation.thread));
  std::vector<Event> routed;
  for (const RoutedTo& to : mutation.to) {
    if (WL_TRY(org_of_user(connection, to.user)) != thread.org_id) {
      return error(Code::kNotFound, "user not found");
    }
    auto member = WL_TRY(connection.prepare(
        "SELECT 1 FROM members WHERE thread_id = ?1 AND user_id = ?2", "route message"));
    member.bind(1, thread.id.value()).bind(2, to.user.value());
    if (!WL_TRY(member.step())) {
      auto insert = WL_TRY(connection.prepare(
          "INSERT INTO members (thread_id, user_id, joined_at) VALUES (?1, ?2, ?3)",
          "route message"));
      WL_TRY(insert.bind(1, thread.id.value()).bind(2, to.user.value()).bind(3, mutation.at).run());
      // Their period opens at the message, so it is in their stream.
      WL_TRY(open_membership(connection, thread.id, to.user, message.id));
      WL_TRY(member_event(context, thread, EventKind::kMemberAdded, to.user, message.actor,
                          mutation.at));
    }
    Event event = routed_event(message, mutation, to);
    WL_TRY(insert_event(context, event));
    routed.push_back(std::move(event));
  }
  return routed;
}

Result<Event> detail::apply(WriteContext& context, const AppendScopedEvent& mutation) {
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

Result<Event> SqliteStore::find_message_by_client_token(UserId sender, std::string_view token) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_EVENT_COLUMNS " FROM events WHERE actor = ?1 AND client_id = ?2 AND kind = 1",
      "find message"));
  select.bind(1, sender.value()).bind_text(2, token);
  return single_row<Event>(select, read_event, "message");
}

Result<std::vector<Event>> SqliteStore::read_thread_routing(ThreadId thread, std::int64_t from_seq,
                                                            std::int64_t to_seq) {
  auto lease = read_pool_->acquire();
  auto select =
      WL_TRY(lease.connection().prepare("SELECT " WL_EVENT_COLUMNS
                                        " FROM events WHERE thread_id = ?1 AND kind = 13 "
                                        "AND ref_seq BETWEEN ?2 AND ?3 ORDER BY ref_seq, id",
                                        "read thread routing"));
  select.bind(1, thread.value()).bind(2, from_seq).bind(3, to_seq);
  return all_rows<Event>(select, read_event);
}

Result<Event> SqliteStore::find_event(EventId id) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_EVENT_COLUMNS " FROM events WHERE id = ?1", "find event"));
  select.bind(1, id.value());
  return single_row<Event>(select, read_event, "event");
}

Result<std::vector<Event>> SqliteStore::read_user_events(UserId user, StreamPosition after,
                                                         std::size_t limit) {
  // One writer takes ids inside its transactions, so id order is commit order and
  // every committed event is readable: the position is the id (epoch 0).
  auto lease = read_pool_->acquire();
  // Exactly the events live delivery sent the user: those of each thread inside one of
  // their membership periods, from the event that added them (or the thread's
  // creation) to the one that removed them, but of the deliveries only those of their
  // own messages and their own (with_recipients); then their own events and their
  // org's. Periods of one thread never overlap, so no event comes twice. Each part is
  // cut to the page before they are merged.
  auto select =
      WL_TRY(lease.connection().prepare(
          "SELECT " WL_EVENT_COLUMNS " FROM events WHERE id IN ("
          "SELECT id FROM (SELECT e.id FROM memberships p JOIN events e "
          "ON e.thread_id = p.thread_id "
          "WHERE p.user_id = ?2 AND e.id > ?1 AND e.id >= p.from_event "
          "AND (p.to_event IS NULL OR e.id <= p.to_event) "
          "AND (e.kind != 2 OR e.subject = ?2 OR e.actor = ?2) ORDER BY e.id LIMIT ?3) "
          "UNION ALL SELECT id FROM (SELECT id FROM events WHERE scope = 2 AND user_id = ?2 "
          "AND id > ?1 ORDER BY id LIMIT ?3) "
          "UNION ALL SELECT id FROM (SELECT id FROM events WHERE scope = 3 "
          "AND org_id = (SELECT org_id FROM users WHERE id = ?2) AND id > ?1 "
          "ORDER BY id LIMIT ?3) "
          "ORDER BY id LIMIT ?3) "
          "ORDER BY id",
          "read user events"));
  select.bind(1, after.id.value()).bind(2, user.value()).bind(3, clamp_limit(limit));
  return all_rows<Event>(select, read_event);
}

Result<StreamPosition> SqliteStore::stream_head() {
  auto lease = read_pool_->acquire();
  auto select =
      WL_TRY(lease.connection().prepare("SELECT coalesce(max(id), 0) FROM events", "stream head"));
  if (!WL_TRY(select.step())) {
    return StreamPosition{};
  }
  return StreamPosition{0, EventId(select.column_int64(0))};
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

// ---- Client ids that versions before schema 4 stored in clear ----

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

}  // namespace wl
