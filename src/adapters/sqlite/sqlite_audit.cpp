// AuditStore on SQLite: its one chain (one writer) and the chain's checkpoints.
#include "adapters/sqlite/sqlite_store.hpp"

#include "adapters/sqlite/detail/jobs.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/rows.hpp"

namespace wl {

using namespace detail;  // NOLINT: the adapter's own internals

namespace {
// One writer, one chain: its entries and checkpoints carry no chain column.
constexpr std::int64_t kSqliteAuditChain = 1;
}  // namespace

// ---- Audit ----

Result<AuditEntry> SqliteStore::append_audit(const AuditDraft& draft) {
  return write<AuditEntry>(nullptr, [&](WriteContext& context) -> Result<AuditEntry> {
    return insert_audit(context, draft);
  });
}

void SqliteStore::append_audit_async(AuditDraft draft, WriteDone<AuditEntry> done) {
  write_async<AuditEntry>(
      CommitHook(),
      [draft = std::move(draft)](WriteContext& context) { return insert_audit(context, draft); },
      std::move(done));
}

std::int64_t SqliteStore::audit_chain() const { return kSqliteAuditChain; }

Result<std::vector<std::int64_t>> SqliteStore::list_audit_chains() {
  auto lease = read_pool_->acquire();
  auto select =
      WL_TRY(lease.connection().prepare("SELECT 1 FROM audit LIMIT 1", "list audit chains"));
  if (WL_TRY(select.step())) {
    return std::vector<std::int64_t>{kSqliteAuditChain};
  }
  return std::vector<std::int64_t>{};
}

Result<std::vector<AuditEntry>> SqliteStore::read_audit_chain(std::int64_t chain,
                                                              std::int64_t after,
                                                              std::size_t limit) {
  if (chain != kSqliteAuditChain) {
    return std::vector<AuditEntry>{};
  }
  return read_audit(after, limit);
}

Result<std::vector<AuditEntry>> SqliteStore::read_audit(std::int64_t after, std::size_t limit) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_AUDIT_COLUMNS " FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2", "read audit"));
  select.bind(1, after).bind(2, clamp_limit(limit));
  return all_rows<AuditEntry>(select, read_audit_entry);
}

Result<void> SqliteStore::put_audit_checkpoint(const AuditCheckpoint& checkpoint) {
  if (checkpoint.chain != kSqliteAuditChain || checkpoint.chains != 1) {
    return error(Code::kInvalidArgument, "store: a SQLite audit log has one chain");
  }
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    auto stored = WL_TRY(context.connection.prepare(
        "SELECT hash, at FROM audit_checkpoints WHERE seq = ?1", "find audit checkpoint"));
    stored.bind(1, checkpoint.seq);
    if (WL_TRY(stored.step())) {
      if (stored.column_bytes(0) != checkpoint.hash) {
        return error(Code::kAlreadyExists, "store: another audit checkpoint at this seq");
      }
      if (stored.column_time(1) >= checkpoint.at) {
        return ok();
      }
      auto update = WL_TRY(context.connection.prepare(
          "UPDATE audit_checkpoints SET public_key = ?2, signature = ?3, at = ?4 WHERE seq = ?1",
          "refresh audit checkpoint"));
      return update.bind(1, checkpoint.seq)
          .bind_blob(2, checkpoint.public_key)
          .bind_blob(3, checkpoint.signature)
          .bind(4, checkpoint.at)
          .run();
    }
    auto insert = WL_TRY(context.connection.prepare(
        "INSERT INTO audit_checkpoints (seq, hash, public_key, signature, at) "
        "VALUES (?1, ?2, ?3, ?4, ?5)",
        "put audit checkpoint"));
    return insert.bind(1, checkpoint.seq)
        .bind_blob(2, checkpoint.hash)
        .bind_blob(3, checkpoint.public_key)
        .bind_blob(4, checkpoint.signature)
        .bind(5, checkpoint.at)
        .run();
  });
}

Result<std::vector<AuditCheckpoint>> SqliteStore::list_audit_checkpoints() {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT seq, hash, public_key, signature, at FROM audit_checkpoints ORDER BY seq",
      "list audit checkpoints"));
  return all_rows<AuditCheckpoint>(select, [](const Statement& row) {
    AuditCheckpoint checkpoint;
    checkpoint.seq = row.column_int64(0);
    checkpoint.hash = row.column_bytes(1);
    checkpoint.public_key = row.column_bytes(2);
    checkpoint.signature = row.column_bytes(3);
    checkpoint.at = row.column_time(4);
    return checkpoint;
  });
}

}  // namespace wl
