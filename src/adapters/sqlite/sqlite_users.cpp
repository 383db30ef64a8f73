// UserStore on SQLite: orgs and users.
#include "adapters/sqlite/sqlite_store.hpp"

#include "adapters/sqlite/detail/jobs.hpp"
#include "adapters/sqlite/detail/mutations.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/rows.hpp"

namespace wl {

using namespace detail;  // NOLINT: the adapter's own internals

// ---- Orgs and users ----

Result<Org> detail::apply(WriteContext& context, const CreateOrg& mutation) {
  auto insert = WL_TRY(context.connection.prepare(
      "INSERT INTO orgs (name, created_at) VALUES (?1, ?2)", "create org"));
  WL_TRY(insert.bind_text(1, mutation.name).bind(2, mutation.at).run());
  return Org{OrgId(context.connection.last_insert_id()), mutation.name, mutation.at};
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

Result<std::monostate> detail::apply(WriteContext& context, const SetOrgIdleLock& mutation) {
  auto update = WL_TRY(context.connection.prepare(
      "UPDATE orgs SET idle_lock_seconds = ?2 WHERE id = ?1", "set org idle lock"));
  WL_TRY(
      update.bind(1, mutation.org.value()).bind(2, std::int64_t{mutation.idle_lock.count()}).run());
  WL_TRY(expect_changed(context.connection, "org"));
  WL_TRY(insert_scoped_event(context, EventKind::kOrgChanged, mutation.org, UserId(),
                             mutation.actor, UserId(), mutation.at));
  return std::monostate();
}

Result<User> detail::apply(WriteContext& context, const CreateUser& mutation) {
  const NewUser& user = mutation.user;
  auto org = WL_TRY(context.connection.prepare("SELECT 1 FROM orgs WHERE id = ?1", "create user"));
  org.bind(1, user.org_id.value());
  if (!WL_TRY(org.step())) {
    return error(Code::kNotFound, "org not found");
  }
  auto insert = WL_TRY(context.connection.prepare(
      "INSERT INTO users (org_id, username, display_name, title, password_hash, is_admin, "
      "created_at, is_operator, is_scheduler, department) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
      "?9, ?10)",
      "create user"));
  WL_TRY(insert.bind(1, user.org_id.value())
             .bind_text(2, user.username)
             .bind_text(3, user.display_name)
             .bind_text(4, user.title)
             .bind_text(5, user.password_hash)
             .bind(6, std::int64_t{user.is_admin ? 1 : 0})
             .bind(7, user.created_at)
             .bind(8, std::int64_t{user.is_operator ? 1 : 0})
             .bind(9, std::int64_t{user.is_scheduler ? 1 : 0})
             .bind_text(10, user.department)
             .run());
  User created;
  created.id = UserId(context.connection.last_insert_id());
  created.org_id = user.org_id;
  created.username = user.username;
  created.display_name = user.display_name;
  created.title = user.title;
  created.department = user.department;
  created.password_hash = user.password_hash;
  created.is_admin = user.is_admin;
  created.is_operator = user.is_operator;
  created.is_scheduler = user.is_scheduler;
  created.created_at = user.created_at;
  WL_TRY(insert_scoped_event(context, EventKind::kUserChanged, user.org_id, UserId(),
                             mutation.actor, created.id, user.created_at));
  return created;
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

namespace {

// Runs one UPDATE of a user's row. Errors: NotFound if there is no such user.
template <typename Bind>
Result<std::monostate> update_user(WriteContext& context, const char* sql, std::string_view what,
                                   UserId user, Bind bind) {
  auto update = WL_TRY(context.connection.prepare(sql, what));
  update.bind(1, user.value());
  bind(update);
  WL_TRY(update.run());
  WL_TRY(expect_changed(context.connection, "user"));
  return std::monostate();
}

}  // namespace

Result<std::monostate> detail::apply(WriteContext& context, const SetPasswordHash& mutation) {
  return update_user(context,
                     "UPDATE users SET password_hash = ?2, failed_logins = 0, locked_until = NULL "
                     "WHERE id = ?1",
                     "set password", mutation.user,
                     [&](Statement& update) { update.bind_text(2, mutation.password_hash); });
}

Result<std::monostate> detail::apply(WriteContext& context, const SetLoginFailures& mutation) {
  return update_user(
      context, "UPDATE users SET failed_logins = ?2, locked_until = ?3 WHERE id = ?1",
      "set login failures", mutation.user, [&](Statement& update) {
        update.bind(2, std::int64_t{mutation.failed_logins}).bind(3, mutation.locked_until);
      });
}

Result<std::monostate> detail::apply(WriteContext& context, const SetUserDisabled& mutation) {
  WL_TRY(update_user(
      context, "UPDATE users SET disabled = ?2 WHERE id = ?1", "set user disabled", mutation.user,
      [&](Statement& update) { update.bind(2, std::int64_t{mutation.disabled ? 1 : 0}); }));
  const OrgId org = WL_TRY(org_of_user(context.connection, mutation.user));
  WL_TRY(insert_scoped_event(context, EventKind::kUserChanged, org, UserId(), mutation.actor,
                             mutation.user, mutation.at));
  return std::monostate();
}

Result<std::monostate> detail::apply(WriteContext& context, const SetUserOperator& mutation) {
  return update_user(context, "UPDATE users SET is_operator = ?2 WHERE id = ?1",
                     "set user operator", mutation.user, [&](Statement& update) {
                       update.bind(2, std::int64_t{mutation.is_operator ? 1 : 0});
                     });
}

Result<std::monostate> detail::apply(WriteContext& context, const SetUserScheduler& mutation) {
  WL_TRY(update_user(context, "UPDATE users SET is_scheduler = ?2 WHERE id = ?1",
                     "set user scheduler", mutation.user, [&](Statement& update) {
                       update.bind(2, std::int64_t{mutation.is_scheduler ? 1 : 0});
                     }));
  const OrgId org = WL_TRY(org_of_user(context.connection, mutation.user));
  WL_TRY(insert_scoped_event(context, EventKind::kUserChanged, org, UserId(), mutation.actor,
                             mutation.user, mutation.at));
  return std::monostate();
}

Result<std::monostate> detail::apply(WriteContext& context, const SetPinHash& mutation) {
  return update_user(context, "UPDATE users SET pin_hash = ?2 WHERE id = ?1", "set pin",
                     mutation.user,
                     [&](Statement& update) { update.bind_text_or_null(2, mutation.pin_hash); });
}

}  // namespace wl
