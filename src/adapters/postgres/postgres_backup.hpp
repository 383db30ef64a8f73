#pragma once

// Online copies of a PostgreSQL store, with PostgreSQL's own pg_dump and pg_restore, for
// `wardline admin backup` and `restore` (docs/operations.md, "Backup and restore").

#include <filesystem>
#include <string>

#include "core/status.hpp"

namespace wl {

/// Dumps the store at `uri` (a libpq URI) into the new file `dump` with `pg_dump
/// --format=custom`: one consistent snapshot (a serializable read), taken while servers
/// keep writing. A password in the URI reaches pg_dump through its environment, never
/// its command line. Errors: AlreadyExists if `dump` exists; InvalidArgument for a URI
/// libpq cannot read; Unavailable if pg_dump cannot run or fails (with the end of what
/// it printed). A failed dump leaves no file.
[[nodiscard]] Result<void> dump_postgres_database(const std::string& uri,
                                                  const std::filesystem::path& dump);

/// What check_postgres_database found in a restored database.
struct PostgresDatabaseCheck {
  int schema_version = 0;
  std::string instance_id;
};

/// Restores `dump` into the database at `uri`, which must hold no table (a new
/// database), with `pg_restore --single-transaction --exit-on-error`: all or nothing.
/// Errors: FailedPrecondition if the database holds tables; Unavailable if pg_restore
/// cannot run or fails (nothing is restored then); InvalidArgument for a bad URI.
[[nodiscard]] Result<void> restore_postgres_dump(const std::string& uri,
                                                 const std::filesystem::path& dump);

/// Drops every table and sequence restore_postgres_dump created in `uri`'s database,
/// for a restore refused after its checks. Errors: Unavailable.
[[nodiscard]] Result<void> drop_restored_postgres_tables(const std::string& uri);

/// A store's schema version and instance id, and whether this build reads it. Errors:
/// DataLoss if it is not a Wardline store; FailedPrecondition if a newer Wardline wrote
/// it; Unavailable.
[[nodiscard]] Result<PostgresDatabaseCheck> check_postgres_database(const std::string& uri);

/// Gives the restored store a new instance id, as renew_sqlite_instance_id does, and
/// returns it. Errors: Unavailable; DataLoss if it has none.
[[nodiscard]] Result<std::string> renew_postgres_instance_id(const std::string& uri);

}  // namespace wl
