// QuickNoteStore on SQLite: org-wide and personal canned messages, sealed.
#include "adapters/sqlite/detail/jobs.hpp"
#include "adapters/sqlite/detail/mutations.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/rows.hpp"
#include "adapters/sqlite/sqlite_store.hpp"

namespace wl {

using namespace detail;  // NOLINT: the adapter's own internals

namespace {

#define WL_QUICK_NOTE_COLUMNS                                                             \
  "id, org_id, owner_id, title_sealed, text_sealed, created_by, created_at, updated_by, " \
  "updated_at"

QuickNote read_quick_note(const Statement& row) {
  QuickNote note;
  note.id = row.column_int64(0);
  note.org_id = OrgId(row.column_int64(1));
  note.owner = UserId(row.column_int64(2));  // NULL reads as 0: org-wide.
  note.title_sealed = row.column_bytes(3);
  note.text_sealed = row.column_bytes(4);
  note.created_by = UserId(row.column_int64(5));
  note.created_at = row.column_time(6);
  note.updated_by = UserId(row.column_int64(7));
  note.updated_at = row.column_time(8);
  return note;
}

// The note `id` of `org` with `owner` (unset: org-wide), or NotFound.
Result<QuickNote> load_owned_note(Connection& connection, std::int64_t id, OrgId org,
                                  UserId owner) {
  auto select = WL_TRY(connection.prepare("SELECT " WL_QUICK_NOTE_COLUMNS
                                          " FROM quick_notes WHERE id = ?1 AND org_id = ?2 "
                                          "AND coalesce(owner_id, 0) = ?3",
                                          "find quick note"));
  select.bind(1, id).bind(2, org.value()).bind(3, owner.value());
  return single_row<QuickNote>(select, read_quick_note, "quick note");
}

}  // namespace

Result<QuickNote> detail::apply(WriteContext& context, const SaveQuickNote& mutation) {
  Connection& connection = context.connection;
  if (mutation.id != 0) {
    QuickNote note = WL_TRY(load_owned_note(connection, mutation.id, mutation.org, mutation.owner));
    auto update = WL_TRY(connection.prepare(
        "UPDATE quick_notes SET title_sealed = ?2, text_sealed = ?3, updated_by = ?4, "
        "updated_at = ?5 WHERE id = ?1",
        "save quick note"));
    update.bind(1, mutation.id)
        .bind_blob(2, mutation.title_sealed)
        .bind_blob(3, mutation.text_sealed);
    bind_optional_id(update, 4, mutation.actor);
    WL_TRY(update.bind(5, mutation.at).run());
    note.title_sealed = mutation.title_sealed;
    note.text_sealed = mutation.text_sealed;
    note.updated_by = mutation.actor;
    note.updated_at = mutation.at;
    return note;
  }
  auto org = WL_TRY(connection.prepare("SELECT 1 FROM orgs WHERE id = ?1", "save quick note"));
  org.bind(1, mutation.org.value());
  if (!WL_TRY(org.step())) {
    return error(Code::kNotFound, "org not found");
  }
  if (mutation.owner.is_set() && WL_TRY(org_of_user(connection, mutation.owner)) != mutation.org) {
    return error(Code::kNotFound, "user not found");
  }
  // The bound is checked in the writer's transaction, so two saves at once cannot both
  // pass it.
  auto count = WL_TRY(connection.prepare(
      "SELECT count(*) FROM quick_notes WHERE org_id = ?1 AND coalesce(owner_id, 0) = ?2",
      "save quick note"));
  count.bind(1, mutation.org.value()).bind(2, mutation.owner.value());
  WL_TRY(count.step());
  if (static_cast<std::size_t>(count.column_int64(0)) >= mutation.max_count) {
    return error(Code::kResourceExhausted, mutation.owner.is_set()
                                               ? "you have as many quick notes as a user may keep"
                                               : "the org has as many quick notes as it may keep");
  }
  auto insert = WL_TRY(connection.prepare(
      "INSERT INTO quick_notes (org_id, owner_id, title_sealed, text_sealed, created_by, "
      "created_at, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5, ?6)",
      "save quick note"));
  insert.bind(1, mutation.org.value());
  bind_optional_id(insert, 2, mutation.owner);
  insert.bind_blob(3, mutation.title_sealed).bind_blob(4, mutation.text_sealed);
  bind_optional_id(insert, 5, mutation.actor);
  WL_TRY(insert.bind(6, mutation.at).run());
  return QuickNote{connection.last_insert_id(),
                   mutation.org,
                   mutation.owner,
                   mutation.title_sealed,
                   mutation.text_sealed,
                   mutation.actor,
                   mutation.at,
                   mutation.actor,
                   mutation.at};
}

Result<std::monostate> detail::apply(WriteContext& context, const DeleteQuickNote& mutation) {
  auto remove = WL_TRY(context.connection.prepare(
      "DELETE FROM quick_notes WHERE id = ?1 AND org_id = ?2 AND coalesce(owner_id, 0) = ?3",
      "delete quick note"));
  WL_TRY(remove.bind(1, mutation.id)
             .bind(2, mutation.org.value())
             .bind(3, mutation.owner.value())
             .run());
  WL_TRY(expect_changed(context.connection, "quick note"));
  return std::monostate();
}

Result<std::vector<QuickNote>> SqliteStore::list_quick_notes(OrgId org, UserId owner) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_QUICK_NOTE_COLUMNS
      " FROM quick_notes WHERE org_id = ?1 AND (owner_id IS NULL OR owner_id = ?2) "
      "ORDER BY owner_id IS NOT NULL, id",
      "list quick notes"));
  select.bind(1, org.value()).bind(2, owner.is_set() ? owner.value() : -1);
  return all_rows<QuickNote>(select, read_quick_note);
}

Result<QuickNote> SqliteStore::find_quick_note(std::int64_t id) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_QUICK_NOTE_COLUMNS " FROM quick_notes WHERE id = ?1", "find quick note"));
  select.bind(1, id);
  return single_row<QuickNote>(select, read_quick_note, "quick note");
}

}  // namespace wl
