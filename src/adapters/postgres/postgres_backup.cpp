#include "adapters/postgres/postgres_backup.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "adapters/postgres/detail/connection.hpp"
#include "adapters/postgres/detail/schema.hpp"

extern char** environ;

namespace wl {
namespace {

using detail::pg::Params;
using detail::pg::PgConnection;
using detail::pg::PgResult;

// A URI split for a client program: the connection string without the password, and
// the password (for PGPASSWORD), so that neither ps nor /proc shows it.
struct ClientConnection {
  std::string conninfo;
  std::string password;
};

Result<ClientConnection> split_password(const std::string& uri) {
  char* message = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(uri.c_str(), &message), &PQconninfoFree);
  PQfreemem(message);  // It may quote the URI, password and all.
  if (options == nullptr) {
    return error(Code::kInvalidArgument, "not a PostgreSQL connection URI libpq can read");
  }
  ClientConnection split;
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val == nullptr || *option->val == '\0') {
      continue;
    }
    const std::string_view keyword(option->keyword);
    if (keyword == "password") {
      split.password = option->val;
      continue;
    }
    // Quoted as libpq's key=value syntax wants: 'value' with \ and ' escaped.
    std::string value;
    for (const char* c = option->val; *c != '\0'; ++c) {
      if (*c == '\\' || *c == '\'') {
        value.push_back('\\');
      }
      value.push_back(*c);
    }
    split.conninfo += fmt::format("{}{}='{}'", split.conninfo.empty() ? "" : " ", keyword, value);
  }
  return split;
}

// Runs `program` (found on PATH) with `arguments` and the password in its environment;
// its stdout and stderr go to a file, whose last lines come back in the error when it
// fails. Errors: Unavailable.
Result<void> run_client(const std::string& program, const std::vector<std::string>& arguments,
                        const std::string& password) {
  char log_name[] = "/tmp/wardline-pg-XXXXXX";
  const int log = ::mkstemp(log_name);
  if (log < 0) {
    return error(Code::kUnavailable, "cannot make a file for the output of " + program);
  }
  ::unlink(log_name);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, log, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, log, STDERR_FILENO);
  std::vector<char*> argv;
  std::vector<std::string> owned{program};
  owned.insert(owned.end(), arguments.begin(), arguments.end());
  for (std::string& argument : owned) {
    argv.push_back(argument.data());
  }
  argv.push_back(nullptr);
  std::vector<std::string> environment_strings;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    if (std::string_view(*variable).starts_with("PGPASSWORD=")) {
      continue;
    }
    environment_strings.emplace_back(*variable);
  }
  if (!password.empty()) {
    environment_strings.push_back("PGPASSWORD=" + password);
  }
  std::vector<char*> envp;
  for (std::string& variable : environment_strings) {
    envp.push_back(variable.data());
  }
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int spawned =
      posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    ::close(log);
    return error(Code::kUnavailable,
                 fmt::format("cannot run {}: {} (install Debian's postgresql-client)", program,
                             std::generic_category().message(spawned)));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    ::close(log);
    return ok();
  }
  // The end of what it said, which names the cause (never the password: not on its
  // command line).
  std::string said(2048, '\0');
  const off_t size = ::lseek(log, 0, SEEK_END);
  const off_t from =
      size > static_cast<off_t>(said.size()) ? size - static_cast<off_t>(said.size()) : 0;
  const ssize_t got = ::pread(log, said.data(), said.size(), from);
  ::close(log);
  said.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) {
    said.pop_back();
  }
  return error(Code::kUnavailable, fmt::format("{} failed: {}", program, said));
}

Result<std::unique_ptr<PgConnection>> connect(const std::string& uri) {
  return PgConnection::open(uri);
}

}  // namespace

Result<void> dump_postgres_database(const std::string& uri, const std::filesystem::path& dump) {
  std::error_code ec;
  if (std::filesystem::exists(dump, ec)) {
    return error(Code::kAlreadyExists, fmt::format("{} exists already", dump.string()));
  }
  const ClientConnection client = WL_TRY(split_password(uri));
  auto dumped =
      run_client("pg_dump",
                 {"--format=custom", "--no-owner", "--no-privileges", "--serializable-deferrable",
                  "--file=" + dump.string(), "--dbname=" + client.conninfo},
                 client.password);
  if (!dumped) {
    std::filesystem::remove(dump, ec);
    return dumped;
  }
  std::filesystem::permissions(
      dump, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  return ok();
}

Result<void> restore_postgres_dump(const std::string& uri, const std::filesystem::path& dump) {
  {
    auto connection = WL_TRY(connect(uri));
    const PgResult tables = WL_TRY(connection->query(
        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()", "count tables"));
    if (tables.int64(0, 0) != 0) {
      return error(Code::kFailedPrecondition,
                   "the database holds tables: restore into a new, empty database");
    }
  }
  const ClientConnection client = WL_TRY(split_password(uri));
  return run_client("pg_restore",
                    {"--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
                     "--dbname=" + client.conninfo, dump.string()},
                    client.password);
}

Result<void> drop_restored_postgres_tables(const std::string& uri) {
  auto connection = WL_TRY(connect(uri));
  const PgResult tables =
      WL_TRY(connection->query("SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables "
                               "WHERE schemaname = current_schema()",
                               "list tables"));
  const std::string names = tables.bytes(0, 0);
  if (names.empty()) {
    return ok();
  }
  // DDL takes no parameters; the names are quoted identifiers read from the catalogue.
  const std::string drop = "DROP TABLE IF EXISTS " + names + " CASCADE";
  return connection->execute(drop.c_str(), "drop restored tables");
}

Result<PostgresDatabaseCheck> check_postgres_database(const std::string& uri) {
  auto connection = WL_TRY(connect(uri));
  PostgresDatabaseCheck check;
  check.schema_version = WL_TRY(detail::pg::read_schema_version(*connection));
  if (check.schema_version <= 0) {
    return error(Code::kDataLoss, "not a Wardline store (no schema version)");
  }
  if (check.schema_version > detail::pg::kPostgresSchemaVersion) {
    return error(Code::kFailedPrecondition,
                 fmt::format("written by a newer Wardline (store schema {}; this build reads up "
                             "to {}): restore it with that version or a later one",
                             check.schema_version, detail::pg::kPostgresSchemaVersion));
  }
  check.instance_id = WL_TRY(detail::pg::read_instance_id(*connection));
  return check;
}

Result<std::string> renew_postgres_instance_id(const std::string& uri) {
  auto connection = WL_TRY(connect(uri));
  WL_TRY(detail::pg::read_instance_id(*connection));
  const std::string renewed = detail::pg::new_instance_id();
  WL_TRY(connection->query("UPDATE meta SET instance_id = $1 WHERE id = 1",
                           Params().add_text(renewed), "renew instance id"));
  return renewed;
}

}  // namespace wl
