#pragma once

#include <string>

#include "core/status.hpp"

namespace wl::detail::pg {

class PgConnection;

// The schema version this build writes (table schema_version). docs/storage.md,
// "PostgreSQL", describes every version.
inline constexpr int kPostgresSchemaVersion = 15;

// Brings the database to kPostgresSchemaVersion, applying each missing migration in
// order in one transaction under a transaction-level advisory lock, so two stores
// opening one database at once migrate it once; creates the instance id with the
// schema. Errors: FailedPrecondition if the database is newer than this build;
// Unavailable/Internal from the database.
[[nodiscard]] Result<void> migrate(PgConnection& connection);

// The schema version stored in the database (0 for an empty database).
[[nodiscard]] Result<int> read_schema_version(PgConnection& connection);

// The database's instance id (32 lower-case hex digits). Errors: DataLoss if missing.
[[nodiscard]] Result<std::string> read_instance_id(PgConnection& connection);

// A new random instance id (32 lower-case hex digits).
std::string new_instance_id();

}  // namespace wl::detail::pg
