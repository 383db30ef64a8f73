// UserStore on SQLite: orgs and users.
#include "adapters/sqlite/sqlite_store.hpp"

#include "adapters/sqlite/detail/jobs.hpp"
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

}  // namespace wl
