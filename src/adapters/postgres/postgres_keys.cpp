// KeyStore on PostgreSQL.
#include "adapters/postgres/postgres_store.hpp"

#include <limits>

#include "adapters/postgres/detail/jobs.hpp"
#include "adapters/postgres/detail/read_pool.hpp"
#include "adapters/postgres/detail/rows.hpp"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals

// ---- Keys ----

Result<void> PostgresStore::put_data_key(const DataKeyRecord& key) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    WL_TRY(context.connection.query(
        "INSERT INTO data_keys (org_id, key_id, wrapped, created_at, destroyed) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id, key_id) DO UPDATE SET "
        "wrapped = excluded.wrapped, destroyed = excluded.destroyed",
        Params()
            .add(key.org_id)
            .add(std::int64_t{key.key_id})
            .add_bytes(key.wrapped)
            .add(key.created_at)
            .add(key.destroyed),
        "put data key"));
    return ok();
  });
}

Result<std::vector<DataKeyRecord>> PostgresStore::list_data_keys() {
  auto lease = read_pool_->acquire();
  const PgResult keys = WL_TRY(lease.connection().query(
      "SELECT org_id, key_id, wrapped, created_at, destroyed FROM data_keys "
      "ORDER BY org_id, key_id",
      "list data keys"));
  return all_rows<DataKeyRecord>(keys, [](const PgResult& row, int index) {
    const std::int64_t key_id = row.int64(index, 1);
    if (key_id < 0 || key_id > std::numeric_limits<std::uint32_t>::max()) {
      row.reject();
    }
    return DataKeyRecord{OrgId(row.int64(index, 0)), static_cast<std::uint32_t>(key_id),
                         row.bytes(index, 2), row.time(index, 3), row.boolean(index, 4)};
  });
}

Result<void> PostgresStore::rewrap_data_keys(std::span<const DataKeyRecord> keys) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    for (const DataKeyRecord& key : keys) {
      const PgResult updated = WL_TRY(context.connection.query(
          "UPDATE data_keys SET wrapped = $3 WHERE org_id = $1 AND key_id = $2",
          Params().add(key.org_id).add(std::int64_t{key.key_id}).add_bytes(key.wrapped),
          "rewrap data keys"));
      // A missing key fails the whole call: the savepoint undoes the others.
      WL_TRY(expect_changed(updated, "data key"));
    }
    return ok();
  });
}

}  // namespace wl
