#include "adapters/sqlite/sqlite_backup.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <system_error>
#include <thread>

#include <fmt/format.h>
#include <sqlite3.h>

#include "adapters/sqlite/detail/connection.hpp"
#include "adapters/sqlite/detail/file_lock.hpp"
#include "adapters/sqlite/detail/schema.hpp"

namespace wl {
namespace {

using detail::Connection;
using detail::OpenMode;

constexpr std::chrono::milliseconds kBusyTimeout{5000};
// Pages a backup step copies while it holds the source's read lock (16 MiB at 4 KiB).
constexpr int kPagesPerStep = 4096;

// Syncs a file, or a directory's entries, to disk.
Result<void> sync_path(const std::filesystem::path& path, bool directory) {
  const int descriptor =
      ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
  if (descriptor < 0) {
    return error(Code::kUnavailable, fmt::format("cannot open {} to sync it", path.string()));
  }
  const int synced = ::fsync(descriptor);
  ::close(descriptor);
  if (synced != 0) {
    return error(Code::kUnavailable, fmt::format("cannot sync {} to disk", path.string()));
  }
  return ok();
}

// Runs the online backup from `source` (inside its read transaction) into `target`.
Result<void> run_backup(Connection& source, Connection& target, const CopyProgress& progress) {
  sqlite3_backup* backup = sqlite3_backup_init(target.handle(), "main", source.handle(), "main");
  if (backup == nullptr) {
    return std::unexpected(
        detail::sqlite_status(sqlite3_extended_errcode(target.handle()), "start the copy"));
  }
  int step = SQLITE_OK;
  while (step == SQLITE_OK || step == SQLITE_BUSY || step == SQLITE_LOCKED) {
    step = sqlite3_backup_step(backup, kPagesPerStep);
    if (progress) {
      const std::int64_t total = sqlite3_backup_pagecount(backup);
      progress(total - sqlite3_backup_remaining(backup), total);
    }
    if (step == SQLITE_BUSY || step == SQLITE_LOCKED) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  const int finished = sqlite3_backup_finish(backup);
  if (step != SQLITE_DONE) {
    return std::unexpected(detail::sqlite_status(step, "copy the database"));
  }
  if (finished != SQLITE_OK) {
    return std::unexpected(detail::sqlite_status(finished, "finish the copy"));
  }
  return ok();
}

}  // namespace

Result<void> copy_sqlite_database(const std::filesystem::path& database,
                                  const std::filesystem::path& copy, const CopyProgress& progress) {
  std::error_code ec;
  if (std::filesystem::exists(copy, ec)) {
    return error(Code::kAlreadyExists, fmt::format("{} exists already", copy.string()));
  }
  if (!std::filesystem::exists(database, ec)) {
    return error(Code::kUnavailable, fmt::format("no database at {}", database.string()));
  }
  auto source = WL_TRY(Connection::open(database, OpenMode::kReadOnly, kBusyTimeout));
  // One snapshot for the whole copy: a read transaction, begun by its first read, that
  // servers writing meanwhile (to the WAL) do not disturb.
  WL_TRY(source->execute("BEGIN; SELECT count(*) FROM sqlite_schema", "begin the copy"));
  WL_TRY(detail::create_private_file(copy));
  auto copied = [&]() -> Result<void> {
    {
      auto target = WL_TRY(Connection::open(copy, OpenMode::kReadWrite, kBusyTimeout));
      WL_TRY(run_backup(*source, *target, progress));
      // The source is in WAL mode and so, page for page, is the copy: make it one file.
      WL_TRY(target->execute("PRAGMA journal_mode = DELETE", "make the copy one file"));
    }
    WL_TRY(sync_path(copy, false));
    return sync_path(copy.has_parent_path() ? copy.parent_path() : ".", true);
  }();
  (void)source->execute("COMMIT", "end the copy");
  if (!copied) {
    std::filesystem::remove(copy, ec);
    return std::unexpected(copied.error());
  }
  return ok();
}

Result<SqliteDatabaseCheck> check_sqlite_database(const std::filesystem::path& database) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(database, ec)) {
    return error(Code::kUnavailable, fmt::format("no database at {}", database.string()));
  }
  auto connection = WL_TRY(Connection::open(database, OpenMode::kReadOnly, kBusyTimeout));
  {
    auto check = WL_TRY(connection->prepare("PRAGMA integrity_check", "check the database"));
    if (!WL_TRY(check.step())) {
      return error(Code::kDataLoss, "the database gave no integrity report");
    }
    const std::string first = check.column_bytes(0);
    if (first != "ok") {
      return error(Code::kDataLoss, fmt::format("the database is damaged: {}", first));
    }
  }
  SqliteDatabaseCheck result;
  result.schema_version = WL_TRY(detail::read_schema_version(*connection));
  if (result.schema_version <= 0) {
    return error(Code::kDataLoss, "not a Wardline store (no schema version)");
  }
  if (result.schema_version > detail::kSchemaVersion) {
    return error(Code::kFailedPrecondition,
                 fmt::format("written by a newer Wardline (store schema {}; this build reads up "
                             "to {}): restore it with that version or a later one",
                             result.schema_version, detail::kSchemaVersion));
  }
  result.instance_id = WL_TRY(detail::read_instance_id(*connection));
  return result;
}

Result<std::string> renew_sqlite_instance_id(const std::filesystem::path& database) {
  auto connection = WL_TRY(Connection::open(database, OpenMode::kReadWrite, kBusyTimeout));
  WL_TRY(detail::read_instance_id(*connection));
  const std::string renewed = detail::new_instance_id();
  auto update =
      WL_TRY(connection->prepare("UPDATE meta SET instance_id = ?1 WHERE id = 1", "renew id"));
  WL_TRY(update.bind_text(1, renewed).run());
  return renewed;
}

}  // namespace wl
