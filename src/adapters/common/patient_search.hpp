#pragma once

// The SQL of PatientStore::search_inpatients (ports/patient_store.hpp), shared by both
// adapters: one statement per number of tokens, built once and kept for the process,
// since the adapters' statement caches key on the statement's text without copying it.
// Internal to the adapters.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "adapters/common/sql_dialect.hpp"

namespace wl::detail {

// At most this many tokens in one search (the service asks for no more than 5).
inline constexpr std::size_t kMaxInpatientSearchTokens = 8;

// The org's current inpatients (a visit in state admitted) that hold every token, by id:
// parameter 1 the org, 2 the limit, 3 on the tokens. `columns` are the patient columns
// the adapter reads.
inline std::string build_inpatient_search_sql(std::string_view columns, std::size_t tokens,
                                              SqlDialect dialect) {
  const std::string mark = dialect == SqlDialect::kSqlite ? "?" : "$";
  std::string sql = "SELECT " + std::string(columns) + " FROM patients p WHERE p.org_id = " + mark +
                    "1 AND p.merged_into IS NULL AND EXISTS (SELECT 1 FROM encounters e " +
                    "WHERE e.org_id = " + mark + "1 AND e.patient_id = p.id AND e.state = 2)";
  for (std::size_t i = 0; i < tokens; ++i) {
    sql += " AND EXISTS (SELECT 1 FROM patient_search s WHERE s.org_id = " + mark +
           "1 AND s.token = " + mark + std::to_string(i + 3) + " AND s.patient_id = p.id)";
  }
  return sql + " ORDER BY p.id LIMIT " + mark + "2";
}

// The statement for `tokens` (at most kMaxInpatientSearchTokens), built once.
inline std::string_view inpatient_search_sql(std::string_view columns, std::size_t tokens,
                                             SqlDialect dialect) {
  using Table = std::array<std::string, kMaxInpatientSearchTokens + 1>;
  auto build_all = [columns](SqlDialect one) {
    Table all;
    for (std::size_t count = 0; count < all.size(); ++count) {
      all[count] = build_inpatient_search_sql(columns, count, one);
    }
    return all;
  };
  static const Table kSqlite = build_all(SqlDialect::kSqlite);
  static const Table kPostgres = build_all(SqlDialect::kPostgres);
  return (dialect == SqlDialect::kSqlite ? kSqlite : kPostgres).at(tokens);
}

}  // namespace wl::detail
