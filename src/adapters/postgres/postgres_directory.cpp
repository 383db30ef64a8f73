// DirectoryStore on PostgreSQL: users' directory fields, org screens, directory versions.
#include "adapters/postgres/detail/jobs.hpp"
#include "adapters/postgres/detail/mutations.hpp"
#include "adapters/postgres/detail/read_pool.hpp"
#include "adapters/postgres/detail/rows.hpp"
#include "adapters/postgres/postgres_store.hpp"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals

namespace {

OrgScreen read_org_screen(const PgResult& result, int row) {
  OrgScreen screen;
  screen.org_id = OrgId(result.int64(row, 0));
  screen.version = result.int64(row, 1);
  screen.body = result.bytes(row, 2);
  screen.updated_by = UserId(result.optional_int64(row, 3).value_or(0));
  screen.updated_at = result.time(row, 4);
  return screen;
}

}  // namespace

Result<std::monostate> detail::pg::apply(WriteContext& context, const SetUserDirectory& mutation) {
  const PgResult updated = WL_TRY(context.connection.query(
      "UPDATE users SET title = $2, department = $3 WHERE id = $1 RETURNING org_id",
      Params().add(mutation.user).add_text(mutation.title).add_text(mutation.department),
      "set user directory"));
  const OrgId org = WL_TRY(single_row<OrgId>(
      updated, [](const PgResult& row, int index) { return OrgId(row.int64(index, 0)); }, "user"));
  WL_TRY(insert_scoped_event(context, EventKind::kUserChanged, org, UserId(), mutation.actor,
                             mutation.user, mutation.at));
  return std::monostate();
}

Result<OrgScreen> detail::pg::apply(WriteContext& context, const SaveOrgScreen& mutation) {
  if (mutation.expected_version < 0) {
    return error(Code::kInvalidArgument, "an org screen version is 0 or more");
  }
  const PgResult org = WL_TRY(context.connection.query(
      "SELECT id FROM orgs WHERE id = $1", Params().add(mutation.org), "save org screen"));
  if (org.rows() == 0) {
    return error(Code::kNotFound, "org not found");
  }
  // A compare-and-set on the version: the first save inserts only if there is no row,
  // a later one updates only the version it was based on. Under READ COMMITTED, an
  // UPDATE that waited for another node's save re-checks the version after it.
  const PgResult saved = WL_TRY([&]() -> Result<PgResult> {
    if (mutation.expected_version == 0) {
      return context.connection.query(
          "INSERT INTO org_screens (org_id, version, body, updated_by, updated_at) "
          "VALUES ($1, 1, $2, $3, $4) ON CONFLICT (org_id) DO NOTHING "
          "RETURNING org_id, version, body, updated_by, updated_at",
          Params()
              .add(mutation.org)
              .add_text(mutation.body)
              .add_id_or_null(mutation.actor)
              .add(mutation.at),
          "save org screen");
    }
    return context.connection.query(
        "UPDATE org_screens SET version = version + 1, body = $3, updated_by = $4, "
        "updated_at = $5 WHERE org_id = $1 AND version = $2 "
        "RETURNING org_id, version, body, updated_by, updated_at",
        Params()
            .add(mutation.org)
            .add(mutation.expected_version)
            .add_text(mutation.body)
            .add_id_or_null(mutation.actor)
            .add(mutation.at),
        "save org screen");
  }());
  if (saved.rows() == 0) {
    return error(Code::kAborted,
                 "the org screen was saved by someone else since this version: load it again");
  }
  OrgScreen screen = read_org_screen(saved, 0);
  WL_TRY(insert_scoped_event(context, EventKind::kOrgChanged, mutation.org, UserId(),
                             mutation.actor, UserId(), mutation.at));
  return screen;
}

Result<std::optional<OrgScreen>> PostgresStore::find_org_screen(OrgId org) {
  auto lease = read_pool_->acquire();
  const PgResult found = WL_TRY(lease.connection().query(
      "SELECT org_id, version, body, updated_by, updated_at FROM org_screens WHERE org_id = $1",
      Params().add(org), "find org screen"));
  if (found.rows() == 0) {
    return std::optional<OrgScreen>();
  }
  return std::optional<OrgScreen>(read_org_screen(found, 0));
}

Result<std::int64_t> PostgresStore::directory_version(OrgId org) {
  auto lease = read_pool_->acquire();
  const PgResult found =
      WL_TRY(lease.connection().query("SELECT version FROM directory_versions WHERE org_id = $1",
                                      Params().add(org), "read directory version"));
  if (found.rows() == 0) {
    return std::int64_t{0};
  }
  return found.int64(0, 0);
}

}  // namespace wl
