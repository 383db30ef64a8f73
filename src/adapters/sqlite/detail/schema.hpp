#pragma once

#include <string>

#include "core/status.hpp"

namespace wl::detail {

class Connection;

// The schema version this build writes (PRAGMA user_version). docs/storage.md
// describes every version.
inline constexpr int kSchemaVersion = 21;

// Brings the database to kSchemaVersion, applying each missing migration in order in
// one transaction (a crash mid-way leaves the old version intact), and creates the
// instance id on first open. Call on the writer connection before any other use.
// Errors: FailedPrecondition if the database is newer than this build;
// Unavailable/DataLoss/Internal from SQLite.
[[nodiscard]] Result<void> migrate(Connection& connection);

// The schema version stored in the database (0 for a new, empty file).
[[nodiscard]] Result<int> read_schema_version(Connection& connection);

// A new random instance id (32 lower-case hex digits).
std::string new_instance_id();

// The database's instance id (32 lower-case hex digits). Errors: DataLoss if missing.
[[nodiscard]] Result<std::string> read_instance_id(Connection& connection);

}  // namespace wl::detail
