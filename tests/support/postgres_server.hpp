#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

#include "core/status.hpp"

struct pg_conn;

namespace wl::testing {

// A throwaway PostgreSQL server for tests: initdb in a fresh temporary directory, then
// a postgres listening on 127.0.0.1 at a free port and on a unix socket in that
// directory, with trust authentication and fsync off. PostgreSQL refuses to run as
// root, so when the tests run as root every server command runs as the `postgres`
// system user (runuser -u postgres --). The binaries are found in $WL_POSTGRES_BIN,
// else in the newest /usr/lib/postgresql/<version>/bin.
//
// One server serves the whole test binary: shared() starts it on first use, and it
// is stopped and its directory removed when the process exits. The directory is named
// after the process (wl_pg_<pid>_...), so a server left behind by a test process that
// was killed is stopped and removed by the next start. Each test gets its own empty
// database from create_database(). Thread-safe.
class PostgresServer {
 public:
  // The process-wide server, started on the first call. Errors: Unavailable, with the
  // reason (missing binaries, initdb or start failure and the server log's tail), if
  // it cannot be started; later calls give the same error.
  [[nodiscard]] static Result<PostgresServer*> shared();

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  // Stops the server (fast shutdown) and removes its directory.
  ~PostgresServer();

  // Creates a new, empty database and returns its name.
  [[nodiscard]] Result<std::string> create_database();
  // Drops the database, ending any session still connected to it.
  [[nodiscard]] Result<void> drop_database(const std::string& name);
  // Runs one SQL command in `database` as the superuser (test set-up and checks).
  [[nodiscard]] Result<void> execute(const std::string& database, const std::string& sql);

  // A libpq connection string for `database` over TCP on 127.0.0.1.
  std::string conninfo(std::string_view database) const;
  std::uint16_t port() const { return port_; }
  const std::filesystem::path& directory() const { return directory_; }

 private:
  PostgresServer() = default;
  [[nodiscard]] Result<void> start();
  [[nodiscard]] Result<void> start_on_free_port();

  std::filesystem::path directory_;  // Holds data/, the socket and server.log.
  std::filesystem::path binaries_;
  bool as_postgres_user_ = false;
  bool running_ = false;
  std::uint16_t port_ = 0;
  std::mutex mutex_;
  pg_conn* admin_ = nullptr;         // Guarded by mutex_: to the `postgres` database.
  std::uint64_t next_database_ = 0;  // Guarded by mutex_.
};

}  // namespace wl::testing
