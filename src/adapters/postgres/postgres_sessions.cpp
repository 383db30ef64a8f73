// SessionStore on PostgreSQL: devices and login sessions, and their purge.
#include "adapters/postgres/postgres_store.hpp"

#include "adapters/postgres/detail/jobs.hpp"
#include "adapters/postgres/detail/mutations.hpp"
#include "adapters/postgres/detail/read_pool.hpp"
#include "adapters/postgres/detail/rows.hpp"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals

// ---- Devices and sessions ----

Result<Device> detail::pg::apply(WriteContext& context, const OpenSession& mutation) {
  const Session& session = mutation.session;
  const PgResult device_row = WL_TRY(context.connection.query(
      "INSERT INTO devices (user_id, name_sealed, created_at, last_seen) "
      "VALUES ($1, $2, $3, $3) RETURNING " WL_PG_DEVICE_COLUMNS,
      Params().add(session.user_id).add_bytes(mutation.device_name_sealed).add(session.created_at),
      "open session"));
  Device device = WL_TRY(single_row<Device>(device_row, read_device, "device"));
  WL_TRY(context.connection.query("INSERT INTO sessions (" WL_PG_SESSION_COLUMNS
                                  ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                                  Params()
                                      .add_bytes(session.token_hash)
                                      .add(session.user_id)
                                      .add(device.id)
                                      .add(session.created_at)
                                      .add(session.last_used)
                                      .add(session.expires_at)
                                      .add(session.revoked)
                                      .add(session.locked)
                                      .add(std::int64_t{session.pin_failures}),
                                  "open session"));
  const OrgId org = WL_TRY(org_of_user(context.connection, session.user_id));
  WL_TRY(insert_scoped_event(context, EventKind::kDevicesChanged, org, session.user_id,
                             session.user_id, session.user_id, session.created_at));
  return device;
}

Result<Device> PostgresStore::find_device(DeviceId id) {
  auto lease = read_pool_->acquire();
  const PgResult device =
      WL_TRY(lease.connection().query("SELECT " WL_PG_DEVICE_COLUMNS " FROM devices WHERE id = $1",
                                      Params().add(id), "find device"));
  return single_row<Device>(device, read_device, "device");
}

Result<std::vector<Device>> PostgresStore::list_devices(UserId user) {
  auto lease = read_pool_->acquire();
  const PgResult devices = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_DEVICE_COLUMNS " FROM devices WHERE user_id = $1 ORDER BY id",
      Params().add(user), "list devices"));
  return all_rows<Device>(devices, read_device);
}

Result<std::monostate> detail::pg::apply(WriteContext& context, const RevokeDevice& mutation) {
  const PgResult updated = WL_TRY(context.connection.query(
      "UPDATE devices SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 RETURNING user_id",
      Params().add(mutation.device).add(mutation.at), "revoke device"));
  const UserId user = WL_TRY(single_row<UserId>(
      updated, [](const PgResult& row, int index) { return UserId(row.int64(index, 0)); },
      "device"));
  WL_TRY(context.connection.query("UPDATE sessions SET revoked = true WHERE device_id = $1",
                                  Params().add(mutation.device), "revoke device"));
  const OrgId org = WL_TRY(org_of_user(context.connection, user));
  WL_TRY(insert_scoped_event(context, EventKind::kDevicesChanged, org, user, mutation.actor, user,
                             mutation.at));
  return std::monostate();
}

Result<Session> PostgresStore::find_session(std::string_view token_hash) {
  auto lease = read_pool_->acquire();
  const PgResult session = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_SESSION_COLUMNS " FROM sessions WHERE token_hash = $1",
      Params().add_bytes(token_hash), "find session"));
  return single_row<Session>(session, read_session, "session");
}

namespace {

// Runs one UPDATE of a session's row ($1 is its token hash); with `seen`, also moves
// its device's last_seen up to that time. Errors: NotFound for an unknown session.
Result<std::monostate> update_session(WriteContext& context, std::string_view sql,
                                      std::string_view what, std::string_view token_hash,
                                      Params params, std::optional<Timestamp> seen = std::nullopt) {
  const PgResult updated = WL_TRY(context.connection.query(sql, params, what));
  WL_TRY(expect_changed(updated, "session"));
  if (seen) {
    WL_TRY(context.connection.query(
        "UPDATE devices SET last_seen = greatest(last_seen, $2) "
        "WHERE id = (SELECT device_id FROM sessions WHERE token_hash = $1)",
        Params().add_bytes(token_hash).add(*seen), what));
  }
  return std::monostate();
}

}  // namespace

Result<std::monostate> detail::pg::apply(WriteContext& context, const TouchSession& mutation) {
  return update_session(context, "UPDATE sessions SET last_used = $2 WHERE token_hash = $1",
                        "touch session", mutation.token_hash,
                        Params().add_bytes(mutation.token_hash).add(mutation.at), mutation.at);
}

Result<std::monostate> detail::pg::apply(WriteContext& context, const RevokeSession& mutation) {
  return update_session(context, "UPDATE sessions SET revoked = true WHERE token_hash = $1",
                        "revoke session", mutation.token_hash,
                        Params().add_bytes(mutation.token_hash));
}

Result<std::monostate> detail::pg::apply(WriteContext& context, const LockSession& mutation) {
  return update_session(context, "UPDATE sessions SET locked = true WHERE token_hash = $1",
                        "lock session", mutation.token_hash,
                        Params().add_bytes(mutation.token_hash));
}

Result<std::monostate> detail::pg::apply(WriteContext& context, const UnlockSession& mutation) {
  return update_session(
      context,
      "UPDATE sessions SET locked = false, pin_failures = 0, last_used = $2 WHERE token_hash = $1",
      "unlock session", mutation.token_hash,
      Params().add_bytes(mutation.token_hash).add(mutation.at), mutation.at);
}

Result<std::monostate> detail::pg::apply(WriteContext& context,
                                         const SetSessionPinFailures& mutation) {
  return update_session(
      context, "UPDATE sessions SET pin_failures = $2 WHERE token_hash = $1", "set pin failures",
      mutation.token_hash,
      Params().add_bytes(mutation.token_hash).add(std::int64_t{mutation.failures}));
}

Result<std::int64_t> detail::pg::apply(WriteContext& context, const PurgeSessions& mutation) {
  const PgResult purged =
      WL_TRY(context.connection.query("DELETE FROM sessions WHERE expires_at < $1",
                                      Params().add(mutation.expired_before), "purge sessions"));
  const std::int64_t count = purged.affected();
  WL_TRY(purged.check());
  return count;
}

// ---- Device names that versions before schema 4 stored in clear ----
//
// The SQLite adapter's schema 4 sealed device names; this adapter's schema was sealed
// from its first version, so no name is ever in clear here.

Result<std::vector<DeviceNameInClear>> PostgresStore::list_device_names_in_clear(
    DeviceId /*after*/, std::size_t /*limit*/) {
  return std::vector<DeviceNameInClear>();
}

Result<void> PostgresStore::seal_device_names(std::span<const SealedDeviceName> names) {
  if (!names.empty()) {
    return error(Code::kNotFound, "device name in clear not found");
  }
  return ok();
}

}  // namespace wl
