// The SQLite adapter: opening, closing and the writer's test hooks. Each port's
// methods are in their own file (sqlite_users.cpp, sqlite_threads.cpp, ...).
#include "adapters/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include "adapters/sqlite/detail/checkpointer.hpp"
#include "adapters/sqlite/detail/file_lock.hpp"
#include "adapters/sqlite/detail/jobs.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/rows.hpp"
#include "adapters/sqlite/detail/schema.hpp"

namespace wl {

using namespace detail;  // NOLINT: the adapter's own internals

// ---- Open and close ----

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& database_file,
                                                       AuditChainer chainer,
                                                       SqliteOptions options) {
  if (!chainer) {
    return error(Code::kInvalidArgument, "store: an audit chainer is required");
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore());
  if (options.read_only) {
    store->read_pool_ = WL_TRY(
        detail::ReadPool::open(database_file, options.read_connections, options.busy_timeout));
    auto lease = store->read_pool_->acquire();
    if (WL_TRY(detail::read_schema_version(lease.connection())) != detail::kSchemaVersion) {
      return error(Code::kFailedPrecondition,
                   "store: a read-only open needs a database of this build's schema");
    }
    store->instance_id_ = WL_TRY(detail::read_instance_id(lease.connection()));
    return store;
  }
  std::filesystem::path lock_file = database_file;
  lock_file += ".lock";
  store->lock_ = WL_TRY(detail::FileLock::acquire(lock_file));
  WL_TRY(detail::create_private_file(database_file));

  auto writer_connection =
      WL_TRY(Connection::open(database_file, detail::OpenMode::kReadWrite, options.busy_timeout));
  {
    auto journal = WL_TRY(writer_connection->prepare("PRAGMA journal_mode = WAL", "enable WAL"));
    if (!WL_TRY(journal.step()) || journal.column_bytes(0) != "wal") {
      return error(Code::kUnavailable, "store: the database cannot use WAL mode");
    }
  }
  WL_TRY(writer_connection->execute(
      "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0; "
      "PRAGMA secure_delete = ON",
      "configure database"));
  // PRAGMA takes no parameters; the limit is an integer option.
  const std::string size_limit =
      "PRAGMA journal_size_limit = " + std::to_string(options.wal_size_limit_bytes);
  WL_TRY(writer_connection->execute(size_limit.c_str(), "configure database"));
  if (options.max_pages_for_test > 0) {
    const std::string page_cap =
        "PRAGMA max_page_count = " + std::to_string(options.max_pages_for_test);
    WL_TRY(writer_connection->execute(page_cap.c_str(), "configure database"));
  }
  WL_TRY(detail::migrate(*writer_connection));
  store->instance_id_ = WL_TRY(detail::read_instance_id(*writer_connection));

  detail::AuditHead head{0, std::string(32, '\0')};
  {
    auto last = WL_TRY(writer_connection->prepare(
        "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", "read audit head"));
    if (WL_TRY(last.step())) {
      head.seq = last.column_int64(0);
      head.hash = last.column_bytes(1);
    }
  }

  auto checkpoint_connection =
      WL_TRY(Connection::open(database_file, detail::OpenMode::kReadWrite, options.busy_timeout));
  // A connection learns the journal mode when it first reads the file; until then a
  // checkpoint on it is a no-op.
  WL_TRY(checkpoint_connection->execute("SELECT count(*) FROM sqlite_schema", "open checkpointer"));
  store->checkpointer_ = std::make_unique<detail::Checkpointer>(std::move(checkpoint_connection),
                                                                options.checkpoint_pages);
  // Replaces SQLite's automatic checkpoint (which would run inside the writer's commit)
  // with a request to the background checkpointer.
  sqlite3_wal_hook(
      writer_connection->handle(),
      [](void* checkpointer, sqlite3*, const char*, int pages) {
        static_cast<detail::Checkpointer*>(checkpointer)->on_commit(pages);
        return SQLITE_OK;
      },
      store->checkpointer_.get());

  store->read_pool_ =
      WL_TRY(detail::ReadPool::open(database_file, options.read_connections, options.busy_timeout));
  store->writer_ = std::make_unique<detail::Writer>(std::move(writer_connection),
                                                    std::move(chainer), std::move(head),
                                                    options.max_batch, store->checkpointer_.get());
  return store;
}

SqliteStore::~SqliteStore() {
  writer_.reset();
  read_pool_.reset();
  checkpointer_.reset();
}

std::string SqliteStore::instance_id() const { return instance_id_; }

StoreStats SqliteStore::stats() {
  StoreStats stats;
  stats.adapter = "sqlite";
  if (writer_ == nullptr) {
    return stats;  // Read-only: nothing is written.
  }
  stats.commits = writer_->counters().commits();
  stats.rows_written = writer_->counters().rows();
  stats.commit_micros = writer_->counters().commit_micros();
  stats.queued_writes = writer_->queued();
  stats.pages_written = writer_->pages_written();
  stats.checkpoint_pages = checkpointer_->pages_copied();
  stats.checkpoints = checkpointer_->copying_checkpoints();
  stats.syncs_estimated = stats.commits + 2 * *stats.checkpoints;
  return stats;
}

void SqliteStore::pause_writes_for_test() { writer_->pause_for_test(); }
void SqliteStore::resume_writes_for_test() { writer_->resume_for_test(); }
std::size_t SqliteStore::queued_writes_for_test() { return writer_->queued_for_test(); }
std::uint64_t SqliteStore::write_batches_for_test() { return writer_->batches_for_test(); }

}  // namespace wl
