// AuditStore on PostgreSQL: one chain per store (claim_audit_chain) and their
// checkpoints.
#include "adapters/postgres/postgres_store.hpp"

#include "adapters/postgres/detail/jobs.hpp"
#include "adapters/postgres/detail/read_pool.hpp"
#include "adapters/postgres/detail/rows.hpp"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals

// ---- Audit ----

Result<AuditEntry> PostgresStore::append_audit(const AuditDraft& draft) {
  return write<AuditEntry>(nullptr, [&](WriteContext& context) -> Result<AuditEntry> {
    return insert_audit(context, draft);
  });
}

void PostgresStore::append_audit_async(AuditDraft draft, WriteDone<AuditEntry> done) {
  write_async<AuditEntry>(
      CommitHook(),
      [draft = std::move(draft)](WriteContext& context) { return insert_audit(context, draft); },
      std::move(done));
}

std::int64_t PostgresStore::audit_chain() const { return audit_chain_; }

Result<std::vector<std::int64_t>> PostgresStore::list_audit_chains() {
  auto lease = read_pool_->acquire();
  const PgResult chains = WL_TRY(lease.connection().query(
      "SELECT id FROM audit_head WHERE seq > 0 ORDER BY id", "list audit chains"));
  return all_rows<std::int64_t>(chains,
                                [](const PgResult& row, int index) { return row.int64(index, 0); });
}

Result<std::vector<AuditEntry>> PostgresStore::read_audit(std::int64_t after, std::size_t limit) {
  return read_audit_chain(audit_chain_, after, limit);
}

Result<std::vector<AuditEntry>> PostgresStore::read_audit_chain(std::int64_t chain,
                                                                std::int64_t after,
                                                                std::size_t limit) {
  auto lease = read_pool_->acquire();
  const PgResult entries = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_AUDIT_COLUMNS
      " FROM audit WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3",
      Params().add(chain).add(after).add(clamp_limit(limit)), "read audit"));
  return all_rows<AuditEntry>(entries, read_audit_entry);
}

Result<void> PostgresStore::put_audit_checkpoint(const AuditCheckpoint& checkpoint) {
  if (checkpoint.chain < 1 || checkpoint.chains < 1) {
    return error(Code::kInvalidArgument, "store: an audit checkpoint names no chain");
  }
  return write<void>(nullptr, [&](WriteContext& context) -> Result<void> {
    // A conflicting insert by another store waits for it, then updates its row (or
    // fails below on a different hash); the update keeps only a later signed time.
    const PgResult stored = WL_TRY(context.connection.query(
        "INSERT INTO audit_checkpoints (seq, hash, public_key, signature, at, chain, chains) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (chain, seq) DO UPDATE SET "
        "public_key = CASE WHEN excluded.at > audit_checkpoints.at "
        "THEN excluded.public_key ELSE audit_checkpoints.public_key END, "
        "signature = CASE WHEN excluded.at > audit_checkpoints.at "
        "THEN excluded.signature ELSE audit_checkpoints.signature END, "
        "chains = CASE WHEN excluded.at > audit_checkpoints.at "
        "THEN excluded.chains ELSE audit_checkpoints.chains END, "
        "at = greatest(excluded.at, audit_checkpoints.at) "
        "WHERE audit_checkpoints.hash = excluded.hash RETURNING seq",
        Params()
            .add(checkpoint.seq)
            .add_bytes(checkpoint.hash)
            .add_bytes(checkpoint.public_key)
            .add_bytes(checkpoint.signature)
            .add(checkpoint.at)
            .add(checkpoint.chain)
            .add(checkpoint.chains),
        "put audit checkpoint"));
    if (stored.rows() == 0) {
      // The row's hash differed, so the conditional update left it alone.
      return error(Code::kAlreadyExists, "store: another audit checkpoint at this seq");
    }
    return ok();
  });
}

Result<std::vector<AuditCheckpoint>> PostgresStore::list_audit_checkpoints() {
  auto lease = read_pool_->acquire();
  const PgResult checkpoints = WL_TRY(lease.connection().query(
      "SELECT seq, hash, public_key, signature, at, chain, chains FROM audit_checkpoints "
      "ORDER BY chain, seq",
      "list audit checkpoints"));
  return all_rows<AuditCheckpoint>(checkpoints, [](const PgResult& row, int index) {
    AuditCheckpoint checkpoint;
    checkpoint.seq = row.int64(index, 0);
    checkpoint.hash = row.bytes(index, 1);
    checkpoint.public_key = row.bytes(index, 2);
    checkpoint.signature = row.bytes(index, 3);
    checkpoint.at = row.time(index, 4);
    checkpoint.chain = row.int64(index, 5);
    checkpoint.chains = row.int64(index, 6);
    return checkpoint;
  });
}

}  // namespace wl
