// KeyStore on SQLite.
#include "adapters/sqlite/sqlite_store.hpp"

#include "adapters/sqlite/detail/jobs.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/rows.hpp"

namespace wl {

using namespace detail;  // NOLINT: the adapter's own internals

// ---- Keys ----

Result<void> SqliteStore::put_data_key(const DataKeyRecord& key) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto upsert = WL_TRY(context.connection.prepare(
        "INSERT INTO data_keys (org_id, key_id, wrapped, created_at, destroyed) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (org_id, key_id) DO UPDATE SET "
        "wrapped = excluded.wrapped, destroyed = excluded.destroyed",
        "put data key"));
    return upsert.bind(1, key.org_id.value())
        .bind(2, std::int64_t{key.key_id})
        .bind_blob(3, key.wrapped)
        .bind(4, key.created_at)
        .bind(5, std::int64_t{key.destroyed ? 1 : 0})
        .run();
  });
}

Result<std::vector<DataKeyRecord>> SqliteStore::list_data_keys() {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT org_id, key_id, wrapped, created_at, destroyed FROM data_keys "
      "ORDER BY org_id, key_id",
      "list data keys"));
  return all_rows<DataKeyRecord>(select, [](const Statement& row) {
    return DataKeyRecord{OrgId(row.column_int64(0)),
                         static_cast<std::uint32_t>(row.column_int64(1)), row.column_bytes(2),
                         row.column_time(3), row.column_int64(4) != 0};
  });
}

Result<void> SqliteStore::rewrap_data_keys(std::span<const DataKeyRecord> keys) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    for (const DataKeyRecord& key : keys) {
      auto update = WL_TRY(context.connection.prepare(
          "UPDATE data_keys SET wrapped = ?3 WHERE org_id = ?1 AND key_id = ?2",
          "rewrap data keys"));
      WL_TRY(update.bind(1, key.org_id.value())
                 .bind(2, std::int64_t{key.key_id})
                 .bind_blob(3, key.wrapped)
                 .run());
      // A missing key fails the whole call: the savepoint undoes the others.
      WL_TRY(expect_changed(context.connection, "data key"));
    }
    return ok();
  });
}

}  // namespace wl
