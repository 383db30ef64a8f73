#pragma once

// The SQL of ProviderStore::search_providers (ports/provider_store.hpp), shared by both
// adapters: one statement per combination of the fields a query sets, so that each
// names only the conditions it tests and the planner can pick the index that fits
// (providers_by_name, providers_by_place, providers_by_taxonomy, or the NPI key). The
// statements live for the process, as the adapters' statement caches need. Internal to
// the adapters.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "adapters/common/sql_dialect.hpp"
#include "ports/provider_store.hpp"

namespace wl::detail {

// At most this many taxonomy codes in one query (the service asks for no more).
inline constexpr std::size_t kMaxQueryTaxonomies = 20;

// The columns every provider read selects, in read order.
#define WL_PROVIDER_COLUMNS                                                    \
  "npi, entity, name, name_key, credential, taxonomy, city, city_key, state, " \
  "postal_code, phone, deactivated, updated_at"

// Which fields of a query are set, as bits.
inline constexpr unsigned kByName = 1;
inline constexpr unsigned kByNpi = 2;
inline constexpr unsigned kByState = 4;
inline constexpr unsigned kByCity = 8;
inline constexpr unsigned kByTaxonomy = 16;

inline unsigned query_fields(const ProviderQuery& query) {
  unsigned fields = 0;
  fields |= query.name_prefix.empty() ? 0u : kByName;
  fields |= query.npi == 0 ? 0u : kByNpi;
  fields |= query.state.empty() ? 0u : kByState;
  fields |= query.city_key.empty() ? 0u : kByCity;
  fields |= query.taxonomies.empty() ? 0u : kByTaxonomy;
  return fields;
}

// The upper end (exclusive) of the keys that start with a folded prefix: folded keys
// hold only bytes below 0x7F.
inline std::string prefix_end(std::string_view prefix) { return std::string(prefix) + "\x7f"; }

// The SQL text of the statement for `fields`: its parameters are numbered in this
// order, each present only if its field is: name from and to (two), npi, state, city,
// then kMaxQueryTaxonomies codes (unused ones bound to NULL), and last the limit.
inline std::string build_provider_search_sql(unsigned fields, SqlDialect dialect) {
  const char placeholder = dialect == SqlDialect::kSqlite ? '?' : '$';
  int next = 1;
  auto param = [&]() { return std::string(1, placeholder) + std::to_string(next++); };
  // The field whose index drives the read: the NPI, else the name prefix, else the
  // taxonomy, else the place; a state narrows the name's or the taxonomy's read through
  // their index with the state (providers_by_state_name, providers_by_taxonomy_state).
  // SQLite has no statistics to weigh the others' indexes (it took the place index for a
  // name and a state, then sorted the whole state), so there a unary + keeps every other
  // column from being indexed; PostgreSQL's planner has statistics and is left to choose.
  const bool named = (fields & (kByName | kByNpi)) != 0;
  const bool by_taxonomy = !named && (fields & kByTaxonomy) != 0;
  const bool plain = dialect == SqlDialect::kPostgres;
  const std::string state_column = plain || (fields & kByNpi) == 0 ? "" : "+";
  const std::string city_column = plain || (!named && !by_taxonomy) ? "" : "+";
  const std::string taxonomy_column = plain || by_taxonomy ? "" : "+";
  std::string sql = "SELECT " WL_PROVIDER_COLUMNS " FROM providers WHERE ";
  sql += dialect == SqlDialect::kSqlite ? "deactivated = 0" : "NOT deactivated";
  if ((fields & kByName) != 0) {
    sql += " AND name_key >= " + param();
    sql += " AND name_key < " + param();
  }
  if ((fields & kByNpi) != 0) {
    sql += " AND npi = " + param();
  }
  if ((fields & kByState) != 0) {
    sql += " AND " + state_column + "state = " + param();
  }
  if ((fields & kByCity) != 0) {
    sql += " AND " + city_column + "city_key = " + param();
  }
  if ((fields & kByTaxonomy) != 0) {
    sql += " AND " + taxonomy_column + "taxonomy IN (";
    for (std::size_t i = 0; i < kMaxQueryTaxonomies; ++i) {
      sql += (i == 0 ? "" : ", ") + param();
    }
    sql += ")";
  }
  // Each order is one the chosen index reads in, so that LIMIT stops the read early
  // instead of sorting every match: a search by place alone answers by city, then name;
  // one by taxonomy (and place) without a name by taxonomy, then name (for several
  // codes, the index read once per code, in code order); any other by name.
  if (by_taxonomy) {
    sql += " ORDER BY taxonomy, name_key, npi";
  } else if (!named && (fields & kByState) != 0) {
    sql += " ORDER BY city_key, name_key, npi";
  } else {
    sql += " ORDER BY name_key, npi";
  }
  sql += " LIMIT " + param();
  return sql;
}

// The statement for `fields` in `dialect`, built once and kept for the process.
inline std::string_view provider_search_sql(unsigned fields, SqlDialect dialect) {
  using Table = std::array<std::string, 32>;
  auto build_all = [](SqlDialect one) {
    Table all;
    for (unsigned set = 0; set < all.size(); ++set) {
      all[set] = build_provider_search_sql(set, one);
    }
    return all;
  };
  static const Table kSqlite = build_all(SqlDialect::kSqlite);
  static const Table kPostgres = build_all(SqlDialect::kPostgres);
  return (dialect == SqlDialect::kSqlite ? kSqlite : kPostgres).at(fields & 31u);
}

// The NPI as NPPES writes it: ten digits.
inline std::string npi_text(std::int64_t npi) {
  std::string text = std::to_string(npi);
  if (text.size() < 10) {
    text.insert(0, 10 - text.size(), '0');
  }
  return text;
}

}  // namespace wl::detail
