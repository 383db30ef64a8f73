#pragma once

// Which SQL the statements shared by both adapters are written for: SQLite numbers its
// parameters ?1, ?2, ...; PostgreSQL $1, $2, .... Internal to the adapters.
namespace wl::detail {

enum class SqlDialect { kSqlite, kPostgres };

}  // namespace wl::detail
