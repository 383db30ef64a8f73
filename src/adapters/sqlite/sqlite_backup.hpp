#pragma once

// Online copies of a SQLite store's database, for `wardline admin backup` and
// `restore` (docs/operations.md, "Backup and restore").

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "core/status.hpp"

namespace wl {

// Told after each step of a copy: the pages copied so far, of how many.
using CopyProgress = std::function<void(std::int64_t pages_done, std::int64_t pages_total)>;

/// Copies the SQLite store `database` into the new file `copy` (mode 0600) while
/// servers may be writing it, without stopping them. The copy is one read snapshot:
/// every write committed before the copy began is in it, and none committed after.
/// SQLite's online backup API copies it a few thousand pages at a time, `progress`
/// hears after each step; the copy is a single file (no WAL), synced to disk with its
/// directory before this returns. A failed copy leaves no file behind.
/// Errors: AlreadyExists if `copy` exists; Unavailable if a file cannot be opened or
/// written (disk full); DataLoss if `database` is not an SQLite database.
[[nodiscard]] Result<void> copy_sqlite_database(const std::filesystem::path& database,
                                                const std::filesystem::path& copy,
                                                const CopyProgress& progress = {});

// What check_sqlite_database found.
struct SqliteDatabaseCheck {
  int schema_version = 0;
  std::string instance_id;
};

/// Checks a copy before it is trusted, reading every page: PRAGMA integrity_check
/// finds nothing wrong, and it is a Wardline store of a schema this build reads (at
/// most this build's version; an older one is migrated when a store opens it).
/// Read only. Errors: DataLoss if it is damaged (with SQLite's first complaint) or not
/// a Wardline store; FailedPrecondition if a newer Wardline wrote it; Unavailable if it
/// cannot be opened.
[[nodiscard]] Result<SqliteDatabaseCheck> check_sqlite_database(
    const std::filesystem::path& database);

/// Gives a restored database a new store instance id and returns it, so that cursors
/// clients hold from the store it was copied from are not taken for positions in it:
/// they resync (docs/protocol.md, "Resync"). The file must not be open elsewhere.
/// Errors: Unavailable; DataLoss if it has no instance id.
[[nodiscard]] Result<std::string> renew_sqlite_instance_id(const std::filesystem::path& database);

}  // namespace wl
