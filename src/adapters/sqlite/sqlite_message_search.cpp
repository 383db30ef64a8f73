// Message search on SQLite (docs/search.md): the index rows a message's append writes,
// the backfill of messages sent before the index existed, and the search itself.
#include "adapters/common/message_search.hpp"
#include "adapters/sqlite/detail/mutations.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/rows.hpp"
#include "adapters/sqlite/sqlite_store.hpp"

namespace wl {

using namespace detail;  // NOLINT: the adapter's own internals

Result<void> detail::insert_search_tokens(Connection& connection, ThreadId thread, EventId message,
                                          const std::vector<std::string>& tokens) {
  for (const std::string& token : tokens) {
    auto insert = WL_TRY(connection.prepare(
        "INSERT OR IGNORE INTO message_search (token, thread_id, message_id) VALUES (?1, ?2, ?3)",
        "index message"));
    WL_TRY(insert.bind_blob(1, token).bind(2, thread.value()).bind(3, message.value()).run());
  }
  return ok();
}

Result<std::monostate> detail::apply(WriteContext& context, const IndexMessages& mutation) {
  Connection& connection = context.connection;
  // Lowering the position and writing the rows in one transaction makes the backfill
  // resumable: a crash leaves both as they were; a second node's run of the same part
  // fails here and writes nothing.
  auto move = WL_TRY(connection.prepare(
      "UPDATE message_search_backfill SET below_event = ?1 WHERE id = 1 AND below_event > ?1",
      "index messages"));
  WL_TRY(move.bind(1, mutation.below.value()).run());
  if (connection.changes() != 1) {
    return error(Code::kFailedPrecondition, "the search backfill is already past these messages");
  }
  for (const IndexedMessage& message : mutation.messages) {
    WL_TRY(
        insert_search_tokens(connection, message.thread, message.message, message.search_tokens));
  }
  return std::monostate();
}

Result<std::vector<Event>> SqliteStore::search_messages(const MessageQuery& query) {
  if (query.tokens.size() > kMaxSearchTokens) {
    return error(Code::kInvalidArgument, "too many search tokens");
  }
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      message_search_sql<SqlDialect::kSqlite>(query.tokens.size(), WL_EVENT_COLUMNS),
      "search messages"));
  select.bind(1, query.user.value())
      .bind(2, search_bound(query.before))
      .bind(3, clamp_limit(std::min<std::size_t>(query.limit, 1000)))
      .bind(4, query.patient.value());
  for (std::size_t i = 0; i < query.tokens.size(); ++i) {
    select.bind_blob(static_cast<int>(i + 5), query.tokens[i]);
  }
  return all_rows<Event>(select, read_event);
}

Result<EventId> SqliteStore::search_backfill_position() {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT below_event FROM message_search_backfill WHERE id = 1", "search backfill"));
  if (!WL_TRY(select.step())) {
    return error(Code::kDataLoss, "store: the search backfill's position is missing");
  }
  return EventId(select.column_int64(0));
}

Result<std::vector<Event>> SqliteStore::list_unindexed_messages(std::size_t limit) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_EVENT_COLUMNS
      " FROM events WHERE kind = 1 AND id < "
      "(SELECT below_event FROM message_search_backfill WHERE id = 1) ORDER BY id DESC LIMIT ?1",
      "list unindexed messages"));
  select.bind(1, clamp_limit(limit));
  return all_rows<Event>(select, read_event);
}

}  // namespace wl
