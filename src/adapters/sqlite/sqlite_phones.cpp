// PhoneStore on SQLite: users' call-back numbers and who shares a thread with whom.
#include "adapters/sqlite/detail/jobs.hpp"
#include "adapters/sqlite/detail/mutations.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/rows.hpp"
#include "adapters/sqlite/sqlite_store.hpp"

namespace wl {

using namespace detail;  // NOLINT: the adapter's own internals

namespace {

#define WL_PHONE_COLUMNS "user_id, kind, number_sealed, visibility, preferred"

StoredPhone read_phone(const Statement& row) {
  StoredPhone phone;
  phone.user_id = UserId(row.column_int64(0));
  phone.kind = static_cast<PhoneKind>(row.column_int64(1));
  phone.number_sealed = row.column_bytes(2);
  phone.visibility = static_cast<PhoneVisibility>(row.column_int64(3));
  phone.preferred = row.column_int64(4) != 0;
  return phone;
}

}  // namespace

Result<std::monostate> detail::apply(WriteContext& context, const SetUserPhones& mutation) {
  const OrgId org = WL_TRY(org_of_user(context.connection, mutation.user));
  auto remove = WL_TRY(
      context.connection.prepare("DELETE FROM user_phones WHERE user_id = ?1", "set user phones"));
  WL_TRY(remove.bind(1, mutation.user.value()).run());
  for (const StoredPhone& phone : mutation.phones) {
    if (phone.user_id != mutation.user) {
      return error(Code::kInvalidArgument, "a number of another user");
    }
    auto insert = WL_TRY(context.connection.prepare("INSERT INTO user_phones (" WL_PHONE_COLUMNS
                                                    ") VALUES (?1, ?2, ?3, ?4, ?5) "
                                                    "ON CONFLICT (user_id, kind) DO NOTHING",
                                                    "set user phones"));
    WL_TRY(insert.bind(1, mutation.user.value())
               .bind(2, static_cast<std::int64_t>(phone.kind))
               .bind_blob(3, phone.number_sealed)
               .bind(4, static_cast<std::int64_t>(phone.visibility))
               .bind(5, std::int64_t{phone.preferred ? 1 : 0})
               .run());
    if (context.connection.changes() == 0) {
      return error(Code::kInvalidArgument, "two numbers of one kind");
    }
  }
  WL_TRY(insert_scoped_event(context, EventKind::kUserChanged, org, UserId(), mutation.actor,
                             mutation.user, mutation.at));
  return std::monostate();
}

Result<std::vector<StoredPhone>> SqliteStore::list_user_phones(UserId user) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_PHONE_COLUMNS " FROM user_phones WHERE user_id = ?1 ORDER BY kind",
      "list user phones"));
  select.bind(1, user.value());
  return all_rows<StoredPhone>(select, read_phone);
}

Result<std::vector<StoredPhone>> SqliteStore::list_org_phones(OrgId org) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT p.user_id, p.kind, p.number_sealed, p.visibility, p.preferred FROM user_phones p "
      "JOIN users u ON u.id = p.user_id WHERE u.org_id = ?1 ORDER BY p.user_id, p.kind",
      "list org phones"));
  select.bind(1, org.value());
  return all_rows<StoredPhone>(select, read_phone);
}

Result<std::vector<UserId>> SqliteStore::list_thread_peers(UserId user) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT DISTINCT peer.user_id FROM members mine "
      "JOIN members peer ON peer.thread_id = mine.thread_id "
      "WHERE mine.user_id = ?1 AND peer.user_id <> ?1 ORDER BY peer.user_id",
      "list thread peers"));
  select.bind(1, user.value());
  return all_rows<UserId>(select, [](const Statement& row) { return UserId(row.column_int64(0)); });
}

}  // namespace wl
