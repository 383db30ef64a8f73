#include "support/postgres_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <vector>

#include <libpq-fe.h>

namespace wl::testing {
namespace {

constexpr int kStartAttempts = 5;

Status unavailable(const std::string& message) {
  return Status(Code::kUnavailable, "PostgreSQL test server: " + message);
}

// The newest /usr/lib/postgresql/<version>/bin holding initdb, or $WL_POSTGRES_BIN.
std::optional<std::filesystem::path> find_binaries() {
  if (const char* configured = std::getenv("WL_POSTGRES_BIN"); configured != nullptr) {
    return std::filesystem::path(configured);
  }
  std::optional<std::filesystem::path> best;
  int best_version = -1;
  std::error_code ignored;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ignored)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos ||
        name.size() > 4) {
      continue;
    }
    const int version = std::stoi(name);
    if (version > best_version && std::filesystem::exists(entry.path() / "bin" / "initdb")) {
      best_version = version;
      best = entry.path() / "bin";
    }
  }
  return best;
}

std::optional<std::string> find_runuser() {
  for (const char* candidate : {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"}) {
    if (access(candidate, X_OK) == 0) {
      return std::string(candidate);
    }
  }
  return std::nullopt;
}

// A port on 127.0.0.1 that nothing listened on a moment ago.
Result<std::uint16_t> free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return std::unexpected(unavailable("cannot open a socket to find a free port"));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                     getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  if (!bound) {
    return std::unexpected(unavailable("cannot bind a socket to find a free port"));
  }
  return ntohs(address.sin_port);
}

// Runs argv (no shell), its output appended to `log`; returns its exit status.
int run(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  std::vector<char*> args;
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  const pid_t child = fork();
  if (child < 0) {
    return -1;
  }
  if (child == 0) {
    const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out >= 0) {
      dup2(out, STDOUT_FILENO);
      dup2(out, STDERR_FILENO);
    }
    const int in = open("/dev/null", O_RDONLY);
    if (in >= 0) {
      dup2(in, STDIN_FILENO);
    }
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      return -1;
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string tail_of(const std::filesystem::path& file, std::size_t bytes) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  const std::string text = content.str();
  return text.size() <= bytes ? text : text.substr(text.size() - bytes);
}

std::string quote_identifier(const std::string& name) { return "\"" + name + "\""; }

constexpr std::string_view kDirectoryPrefix = "wl_pg_";

// The servers of test processes that died without stopping theirs (killed, or crashed
// past the exit handlers): each directory is named after its process id, so one whose
// process is gone is stopped and removed. Those of live processes are left alone.
void stop_abandoned_servers(const std::filesystem::path& binaries, bool as_postgres_user) {
  std::error_code ignored;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::temp_directory_path(), ignored)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(kDirectoryPrefix)) {
      continue;
    }
    const std::string rest = name.substr(kDirectoryPrefix.size());
    const std::size_t end = rest.find('_');
    if (end == 0 || end == std::string::npos || rest.find_first_not_of("0123456789") != end ||
        end > 9) {
      continue;
    }
    const pid_t owner = static_cast<pid_t>(std::stol(rest.substr(0, end)));
    if (kill(owner, 0) == 0 || errno != ESRCH) {
      continue;  // Still running (or not ours to judge).
    }
    if (std::filesystem::exists(entry.path() / "data" / "postmaster.pid")) {
      std::vector<std::string> stop = {(binaries / "pg_ctl").string(),
                                       "stop",
                                       "-D",
                                       (entry.path() / "data").string(),
                                       "-m",
                                       "immediate",
                                       "-w",
                                       "-s"};
      if (as_postgres_user) {
        if (const std::optional<std::string> runuser = find_runuser()) {
          stop.insert(stop.begin(), {*runuser, "-u", "postgres", "--"});
        }
      }
      (void)run(stop, "/dev/null");
    }
    std::filesystem::remove_all(entry.path(), ignored);
  }
}

}  // namespace

Result<PostgresServer*> PostgresServer::shared() {
  struct Shared {
    std::mutex mutex;
    std::unique_ptr<PostgresServer> server;
    std::optional<Status> failure;
  };
  // Destroyed at exit, which stops the server.
  static Shared shared;
  std::lock_guard lock(shared.mutex);
  if (shared.server) {
    return shared.server.get();
  }
  if (shared.failure) {
    return std::unexpected(*shared.failure);
  }
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  if (auto started = server->start(); !started) {
    shared.failure = started.error();
    return std::unexpected(started.error());
  }
  shared.server = std::move(server);
  return shared.server.get();
}

Result<void> PostgresServer::start() {
  const std::optional<std::filesystem::path> binaries = find_binaries();
  if (!binaries) {
    return std::unexpected(
        unavailable("no PostgreSQL binaries in /usr/lib/postgresql/<version>/bin (scripts/setup.sh "
                    "installs them) and WL_POSTGRES_BIN is not set"));
  }
  binaries_ = *binaries;
  as_postgres_user_ = geteuid() == 0;
  stop_abandoned_servers(binaries_, as_postgres_user_);
  std::string pattern = (std::filesystem::temp_directory_path() /
                         (std::string(kDirectoryPrefix) + std::to_string(getpid()) + "_XXXXXX"))
                            .string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return std::unexpected(unavailable("cannot create a temporary directory"));
  }
  directory_ = pattern;
  if (as_postgres_user_) {
    // PostgreSQL refuses to run as root: the server runs as the postgres system user,
    // which must own its directory.
    const passwd* user = getpwnam("postgres");
    if (user == nullptr) {
      return std::unexpected(unavailable("running as root, but there is no postgres user"));
    }
    if (chown(directory_.c_str(), user->pw_uid, user->pw_gid) != 0) {
      return std::unexpected(unavailable("cannot give the temporary directory to postgres"));
    }
    if (!find_runuser()) {
      return std::unexpected(unavailable("running as root, but runuser is missing"));
    }
  }
  const std::filesystem::path log = directory_ / "commands.log";
  std::vector<std::string> initdb = {(binaries_ / "initdb").string(),
                                     "-D",
                                     (directory_ / "data").string(),
                                     "-U",
                                     "postgres",
                                     "-A",
                                     "trust",
                                     "-E",
                                     "UTF8",
                                     "--locale=C",
                                     "--no-sync",
                                     "--no-instructions"};
  if (as_postgres_user_) {
    initdb.insert(initdb.begin(), {*find_runuser(), "-u", "postgres", "--"});
  }
  if (run(initdb, log) != 0) {
    return std::unexpected(unavailable("initdb failed: " + tail_of(log, 2000)));
  }
  return start_on_free_port();
}

Result<void> PostgresServer::start_on_free_port() {
  const std::filesystem::path log = directory_ / "commands.log";
  const std::filesystem::path server_log = directory_ / "server.log";
  for (int attempt = 1; attempt <= kStartAttempts; ++attempt) {
    port_ = WL_TRY(free_port());
    // pg_ctl passes -o to the server through a shell; the directory name is ours
    // (mkdtemp) and holds no spaces or quotes.
    const std::string options = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) +
                                " -k " + directory_.string() +
                                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                                " -c max_connections=200 -c shared_buffers=32MB";
    std::vector<std::string> start = {(binaries_ / "pg_ctl").string(),
                                      "start",
                                      "-D",
                                      (directory_ / "data").string(),
                                      "-l",
                                      server_log.string(),
                                      "-w",
                                      "-t",
                                      "60",
                                      "-s",
                                      "-o",
                                      options};
    if (as_postgres_user_) {
      start.insert(start.begin(), {*find_runuser(), "-u", "postgres", "--"});
    }
    if (run(start, log) == 0) {
      running_ = true;
      break;
    }
    const std::string reason = tail_of(server_log, 2000);
    // Another process took the port between our probe and the server's bind: retry.
    if (reason.find("Address already in use") == std::string::npos || attempt == kStartAttempts) {
      return std::unexpected(
          unavailable("the server did not start: " + reason + tail_of(log, 1000)));
    }
  }
  const std::string admin = "host=" + directory_.string() + " port=" + std::to_string(port_) +
                            " dbname=postgres user=postgres connect_timeout=10";
  admin_ = PQconnectdb(admin.c_str());
  if (admin_ == nullptr || PQstatus(admin_) != CONNECTION_OK) {
    return std::unexpected(unavailable(std::string("cannot connect to the server: ") +
                                       (admin_ != nullptr ? PQerrorMessage(admin_) : "")));
  }
  return ok();
}

PostgresServer::~PostgresServer() {
  if (admin_ != nullptr) {
    PQfinish(admin_);
  }
  if (running_) {
    std::vector<std::string> stop = {(binaries_ / "pg_ctl").string(),
                                     "stop",
                                     "-D",
                                     (directory_ / "data").string(),
                                     "-m",
                                     "fast",
                                     "-w",
                                     "-s"};
    if (as_postgres_user_) {
      if (const std::optional<std::string> runuser = find_runuser()) {
        stop.insert(stop.begin(), {*runuser, "-u", "postgres", "--"});
      }
    }
    (void)run(stop, directory_ / "commands.log");
  }
  if (!directory_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
}

Result<std::string> PostgresServer::create_database() {
  std::lock_guard lock(mutex_);
  const std::string name =
      "wl_test_" + std::to_string(getpid()) + "_" + std::to_string(next_database_++);
  const std::string sql = "CREATE DATABASE " + quote_identifier(name) + " TEMPLATE template0";
  PGresult* result = PQexec(admin_, sql.c_str());
  const bool created = PQresultStatus(result) == PGRES_COMMAND_OK;
  PQclear(result);
  if (!created) {
    return std::unexpected(
        unavailable(std::string("CREATE DATABASE failed: ") + PQerrorMessage(admin_)));
  }
  return name;
}

Result<void> PostgresServer::drop_database(const std::string& name) {
  std::lock_guard lock(mutex_);
  const std::string sql = "DROP DATABASE IF EXISTS " + quote_identifier(name) + " WITH (FORCE)";
  PGresult* result = PQexec(admin_, sql.c_str());
  const bool dropped = PQresultStatus(result) == PGRES_COMMAND_OK;
  PQclear(result);
  if (!dropped) {
    return std::unexpected(
        unavailable(std::string("DROP DATABASE failed: ") + PQerrorMessage(admin_)));
  }
  return ok();
}

Result<void> PostgresServer::execute(const std::string& database, const std::string& sql) {
  PGconn* connection = PQconnectdb(conninfo(database).c_str());
  if (PQstatus(connection) != CONNECTION_OK) {
    const std::string message = PQerrorMessage(connection);
    PQfinish(connection);
    return std::unexpected(unavailable("cannot connect: " + message));
  }
  PGresult* result = PQexec(connection, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  const std::string message = PQresultErrorMessage(result);
  PQclear(result);
  PQfinish(connection);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return error(Code::kInternal, "PostgreSQL test server: SQL failed: " + message);
  }
  return ok();
}

std::string PostgresServer::conninfo(std::string_view database) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + std::string(database) +
         " user=postgres connect_timeout=10";
}

}  // namespace wl::testing
