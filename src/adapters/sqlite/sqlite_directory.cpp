// DirectoryStore on SQLite: users' directory fields, org screens, directory versions.
#include "adapters/sqlite/detail/jobs.hpp"
#include "adapters/sqlite/detail/mutations.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/rows.hpp"
#include "adapters/sqlite/sqlite_store.hpp"

namespace wl {

using namespace detail;  // NOLINT: the adapter's own internals

namespace {

OrgScreen read_org_screen(const Statement& row) {
  OrgScreen screen;
  screen.org_id = OrgId(row.column_int64(0));
  screen.version = row.column_int64(1);
  screen.body = row.column_bytes(2);
  screen.updated_by = UserId(row.column_int64(3));  // NULL reads as 0: unset.
  screen.updated_at = row.column_time(4);
  return screen;
}

}  // namespace

Result<std::monostate> detail::apply(WriteContext& context, const SetUserDirectory& mutation) {
  auto update = WL_TRY(context.connection.prepare(
      "UPDATE users SET title = ?2, department = ?3 WHERE id = ?1", "set user directory"));
  WL_TRY(update.bind(1, mutation.user.value())
             .bind_text(2, mutation.title)
             .bind_text(3, mutation.department)
             .run());
  WL_TRY(expect_changed(context.connection, "user"));
  const OrgId org = WL_TRY(org_of_user(context.connection, mutation.user));
  WL_TRY(insert_scoped_event(context, EventKind::kUserChanged, org, UserId(), mutation.actor,
                             mutation.user, mutation.at));
  return std::monostate();
}

Result<OrgScreen> detail::apply(WriteContext& context, const SaveOrgScreen& mutation) {
  if (mutation.expected_version < 0) {
    return error(Code::kInvalidArgument, "an org screen version is 0 or more");
  }
  auto org =
      WL_TRY(context.connection.prepare("SELECT 1 FROM orgs WHERE id = ?1", "save org screen"));
  org.bind(1, mutation.org.value());
  if (!WL_TRY(org.step())) {
    return error(Code::kNotFound, "org not found");
  }
  // A compare-and-set on the version: the first save inserts only if there is no row,
  // a later one updates only the version it was based on.
  if (mutation.expected_version == 0) {
    auto insert = WL_TRY(context.connection.prepare(
        "INSERT INTO org_screens (org_id, version, body, updated_by, updated_at) "
        "VALUES (?1, 1, ?2, ?3, ?4) ON CONFLICT (org_id) DO NOTHING",
        "save org screen"));
    insert.bind(1, mutation.org.value()).bind_text(2, mutation.body);
    bind_optional_id(insert, 3, mutation.actor);
    WL_TRY(insert.bind(4, mutation.at).run());
  } else {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE org_screens SET version = version + 1, body = ?3, updated_by = ?4, "
        "updated_at = ?5 WHERE org_id = ?1 AND version = ?2",
        "save org screen"));
    update.bind(1, mutation.org.value()).bind(2, mutation.expected_version);
    update.bind_text(3, mutation.body);
    bind_optional_id(update, 4, mutation.actor);
    WL_TRY(update.bind(5, mutation.at).run());
  }
  if (context.connection.changes() == 0) {
    return error(Code::kAborted,
                 "the org screen was saved by someone else since this version: load it again");
  }
  WL_TRY(insert_scoped_event(context, EventKind::kOrgChanged, mutation.org, UserId(),
                             mutation.actor, UserId(), mutation.at));
  return OrgScreen{mutation.org, mutation.expected_version + 1, mutation.body, mutation.actor,
                   mutation.at};
}

Result<std::optional<OrgScreen>> SqliteStore::find_org_screen(OrgId org) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT org_id, version, body, updated_by, updated_at FROM org_screens WHERE org_id = ?1",
      "find org screen"));
  select.bind(1, org.value());
  if (!WL_TRY(select.step())) {
    return std::optional<OrgScreen>();
  }
  return std::optional<OrgScreen>(read_org_screen(select));
}

Result<std::int64_t> SqliteStore::directory_version(OrgId org) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT version FROM directory_versions WHERE org_id = ?1", "read directory version"));
  select.bind(1, org.value());
  if (!WL_TRY(select.step())) {
    return std::int64_t{0};
  }
  return select.column_int64(0);
}

}  // namespace wl
