// The PostgreSQL adapter: opening, closing and the writer's test hooks. Each port's
// methods are in their own file (postgres_users.cpp, postgres_threads.cpp, ...).
#include "adapters/postgres/postgres_store.hpp"

#include <utility>

#include "adapters/postgres/detail/connection.hpp"
#include "adapters/postgres/detail/jobs.hpp"
#include "adapters/postgres/detail/read_pool.hpp"
#include "adapters/postgres/detail/rows.hpp"
#include "adapters/postgres/detail/schema.hpp"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(std::string conninfo,
                                                           AuditChainer chainer,
                                                           PostgresOptions options) {
  if (!chainer) {
    return error(Code::kInvalidArgument, "store: an audit chainer is required");
  }
  std::unique_ptr<PostgresStore> store(new PostgresStore());
  auto writer_connection = WL_TRY(PgConnection::open(conninfo));
  WL_TRY(migrate(*writer_connection));
  store->instance_id_ = WL_TRY(read_instance_id(*writer_connection));
  if (options.claim_audit_chain) {
    store->audit_chain_ = WL_TRY(claim_audit_chain(*writer_connection));
  }
  store->read_pool_ = WL_TRY(ReadPool::open(conninfo, options.read_connections));
  store->writer_ = std::make_unique<Writer>(std::move(writer_connection), std::move(chainer),
                                            store->audit_chain_, options.max_batch,
                                            options.max_attempts, options.horizon_wait);
  return store;
}

PostgresStore::~PostgresStore() {
  writer_.reset();
  read_pool_.reset();
}

std::string PostgresStore::instance_id() const { return instance_id_; }

StoreStats PostgresStore::stats() {
  StoreStats stats;
  stats.adapter = "postgresql";
  stats.commits = writer_->counters().commits();
  stats.rows_written = writer_->counters().rows();
  stats.commit_micros = writer_->counters().commit_micros();
  stats.queued_writes = writer_->queued();
  stats.statements = writer_->statements();
  stats.round_trips = writer_->round_trips();
  auto lease = read_pool_->acquire();
  const Result<PgResult> wal = lease.connection().query(
      "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint, wal_sync FROM pg_stat_wal",
      "read WAL statistics");
  if (wal && wal->rows() == 1) {
    const std::int64_t bytes = wal->int64(0, 0);
    const std::int64_t syncs = wal->int64(0, 1);
    if (wal->check()) {
      stats.wal_bytes = static_cast<std::uint64_t>(bytes);
      stats.wal_syncs = static_cast<std::uint64_t>(syncs);
    }
  }
  return stats;
}

void PostgresStore::pause_writes_for_test() { writer_->pause_for_test(); }
void PostgresStore::resume_writes_for_test() { writer_->resume_for_test(); }
std::size_t PostgresStore::queued_writes_for_test() { return writer_->queued_for_test(); }
std::uint64_t PostgresStore::write_batches_for_test() { return writer_->batches_for_test(); }

}  // namespace wl
