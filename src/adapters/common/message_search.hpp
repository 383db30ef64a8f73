#pragma once

// The SQL of MessageLog::search_messages (ports/message_log.hpp, docs/search.md), shared
// by both adapters: one statement per number of query tokens, built once and kept for
// the process, as the adapters' statement caches need. Internal to the adapters.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "adapters/common/sql_dialect.hpp"
#include "core/ids.hpp"

namespace wl::detail {

// At most this many tokens in one query (the service asks for no more).
inline constexpr std::size_t kMaxSearchTokens = 8;

// The SQL text for `tokens` tokens, selecting `columns` of the events found. Parameters:
// 1 the user, 2 the id bound (exclusive), 3 the limit, 4 the patient (0: any), then one
// per token.
//
// The read starts from the user's threads (memberships' primary key), about the patient
// if one is named; in each it reads the first token's range of the index (token,
// thread_id, message_id), or the thread's messages (events_by_thread) when there are no
// tokens; keeps the messages of a period the user may see (an open one: the whole
// thread, as its history shows a member; a closed one: from the event that added them
// to the one that removed them); and checks the other tokens by key.
inline std::string build_message_search_sql(std::size_t tokens, SqlDialect dialect,
                                            std::string_view columns) {
  const char placeholder = dialect == SqlDialect::kSqlite ? '?' : '$';
  auto param = [&](std::size_t number) {
    return std::string(1, placeholder) + std::to_string(number);
  };
  const std::string id = tokens == 0 ? "w.id" : "w.message_id";
  std::string sql =
      "SELECT " + std::string(columns) + " FROM events WHERE id IN (SELECT " + id +
      " FROM (SELECT DISTINCT m.thread_id FROM memberships m WHERE m.user_id = " + param(1) +
      " AND (" + param(4) +
      " = 0 OR m.thread_id IN (SELECT t.id FROM threads t WHERE t.patient_id = " + param(4) +
      "))) v JOIN ";
  if (tokens == 0) {
    sql += "events w ON w.thread_id = v.thread_id AND w.kind = 1 AND w.id < " + param(2);
  } else {
    sql += "message_search w ON w.token = " + param(5) +
           " AND w.thread_id = v.thread_id AND w.message_id < " + param(2);
  }
  sql += " WHERE EXISTS (SELECT 1 FROM memberships p WHERE p.user_id = " + param(1) +
         " AND p.thread_id = w.thread_id AND (p.to_event IS NULL OR (" + id +
         " >= p.from_event AND " + id + " <= p.to_event)))";
  for (std::size_t i = 1; i < tokens; ++i) {
    sql += " AND EXISTS (SELECT 1 FROM message_search x WHERE x.token = " + param(5 + i) +
           " AND x.thread_id = w.thread_id AND x.message_id = w.message_id)";
  }
  sql += " ORDER BY " + id + " DESC LIMIT " + param(3) + ") ORDER BY id DESC";
  return sql;
}

// The statement for `tokens` tokens (at most kMaxSearchTokens) in `dialect`.
template <SqlDialect kDialect>
std::string_view message_search_sql(std::size_t tokens, std::string_view columns) {
  using Table = std::array<std::string, kMaxSearchTokens + 1>;
  static const Table kTable = [columns] {
    Table all;
    for (std::size_t count = 0; count < all.size(); ++count) {
      all[count] = build_message_search_sql(count, kDialect, columns);
    }
    return all;
  }();
  return kTable.at(tokens);
}

// The id bound of a query: its `before`, or none.
inline std::int64_t search_bound(EventId before) {
  return before.is_set() ? before.value() : std::numeric_limits<std::int64_t>::max();
}

}  // namespace wl::detail
