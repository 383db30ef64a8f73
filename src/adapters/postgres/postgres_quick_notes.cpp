// QuickNoteStore on PostgreSQL: org-wide and personal canned messages, sealed.
#include "adapters/postgres/detail/jobs.hpp"
#include "adapters/postgres/detail/mutations.hpp"
#include "adapters/postgres/detail/read_pool.hpp"
#include "adapters/postgres/detail/rows.hpp"
#include "adapters/postgres/postgres_store.hpp"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals

namespace {

#define WL_PG_QUICK_NOTE_COLUMNS                                                          \
  "id, org_id, owner_id, title_sealed, text_sealed, created_by, created_at, updated_by, " \
  "updated_at"

QuickNote read_quick_note(const PgResult& result, int row) {
  QuickNote note;
  note.id = result.int64(row, 0);
  note.org_id = OrgId(result.int64(row, 1));
  note.owner = UserId(result.optional_int64(row, 2).value_or(0));
  note.title_sealed = result.bytes(row, 3);
  note.text_sealed = result.bytes(row, 4);
  note.created_by = UserId(result.optional_int64(row, 5).value_or(0));
  note.created_at = result.time(row, 6);
  note.updated_by = UserId(result.optional_int64(row, 7).value_or(0));
  note.updated_at = result.time(row, 8);
  return note;
}

}  // namespace

Result<QuickNote> detail::pg::apply(WriteContext& context, const SaveQuickNote& mutation) {
  PgConnection& connection = context.connection;
  if (mutation.id != 0) {
    const PgResult updated = WL_TRY(connection.query(
        "UPDATE quick_notes SET title_sealed = $4, text_sealed = $5, updated_by = $6, "
        "updated_at = $7 WHERE id = $1 AND org_id = $2 AND coalesce(owner_id, 0) = $3 "
        "RETURNING " WL_PG_QUICK_NOTE_COLUMNS,
        Params()
            .add(mutation.id)
            .add(mutation.org)
            .add(mutation.owner.value())
            .add_bytes(mutation.title_sealed)
            .add_bytes(mutation.text_sealed)
            .add_id_or_null(mutation.actor)
            .add(mutation.at),
        "save quick note"));
    return single_row<QuickNote>(updated, read_quick_note, "quick note");
  }
  // The owner's row (the org's for org-wide notes) orders saves by several nodes, so the
  // count below cannot be passed twice at once.
  const PgResult org =
      WL_TRY(connection.query("SELECT id FROM orgs WHERE id = $1 FOR NO KEY UPDATE",
                              Params().add(mutation.org), "save quick note"));
  if (org.rows() == 0) {
    return error(Code::kNotFound, "org not found");
  }
  if (mutation.owner.is_set() && WL_TRY(org_of_user(connection, mutation.owner)) != mutation.org) {
    return error(Code::kNotFound, "user not found");
  }
  const PgResult count = WL_TRY(connection.query(
      "SELECT count(*) FROM quick_notes WHERE org_id = $1 AND coalesce(owner_id, 0) = $2",
      Params().add(mutation.org).add(mutation.owner.value()), "save quick note"));
  const std::int64_t stored = count.int64(0, 0);
  WL_TRY(count.check());
  if (static_cast<std::size_t>(stored) >= mutation.max_count) {
    return error(Code::kResourceExhausted, mutation.owner.is_set()
                                               ? "you have as many quick notes as a user may keep"
                                               : "the org has as many quick notes as it may keep");
  }
  const PgResult inserted = WL_TRY(connection.query(
      "INSERT INTO quick_notes (org_id, owner_id, title_sealed, text_sealed, created_by, "
      "created_at, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $5, $6) "
      "RETURNING " WL_PG_QUICK_NOTE_COLUMNS,
      Params()
          .add(mutation.org)
          .add_id_or_null(mutation.owner)
          .add_bytes(mutation.title_sealed)
          .add_bytes(mutation.text_sealed)
          .add_id_or_null(mutation.actor)
          .add(mutation.at),
      "save quick note"));
  return single_row<QuickNote>(inserted, read_quick_note, "quick note");
}

Result<std::monostate> detail::pg::apply(WriteContext& context, const DeleteQuickNote& mutation) {
  const PgResult removed = WL_TRY(context.connection.query(
      "DELETE FROM quick_notes WHERE id = $1 AND org_id = $2 AND coalesce(owner_id, 0) = $3",
      Params().add(mutation.id).add(mutation.org).add(mutation.owner.value()),
      "delete quick note"));
  WL_TRY(expect_changed(removed, "quick note"));
  return std::monostate();
}

Result<std::vector<QuickNote>> PostgresStore::list_quick_notes(OrgId org, UserId owner) {
  auto lease = read_pool_->acquire();
  const PgResult found = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_QUICK_NOTE_COLUMNS
      " FROM quick_notes WHERE org_id = $1 AND (owner_id IS NULL OR owner_id = $2) "
      "ORDER BY owner_id IS NOT NULL, id",
      Params().add(org).add(owner.is_set() ? owner.value() : std::int64_t{-1}),
      "list quick notes"));
  return all_rows<QuickNote>(found, read_quick_note);
}

Result<QuickNote> PostgresStore::find_quick_note(std::int64_t id) {
  auto lease = read_pool_->acquire();
  const PgResult found = WL_TRY(lease.connection().query("SELECT " WL_PG_QUICK_NOTE_COLUMNS
                                                         " FROM quick_notes WHERE id = $1",
                                                         Params().add(id), "find quick note"));
  return single_row<QuickNote>(found, read_quick_note, "quick note");
}

}  // namespace wl
