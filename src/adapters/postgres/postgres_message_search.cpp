// Message search on PostgreSQL (docs/search.md): the index rows a message's append
// writes, the backfill of messages sent before the index existed, and the search itself.
#include "adapters/common/message_search.hpp"
#include "adapters/postgres/detail/mutations.hpp"
#include "adapters/postgres/detail/read_pool.hpp"
#include "adapters/postgres/detail/rows.hpp"
#include "adapters/postgres/postgres_store.hpp"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals

Result<void> detail::pg::insert_search_tokens(PgConnection& connection, ThreadId thread,
                                              EventId message,
                                              const std::vector<std::string>& tokens) {
  // Deferred: sent in one round trip with the append's other writes.
  for (const std::string& token : tokens) {
    connection.defer(
        "INSERT INTO message_search (token, thread_id, message_id) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING",
        Params().add_bytes(token).add(thread).add(message), "index message");
  }
  return ok();
}

Result<std::monostate> detail::pg::apply(WriteContext& context, const IndexMessages& mutation) {
  PgConnection& connection = context.connection;
  // Lowering the position and writing the rows in one transaction makes the backfill
  // resumable: a crash leaves both as they were; a second node's run of the same part
  // fails here and writes nothing.
  const PgResult moved = WL_TRY(connection.query(
      "UPDATE message_search_backfill SET below_event = $1 WHERE id = 1 AND below_event > $1",
      Params().add(mutation.below), "index messages"));
  if (moved.affected() != 1) {
    return error(Code::kFailedPrecondition, "the search backfill is already past these messages");
  }
  for (const IndexedMessage& message : mutation.messages) {
    WL_TRY(
        insert_search_tokens(connection, message.thread, message.message, message.search_tokens));
  }
  return std::monostate();
}

Result<std::vector<Event>> PostgresStore::search_messages(const MessageQuery& query) {
  if (query.tokens.size() > detail::kMaxSearchTokens) {
    return error(Code::kInvalidArgument, "too many search tokens");
  }
  Params params;
  params.add(query.user)
      .add(detail::search_bound(query.before))
      .add(clamp_limit(std::min<std::size_t>(query.limit, 1000)))
      .add(query.patient.value());
  for (const std::string& token : query.tokens) {
    params.add_bytes(token);
  }
  auto lease = read_pool_->acquire();
  const PgResult found =
      WL_TRY(lease.connection().query(detail::message_search_sql<detail::SqlDialect::kPostgres>(
                                          query.tokens.size(), WL_PG_EVENT_COLUMNS),
                                      params, "search messages"));
  return all_rows<Event>(found, read_event);
}

Result<EventId> PostgresStore::search_backfill_position() {
  auto lease = read_pool_->acquire();
  const PgResult found = WL_TRY(lease.connection().query(
      "SELECT below_event FROM message_search_backfill WHERE id = 1", "search backfill"));
  if (found.rows() != 1) {
    return error(Code::kDataLoss, "store: the search backfill's position is missing");
  }
  const EventId position(found.int64(0, 0));
  WL_TRY(found.check());
  return position;
}

Result<std::vector<Event>> PostgresStore::list_unindexed_messages(std::size_t limit) {
  auto lease = read_pool_->acquire();
  const PgResult found = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_EVENT_COLUMNS
      " FROM events WHERE kind = 1 AND id < "
      "(SELECT below_event FROM message_search_backfill WHERE id = 1) ORDER BY id DESC LIMIT $1",
      Params().add(clamp_limit(limit)), "list unindexed messages"));
  return all_rows<Event>(found, read_event);
}

}  // namespace wl
