// UserStore on PostgreSQL: orgs and users.
#include "adapters/postgres/postgres_store.hpp"

#include "adapters/postgres/detail/jobs.hpp"
#include "adapters/postgres/detail/mutations.hpp"
#include "adapters/postgres/detail/read_pool.hpp"
#include "adapters/postgres/detail/rows.hpp"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals

// ---- Orgs and users ----

Result<Org> detail::pg::apply(WriteContext& context, const CreateOrg& mutation) {
  const PgResult inserted = WL_TRY(context.connection.query(
      "INSERT INTO orgs (name, created_at) VALUES ($1, $2) RETURNING " WL_PG_ORG_COLUMNS,
      Params().add_text(mutation.name).add(mutation.at), "create org"));
  return single_row<Org>(inserted, read_org, "org");
}

Result<Org> PostgresStore::find_org(OrgId id) {
  auto lease = read_pool_->acquire();
  const PgResult org = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_ORG_COLUMNS " FROM orgs WHERE id = $1", Params().add(id), "find org"));
  return single_row<Org>(org, read_org, "org");
}

Result<Org> PostgresStore::find_org_by_name(std::string_view name) {
  auto lease = read_pool_->acquire();
  const PgResult org =
      WL_TRY(lease.connection().query("SELECT " WL_PG_ORG_COLUMNS " FROM orgs WHERE name = $1",
                                      Params().add_text(name), "find org"));
  return single_row<Org>(org, read_org, "org");
}

Result<std::vector<Org>> PostgresStore::list_orgs() {
  auto lease = read_pool_->acquire();
  const PgResult orgs = WL_TRY(
      lease.connection().query("SELECT " WL_PG_ORG_COLUMNS " FROM orgs ORDER BY id", "list orgs"));
  return all_rows<Org>(orgs, read_org);
}

Result<std::monostate> detail::pg::apply(WriteContext& context, const SetOrgIdleLock& mutation) {
  const PgResult updated = WL_TRY(context.connection.query(
      "UPDATE orgs SET idle_lock_seconds = $2 WHERE id = $1",
      Params().add(mutation.org).add(std::int64_t{mutation.idle_lock.count()}),
      "set org idle lock"));
  WL_TRY(expect_changed(updated, "org"));
  WL_TRY(insert_scoped_event(context, EventKind::kOrgChanged, mutation.org, UserId(),
                             mutation.actor, UserId(), mutation.at));
  return std::monostate();
}

Result<User> detail::pg::apply(WriteContext& context, const CreateUser& mutation) {
  const NewUser& user = mutation.user;
  const PgResult org = WL_TRY(context.connection.query("SELECT id FROM orgs WHERE id = $1",
                                                       Params().add(user.org_id), "create user"));
  if (org.rows() == 0) {
    return error(Code::kNotFound, "org not found");
  }
  const PgResult inserted = WL_TRY(context.connection.query(
      "INSERT INTO users (org_id, username, display_name, title, password_hash, is_admin, "
      "created_at, is_operator, is_scheduler, department) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
      "$9, $10) "
      "RETURNING " WL_PG_USER_COLUMNS,
      Params()
          .add(user.org_id)
          .add_text(user.username)
          .add_text(user.display_name)
          .add_text(user.title)
          .add_text(user.password_hash)
          .add(user.is_admin)
          .add(user.created_at)
          .add(user.is_operator)
          .add(user.is_scheduler)
          .add_text(user.department),
      "create user"));
  User created = WL_TRY(single_row<User>(inserted, read_user, "user"));
  WL_TRY(insert_scoped_event(context, EventKind::kUserChanged, user.org_id, UserId(),
                             mutation.actor, created.id, user.created_at));
  return created;
}

Result<User> PostgresStore::find_user(UserId id) {
  auto lease = read_pool_->acquire();
  const PgResult user = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_USER_COLUMNS " FROM users WHERE id = $1", Params().add(id), "find user"));
  return single_row<User>(user, read_user, "user");
}

Result<User> PostgresStore::find_user_by_name(OrgId org, std::string_view username) {
  auto lease = read_pool_->acquire();
  const PgResult user = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_USER_COLUMNS " FROM users WHERE org_id = $1 AND username = $2",
      Params().add(org).add_text(username), "find user"));
  return single_row<User>(user, read_user, "user");
}

Result<std::vector<User>> PostgresStore::list_users(OrgId org) {
  auto lease = read_pool_->acquire();
  // COLLATE "C": byte order, as the SQLite adapter sorts, whatever the database's locale.
  const PgResult users = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_USER_COLUMNS " FROM users WHERE org_id = $1 ORDER BY username COLLATE \"C\"",
      Params().add(org), "list users"));
  return all_rows<User>(users, read_user);
}

namespace {

// Runs one UPDATE of a user's row ($1 is the user's id). Errors: NotFound if there is no
// such user.
Result<std::monostate> update_user(WriteContext& context, std::string_view sql,
                                   std::string_view what, Params params) {
  const PgResult updated = WL_TRY(context.connection.query(sql, params, what));
  WL_TRY(expect_changed(updated, "user"));
  return std::monostate();
}

}  // namespace

Result<std::monostate> detail::pg::apply(WriteContext& context, const SetPasswordHash& mutation) {
  return update_user(context,
                     "UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL "
                     "WHERE id = $1",
                     "set password", Params().add(mutation.user).add_text(mutation.password_hash));
}

Result<std::monostate> detail::pg::apply(WriteContext& context, const SetLoginFailures& mutation) {
  return update_user(context,
                     "UPDATE users SET failed_logins = $2, locked_until = $3 WHERE id = $1",
                     "set login failures",
                     Params()
                         .add(mutation.user)
                         .add(std::int64_t{mutation.failed_logins})
                         .add(mutation.locked_until));
}

Result<std::monostate> detail::pg::apply(WriteContext& context, const SetUserDisabled& mutation) {
  const PgResult updated = WL_TRY(context.connection.query(
      "UPDATE users SET disabled = $2 WHERE id = $1 RETURNING org_id",
      Params().add(mutation.user).add(mutation.disabled), "set user disabled"));
  const OrgId org = WL_TRY(single_row<OrgId>(
      updated, [](const PgResult& row, int index) { return OrgId(row.int64(index, 0)); }, "user"));
  WL_TRY(insert_scoped_event(context, EventKind::kUserChanged, org, UserId(), mutation.actor,
                             mutation.user, mutation.at));
  return std::monostate();
}

Result<std::monostate> detail::pg::apply(WriteContext& context, const SetUserOperator& mutation) {
  return update_user(context, "UPDATE users SET is_operator = $2 WHERE id = $1",
                     "set user operator", Params().add(mutation.user).add(mutation.is_operator));
}

Result<std::monostate> detail::pg::apply(WriteContext& context, const SetUserScheduler& mutation) {
  const PgResult updated = WL_TRY(context.connection.query(
      "UPDATE users SET is_scheduler = $2 WHERE id = $1 RETURNING org_id",
      Params().add(mutation.user).add(mutation.is_scheduler), "set user scheduler"));
  const OrgId org = WL_TRY(single_row<OrgId>(
      updated, [](const PgResult& row, int index) { return OrgId(row.int64(index, 0)); }, "user"));
  WL_TRY(insert_scoped_event(context, EventKind::kUserChanged, org, UserId(), mutation.actor,
                             mutation.user, mutation.at));
  return std::monostate();
}

Result<std::monostate> detail::pg::apply(WriteContext& context, const SetPinHash& mutation) {
  return update_user(context, "UPDATE users SET pin_hash = $2 WHERE id = $1", "set pin",
                     Params().add(mutation.user).add_text_or_null(mutation.pin_hash));
}

}  // namespace wl
