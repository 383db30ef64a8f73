// SessionStore on SQLite: devices and login sessions, and their purge.
#include "adapters/sqlite/sqlite_store.hpp"

#include "adapters/sqlite/detail/checkpointer.hpp"
#include "adapters/sqlite/detail/jobs.hpp"
#include "adapters/sqlite/detail/mutations.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/rows.hpp"

namespace wl {

using namespace detail;  // NOLINT: the adapter's own internals

// ---- Devices and sessions ----

Result<Device> detail::apply(WriteContext& context, const OpenSession& mutation) {
  const Session& session = mutation.session;
  // The clear name column of schema 3 stays empty (docs/storage.md, version 4).
  auto insert_device = WL_TRY(context.connection.prepare(
      "INSERT INTO devices (user_id, name, name_sealed, created_at, last_seen) "
      "VALUES (?1, '', ?2, ?3, ?3)",
      "open session"));
  WL_TRY(insert_device.bind(1, session.user_id.value())
             .bind_blob(2, mutation.device_name_sealed)
             .bind(3, session.created_at)
             .run());
  Device device;
  device.id = DeviceId(context.connection.last_insert_id());
  device.user_id = session.user_id;
  device.name_sealed = mutation.device_name_sealed;
  device.created_at = session.created_at;
  device.last_seen = session.created_at;
  auto insert_session = WL_TRY(context.connection.prepare(
      "INSERT INTO sessions (" WL_SESSION_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
      "open session"));
  WL_TRY(insert_session.bind_blob(1, session.token_hash)
             .bind(2, session.user_id.value())
             .bind(3, device.id.value())
             .bind(4, session.created_at)
             .bind(5, session.last_used)
             .bind(6, session.expires_at)
             .bind(7, std::int64_t{session.revoked ? 1 : 0})
             .bind(8, std::int64_t{session.locked ? 1 : 0})
             .bind(9, std::int64_t{session.pin_failures})
             .run());
  const OrgId org = WL_TRY(org_of_user(context.connection, session.user_id));
  WL_TRY(insert_scoped_event(context, EventKind::kDevicesChanged, org, session.user_id,
                             session.user_id, session.user_id, session.created_at));
  return device;
}

Result<Device> SqliteStore::find_device(DeviceId id) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_DEVICE_COLUMNS " FROM devices WHERE id = ?1", "find device"));
  select.bind(1, id.value());
  return single_row<Device>(select, read_device, "device");
}

Result<std::vector<Device>> SqliteStore::list_devices(UserId user) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_DEVICE_COLUMNS " FROM devices WHERE user_id = ?1 ORDER BY id", "list devices"));
  select.bind(1, user.value());
  return all_rows<Device>(select, read_device);
}

Result<std::monostate> detail::apply(WriteContext& context, const RevokeDevice& mutation) {
  auto update = WL_TRY(context.connection.prepare(
      "UPDATE devices SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1", "revoke device"));
  WL_TRY(update.bind(1, mutation.device.value()).bind(2, mutation.at).run());
  WL_TRY(expect_changed(context.connection, "device"));
  auto sessions = WL_TRY(context.connection.prepare(
      "UPDATE sessions SET revoked = 1 WHERE device_id = ?1", "revoke device"));
  WL_TRY(sessions.bind(1, mutation.device.value()).run());
  auto owner = WL_TRY(context.connection.prepare(
      "SELECT u.id, u.org_id FROM devices d JOIN users u ON u.id = d.user_id WHERE d.id = ?1",
      "revoke device"));
  owner.bind(1, mutation.device.value());
  WL_TRY(owner.step());
  const UserId user(owner.column_int64(0));
  WL_TRY(insert_scoped_event(context, EventKind::kDevicesChanged, OrgId(owner.column_int64(1)),
                             user, mutation.actor, user, mutation.at));
  return std::monostate();
}

Result<Session> SqliteStore::find_session(std::string_view token_hash) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_SESSION_COLUMNS " FROM sessions WHERE token_hash = ?1", "find session"));
  select.bind_blob(1, token_hash);
  return single_row<Session>(select, read_session, "session");
}

namespace {

// Runs one UPDATE of a session's row (?1 is its token hash); with `seen`, also moves
// its device's last_seen up to that time. Errors: NotFound for an unknown session.
template <typename Bind>
Result<std::monostate> update_session(WriteContext& context, const char* sql, std::string_view what,
                                      std::string_view token_hash, Bind bind,
                                      std::optional<Timestamp> seen = std::nullopt) {
  auto update = WL_TRY(context.connection.prepare(sql, what));
  update.bind_blob(1, token_hash);
  bind(update);
  WL_TRY(update.run());
  WL_TRY(expect_changed(context.connection, "session"));
  if (seen) {
    auto device = WL_TRY(context.connection.prepare(
        "UPDATE devices SET last_seen = max(last_seen, ?2) "
        "WHERE id = (SELECT device_id FROM sessions WHERE token_hash = ?1)",
        what));
    WL_TRY(device.bind_blob(1, token_hash).bind(2, *seen).run());
  }
  return std::monostate();
}

}  // namespace

Result<std::monostate> detail::apply(WriteContext& context, const TouchSession& mutation) {
  return update_session(
      context, "UPDATE sessions SET last_used = ?2 WHERE token_hash = ?1", "touch session",
      mutation.token_hash, [&](Statement& update) { update.bind(2, mutation.at); }, mutation.at);
}

Result<std::monostate> detail::apply(WriteContext& context, const RevokeSession& mutation) {
  return update_session(context, "UPDATE sessions SET revoked = 1 WHERE token_hash = ?1",
                        "revoke session", mutation.token_hash, [](Statement&) {});
}

Result<std::monostate> detail::apply(WriteContext& context, const LockSession& mutation) {
  return update_session(context, "UPDATE sessions SET locked = 1 WHERE token_hash = ?1",
                        "lock session", mutation.token_hash, [](Statement&) {});
}

Result<std::monostate> detail::apply(WriteContext& context, const UnlockSession& mutation) {
  return update_session(
      context,
      "UPDATE sessions SET locked = 0, pin_failures = 0, last_used = ?2 WHERE token_hash = ?1",
      "unlock session", mutation.token_hash,
      [&](Statement& update) { update.bind(2, mutation.at); }, mutation.at);
}

Result<std::monostate> detail::apply(WriteContext& context, const SetSessionPinFailures& mutation) {
  return update_session(context, "UPDATE sessions SET pin_failures = ?2 WHERE token_hash = ?1",
                        "set pin failures", mutation.token_hash, [&](Statement& update) {
                          update.bind(2, std::int64_t{mutation.failures});
                        });
}

Result<std::int64_t> detail::apply(WriteContext& context, const PurgeSessions& mutation) {
  auto purge = WL_TRY(
      context.connection.prepare("DELETE FROM sessions WHERE expires_at < ?1", "purge sessions"));
  WL_TRY(purge.bind(1, mutation.expired_before).run());
  return static_cast<std::int64_t>(context.connection.changes());
}

// ---- Device names that versions before schema 4 stored in clear ----

Result<std::vector<DeviceNameInClear>> SqliteStore::list_device_names_in_clear(DeviceId after,
                                                                               std::size_t limit) {
  auto lease = read_pool_->acquire();
  // Served by the partial index devices_named_in_clear, empty once all are sealed.
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT d.id, u.org_id, d.user_id, d.created_at, d.name FROM devices d "
      "JOIN users u ON u.id = d.user_id WHERE d.name_sealed IS NULL AND d.id > ?1 "
      "ORDER BY d.id LIMIT ?2",
      "list device names in clear"));
  select.bind(1, after.value()).bind(2, clamp_limit(limit));
  return all_rows<DeviceNameInClear>(select, [](const Statement& row) {
    return DeviceNameInClear{DeviceId(row.column_int64(0)), OrgId(row.column_int64(1)),
                             UserId(row.column_int64(2)), row.column_time(3), row.column_bytes(4)};
  });
}

Result<void> SqliteStore::seal_device_names(std::span<const SealedDeviceName> names) {
  WL_TRY(write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    for (const SealedDeviceName& name : names) {
      auto update = WL_TRY(context.connection.prepare(
          "UPDATE devices SET name = '', name_sealed = ?2 WHERE id = ?1 AND name_sealed IS NULL",
          "seal device names"));
      WL_TRY(update.bind(1, name.id.value()).bind_blob(2, name.name_sealed).run());
      // A device missing or already sealed fails the whole call: the savepoint undoes
      // the others.
      WL_TRY(expect_changed(context.connection, "device name in clear"));
    }
    return ok();
  }));
  // secure_delete zeroed the bytes the update freed in the new page images, but the
  // old images, with the clear names, are still in the database file and maybe in the
  // WAL: copying the new pages over them and emptying the WAL leaves the names nowhere.
  return checkpointer_->truncate();
}

}  // namespace wl
