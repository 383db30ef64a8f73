// IdentityStore on SQLite: orgs, users, devices and sessions.
#include "adapters/sqlite/sqlite_store.hpp"

#include "adapters/sqlite/detail/checkpointer.hpp"
#include "adapters/sqlite/detail/jobs.hpp"
#include "adapters/sqlite/detail/mutations.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/rows.hpp"

namespace wl {

using namespace detail;  // NOLINT: the adapter's own internals

// ---- Orgs and users ----

Result<Org> SqliteStore::create_org(std::string_view name, Timestamp now) {
  return write<Org>(nullptr, [&](WriteContext& context) -> Result<Org> {
    auto insert = WL_TRY(context.connection.prepare(
        "INSERT INTO orgs (name, created_at) VALUES (?1, ?2)", "create org"));
    WL_TRY(insert.bind_text(1, name).bind(2, now).run());
    return Org{OrgId(context.connection.last_insert_id()), std::string(name), now};
  });
}

Result<Org> SqliteStore::find_org(OrgId id) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(
      lease.connection().prepare("SELECT " WL_ORG_COLUMNS " FROM orgs WHERE id = ?1", "find org"));
  select.bind(1, id.value());
  return single_row<Org>(select, read_org, "org");
}

Result<Org> SqliteStore::find_org_by_name(std::string_view name) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_ORG_COLUMNS " FROM orgs WHERE name = ?1", "find org"));
  select.bind_text(1, name);
  return single_row<Org>(select, read_org, "org");
}

Result<std::vector<Org>> SqliteStore::list_orgs() {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(
      lease.connection().prepare("SELECT " WL_ORG_COLUMNS " FROM orgs ORDER BY id", "list orgs"));
  return all_rows<Org>(select, read_org);
}

Result<void> SqliteStore::set_org_idle_lock(OrgId id, std::chrono::seconds idle_lock) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE orgs SET idle_lock_seconds = ?2 WHERE id = ?1", "set org idle lock"));
    WL_TRY(update.bind(1, id.value()).bind(2, std::int64_t{idle_lock.count()}).run());
    return expect_changed(context.connection, "org");
  });
}

Result<User> SqliteStore::create_user(const NewUser& user) {
  return write<User>(nullptr, [&](WriteContext& context) -> Result<User> {
    auto org =
        WL_TRY(context.connection.prepare("SELECT 1 FROM orgs WHERE id = ?1", "create user"));
    org.bind(1, user.org_id.value());
    if (!WL_TRY(org.step())) {
      return error(Code::kNotFound, "org not found");
    }
    auto insert = WL_TRY(context.connection.prepare(
        "INSERT INTO users (org_id, username, display_name, title, password_hash, is_admin, "
        "created_at, is_operator) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        "create user"));
    WL_TRY(insert.bind(1, user.org_id.value())
               .bind_text(2, user.username)
               .bind_text(3, user.display_name)
               .bind_text(4, user.title)
               .bind_text(5, user.password_hash)
               .bind(6, std::int64_t{user.is_admin ? 1 : 0})
               .bind(7, user.created_at)
               .bind(8, std::int64_t{user.is_operator ? 1 : 0})
               .run());
    User created;
    created.id = UserId(context.connection.last_insert_id());
    created.org_id = user.org_id;
    created.username = user.username;
    created.display_name = user.display_name;
    created.title = user.title;
    created.password_hash = user.password_hash;
    created.is_admin = user.is_admin;
    created.is_operator = user.is_operator;
    created.created_at = user.created_at;
    return created;
  });
}

Result<User> SqliteStore::find_user(UserId id) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_USER_COLUMNS " FROM users WHERE id = ?1", "find user"));
  select.bind(1, id.value());
  return single_row<User>(select, read_user, "user");
}

Result<User> SqliteStore::find_user_by_name(OrgId org, std::string_view username) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_USER_COLUMNS " FROM users WHERE org_id = ?1 AND username = ?2", "find user"));
  select.bind(1, org.value()).bind_text(2, username);
  return single_row<User>(select, read_user, "user");
}

Result<std::vector<User>> SqliteStore::list_users(OrgId org) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_USER_COLUMNS " FROM users WHERE org_id = ?1 ORDER BY username", "list users"));
  select.bind(1, org.value());
  return all_rows<User>(select, read_user);
}

Result<void> SqliteStore::set_password_hash(UserId id, std::string_view password_hash) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE users SET password_hash = ?2, failed_logins = 0, locked_until = NULL "
        "WHERE id = ?1",
        "set password"));
    WL_TRY(update.bind(1, id.value()).bind_text(2, password_hash).run());
    return expect_changed(context.connection, "user");
  });
}

Result<void> SqliteStore::set_login_failures(UserId id, int failed_logins,
                                             std::optional<Timestamp> locked_until) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE users SET failed_logins = ?2, locked_until = ?3 WHERE id = ?1",
        "set login failures"));
    WL_TRY(update.bind(1, id.value())
               .bind(2, std::int64_t{failed_logins})
               .bind(3, locked_until)
               .run());
    return expect_changed(context.connection, "user");
  });
}

Result<void> SqliteStore::set_user_disabled(UserId id, bool disabled) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare("UPDATE users SET disabled = ?2 WHERE id = ?1",
                                                    "set user disabled"));
    WL_TRY(update.bind(1, id.value()).bind(2, std::int64_t{disabled ? 1 : 0}).run());
    return expect_changed(context.connection, "user");
  });
}

Result<void> SqliteStore::set_user_operator(UserId id, bool is_operator) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE users SET is_operator = ?2 WHERE id = ?1", "set user operator"));
    WL_TRY(update.bind(1, id.value()).bind(2, std::int64_t{is_operator ? 1 : 0}).run());
    return expect_changed(context.connection, "user");
  });
}

Result<void> SqliteStore::set_pin_hash(UserId id, std::string_view pin_hash) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(
        context.connection.prepare("UPDATE users SET pin_hash = ?2 WHERE id = ?1", "set pin"));
    WL_TRY(update.bind(1, id.value()).bind_text_or_null(2, pin_hash).run());
    return expect_changed(context.connection, "user");
  });
}

// ---- Devices and sessions ----

Result<Device> SqliteStore::create_device(UserId user, std::string_view name_sealed,
                                          Timestamp now) {
  return write<Device>(nullptr, [&](WriteContext& context) -> Result<Device> {
    // The clear name column of schema 3 stays empty (docs/storage.md, version 4).
    auto insert = WL_TRY(context.connection.prepare(
        "INSERT INTO devices (user_id, name, name_sealed, created_at, last_seen) "
        "VALUES (?1, '', ?2, ?3, ?3)",
        "create device"));
    WL_TRY(insert.bind(1, user.value()).bind_blob(2, name_sealed).bind(3, now).run());
    Device device;
    device.id = DeviceId(context.connection.last_insert_id());
    device.user_id = user;
    device.name_sealed = std::string(name_sealed);
    device.created_at = now;
    device.last_seen = now;
    return device;
  });
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

Result<void> SqliteStore::revoke_device(DeviceId id, Timestamp now) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE devices SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1", "revoke device"));
    WL_TRY(update.bind(1, id.value()).bind(2, now).run());
    WL_TRY(expect_changed(context.connection, "device"));
    auto sessions = WL_TRY(context.connection.prepare(
        "UPDATE sessions SET revoked = 1 WHERE device_id = ?1", "revoke device"));
    WL_TRY(sessions.bind(1, id.value()).run());
    return ok();
  });
}

Result<void> SqliteStore::create_session(const Session& session) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto insert = WL_TRY(context.connection.prepare("INSERT INTO sessions (" WL_SESSION_COLUMNS
                                                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                                    "create session"));
    return insert.bind_blob(1, session.token_hash)
        .bind(2, session.user_id.value())
        .bind(3, session.device_id.value())
        .bind(4, session.created_at)
        .bind(5, session.last_used)
        .bind(6, session.expires_at)
        .bind(7, std::int64_t{session.revoked ? 1 : 0})
        .bind(8, std::int64_t{session.locked ? 1 : 0})
        .bind(9, std::int64_t{session.pin_failures})
        .run();
  });
}

Result<Session> SqliteStore::find_session(std::string_view token_hash) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_SESSION_COLUMNS " FROM sessions WHERE token_hash = ?1", "find session"));
  select.bind_blob(1, token_hash);
  return single_row<Session>(select, read_session, "session");
}

Result<void> SqliteStore::touch_session(std::string_view token_hash, Timestamp now) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE sessions SET last_used = ?2 WHERE token_hash = ?1", "touch session"));
    WL_TRY(update.bind_blob(1, token_hash).bind(2, now).run());
    WL_TRY(expect_changed(context.connection, "session"));
    auto device = WL_TRY(context.connection.prepare(
        "UPDATE devices SET last_seen = max(last_seen, ?2) "
        "WHERE id = (SELECT device_id FROM sessions WHERE token_hash = ?1)",
        "touch session"));
    return device.bind_blob(1, token_hash).bind(2, now).run();
  });
}

Result<void> SqliteStore::revoke_session(std::string_view token_hash) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE sessions SET revoked = 1 WHERE token_hash = ?1", "revoke session"));
    WL_TRY(update.bind_blob(1, token_hash).run());
    return expect_changed(context.connection, "session");
  });
}

Result<void> SqliteStore::lock_session(std::string_view token_hash) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE sessions SET locked = 1 WHERE token_hash = ?1", "lock session"));
    WL_TRY(update.bind_blob(1, token_hash).run());
    return expect_changed(context.connection, "session");
  });
}

Result<void> SqliteStore::unlock_session(std::string_view token_hash, Timestamp now) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE sessions SET locked = 0, pin_failures = 0, last_used = ?2 WHERE token_hash = ?1",
        "unlock session"));
    WL_TRY(update.bind_blob(1, token_hash).bind(2, now).run());
    WL_TRY(expect_changed(context.connection, "session"));
    auto device = WL_TRY(context.connection.prepare(
        "UPDATE devices SET last_seen = max(last_seen, ?2) "
        "WHERE id = (SELECT device_id FROM sessions WHERE token_hash = ?1)",
        "unlock session"));
    return device.bind_blob(1, token_hash).bind(2, now).run();
  });
}

Result<void> SqliteStore::set_session_pin_failures(std::string_view token_hash, int failures) {
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE sessions SET pin_failures = ?2 WHERE token_hash = ?1", "set pin failures"));
    WL_TRY(update.bind_blob(1, token_hash).bind(2, std::int64_t{failures}).run());
    return expect_changed(context.connection, "session");
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
