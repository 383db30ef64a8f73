// PhoneStore on PostgreSQL: users' call-back numbers and who shares a thread with whom.
#include "adapters/postgres/detail/jobs.hpp"
#include "adapters/postgres/detail/mutations.hpp"
#include "adapters/postgres/detail/read_pool.hpp"
#include "adapters/postgres/detail/rows.hpp"
#include "adapters/postgres/postgres_store.hpp"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals

namespace {

StoredPhone read_phone(const PgResult& result, int row) {
  StoredPhone phone;
  phone.user_id = UserId(result.int64(row, 0));
  phone.kind = static_cast<PhoneKind>(result.int64(row, 1));
  phone.number_sealed = result.bytes(row, 2);
  phone.visibility = static_cast<PhoneVisibility>(result.int64(row, 3));
  phone.preferred = result.boolean(row, 4);
  return phone;
}

}  // namespace

Result<std::monostate> detail::pg::apply(WriteContext& context, const SetUserPhones& mutation) {
  // The user's row lock orders two nodes replacing one user's numbers at once.
  const PgResult user =
      WL_TRY(context.connection.query("SELECT org_id FROM users WHERE id = $1 FOR NO KEY UPDATE",
                                      Params().add(mutation.user), "set user phones"));
  const OrgId org = WL_TRY(single_row<OrgId>(
      user, [](const PgResult& row, int index) { return OrgId(row.int64(index, 0)); }, "user"));
  WL_TRY(context.connection.query("DELETE FROM user_phones WHERE user_id = $1",
                                  Params().add(mutation.user), "set user phones"));
  for (const StoredPhone& phone : mutation.phones) {
    if (phone.user_id != mutation.user) {
      return error(Code::kInvalidArgument, "a number of another user");
    }
    const PgResult inserted = WL_TRY(context.connection.query(
        "INSERT INTO user_phones (user_id, kind, number_sealed, visibility, preferred) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, kind) DO NOTHING RETURNING kind",
        Params()
            .add(mutation.user)
            .add(static_cast<std::int64_t>(phone.kind))
            .add_bytes(phone.number_sealed)
            .add(static_cast<std::int64_t>(phone.visibility))
            .add(phone.preferred),
        "set user phones"));
    if (inserted.rows() == 0) {
      return error(Code::kInvalidArgument, "two numbers of one kind");
    }
  }
  WL_TRY(insert_scoped_event(context, EventKind::kUserChanged, org, UserId(), mutation.actor,
                             mutation.user, mutation.at));
  return std::monostate();
}

Result<std::vector<StoredPhone>> PostgresStore::list_user_phones(UserId user) {
  auto lease = read_pool_->acquire();
  const PgResult found = WL_TRY(lease.connection().query(
      "SELECT user_id, kind, number_sealed, visibility, preferred FROM user_phones "
      "WHERE user_id = $1 ORDER BY kind",
      Params().add(user), "list user phones"));
  return all_rows<StoredPhone>(found, read_phone);
}

Result<std::vector<StoredPhone>> PostgresStore::list_org_phones(OrgId org) {
  auto lease = read_pool_->acquire();
  const PgResult found = WL_TRY(lease.connection().query(
      "SELECT p.user_id, p.kind, p.number_sealed, p.visibility, p.preferred FROM user_phones p "
      "JOIN users u ON u.id = p.user_id WHERE u.org_id = $1 ORDER BY p.user_id, p.kind",
      Params().add(org), "list org phones"));
  return all_rows<StoredPhone>(found, read_phone);
}

Result<std::vector<UserId>> PostgresStore::list_thread_peers(UserId user) {
  auto lease = read_pool_->acquire();
  const PgResult found = WL_TRY(lease.connection().query(
      "SELECT DISTINCT peer.user_id FROM members mine "
      "JOIN members peer ON peer.thread_id = mine.thread_id "
      "WHERE mine.user_id = $1 AND peer.user_id <> $1 ORDER BY peer.user_id",
      Params().add(user), "list thread peers"));
  return all_rows<UserId>(
      found, [](const PgResult& row, int index) { return UserId(row.int64(index, 0)); });
}

}  // namespace wl
