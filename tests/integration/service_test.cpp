// `wardline serve` under a service manager (systemd, Type=notify): READY=1 once TLS
// connections are accepted, STOPPING=1 when a signal starts the stop, nothing without
// $NOTIFY_SOCKET (docs/operations.md, "Install as a service").
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/unique_fd.hpp"
#include "support/notify_socket.hpp"
#include "support/server_process.hpp"
#include "unit/net/raw_tls_client.hpp"

namespace wl::testing {
namespace {
namespace fs = std::filesystem;
using net::testing::RawTlsClient;

// A demo server started as systemd would: with NOTIFY_SOCKET=`notify_socket` (unset if
// empty), its output to `log`. Unlike ServerProcess, nothing waits for its "listening"
// line: the notifications alone say when it is ready.
class ServiceProcess {
 public:
  // `watchdog_usec`: WATCHDOG_USEC as systemd sets it for WatchdogSec= (none if empty).
  ServiceProcess(const fs::path& data_dir, const std::string& notify_socket,
                 const std::string& watchdog_usec = "")
      : log_(data_dir.string() + ".log") {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
      ::unsetenv("NOTIFY_SOCKET");
      ::unsetenv("WATCHDOG_USEC");
      ::unsetenv("WATCHDOG_PID");
      if (!notify_socket.empty()) {
        ::setenv("NOTIFY_SOCKET", notify_socket.c_str(), 1);
      }
      if (!watchdog_usec.empty()) {
        ::setenv("WATCHDOG_USEC", watchdog_usec.c_str(), 1);
      }
      std::string binary = WL_BINARY_PATH;
      std::vector<std::string> arguments{
          binary,        "serve", "--demo",     "--fast-password-hashing",
          "--port",      "0",     "--data-dir", data_dir.string(),
          "--log-level", "warn"};
      std::vector<char*> argv;
      for (std::string& argument : arguments) {
        argv.push_back(argument.data());
      }
      argv.push_back(nullptr);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
  }
  ~ServiceProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  void terminate() const { ::kill(pid_, SIGTERM); }

  // Whether the process has not exited yet.
  bool is_running() const {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == 0;
  }

  // Waits up to 30 s for the exit; its code, 128 + the signal, or -1 on a timeout.
  int wait_for_exit() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  // Waits up to 30 s for `text` in the output; false if it does not come.
  bool wait_for_output(std::string_view text) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (output().find(text) != std::string::npos) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::string output() const {
    std::ifstream stream(log_);
    return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
};

// The port of a READY=1 notification's "STATUS=listening on https://127.0.0.1:PORT",
// or 0 if it has none.
std::uint16_t status_port(const std::string& notification) {
  constexpr std::string_view kStatus = "\nSTATUS=listening on https://127.0.0.1:";
  const auto at = notification.find(kStatus);
  if (at == std::string::npos) {
    return 0;
  }
  return static_cast<std::uint16_t>(std::stoi(notification.substr(at + kStatus.size())));
}

constexpr auto kStartTimeout = std::chrono::seconds(30);

TEST(ServiceTest, ReadyOnlyOnceTlsIsAcceptedThenStoppingOnSigterm) {
  TempDir temp;
  NotifySocket manager((temp.path() / "notify").string());
  ServiceProcess server(temp.path() / "data", manager.name());

  // The first notification is READY=1, and the port it names completes a TLS
  // handshake at once.
  const std::optional<std::string> ready = manager.receive(kStartTimeout);
  ASSERT_TRUE(ready) << server.output();
  EXPECT_TRUE(ready->starts_with("READY=1\n")) << *ready;
  const std::uint16_t port = status_port(*ready);
  ASSERT_NE(port, 0) << *ready;
  EXPECT_NE(RawTlsClient::connect(port), nullptr);

  server.terminate();
  const std::optional<std::string> stopping = manager.receive(kStartTimeout);
  ASSERT_TRUE(stopping) << server.output();
  EXPECT_TRUE(stopping->starts_with("STOPPING=1\n")) << *stopping;
  EXPECT_EQ(server.wait_for_exit(), 0) << server.output();
  EXPECT_EQ(manager.receive(std::chrono::milliseconds(0)), std::nullopt);
}

// Under WatchdogSec= (here 2 s), WATCHDOG=1 comes every half interval while the io
// threads answer; without a watchdog, none comes.
TEST(ServiceTest, UnderAWatchdogItPingsEveryHalfInterval) {
  TempDir temp;
  NotifySocket manager((temp.path() / "notify").string());
  ServiceProcess server(temp.path() / "data", manager.name(), "2000000");
  const std::optional<std::string> ready = manager.receive(kStartTimeout);
  ASSERT_TRUE(ready) << server.output();
  ASSERT_TRUE(ready->starts_with("READY=1\n")) << *ready;
  for (int ping = 0; ping < 3; ++ping) {
    const std::optional<std::string> alive = manager.receive(std::chrono::milliseconds(2500));
    ASSERT_TRUE(alive) << "no watchdog ping " << ping << "\n" << server.output();
    EXPECT_EQ(*alive, "WATCHDOG=1");
  }
  EXPECT_EQ(server.output().find("did not answer"), std::string::npos)
      << "every check had time to hear from the io threads\n"
      << server.output();
  server.terminate();
  const std::optional<std::string> stopping = manager.receive(kStartTimeout);
  ASSERT_TRUE(stopping);
  EXPECT_TRUE(stopping->starts_with("STOPPING=1\n")) << *stopping;
  EXPECT_EQ(server.wait_for_exit(), 0) << server.output();
  EXPECT_EQ(manager.receive(std::chrono::milliseconds(0)), std::nullopt) << "no ping once stopping";
}

TEST(ServiceTest, NotifiesAnAbstractSocket) {
  TempDir temp;
  NotifySocket manager("@wardline-service-test-" + temp.path().filename().string());
  ServiceProcess server(temp.path() / "data", manager.name());

  const std::optional<std::string> ready = manager.receive(kStartTimeout);
  ASSERT_TRUE(ready) << server.output();
  EXPECT_TRUE(ready->starts_with("READY=1\n")) << *ready;
  server.terminate();
  EXPECT_EQ(server.wait_for_exit(), 0) << server.output();
}

TEST(ServiceTest, ServesAndStopsCleanlyWithoutAServiceManager) {
  TempDir temp;
  ServiceProcess server(temp.path() / "data", "");
  ASSERT_TRUE(server.wait_for_output("listening on https://")) << server.output();
  server.terminate();
  EXPECT_EQ(server.wait_for_exit(), 0) << server.output();
}

TEST(ServiceTest, AManagerThatDoesNotListenIsLoggedNotFatal) {
  TempDir temp;
  ServiceProcess server(temp.path() / "data", (temp.path() / "nobody").string());
  ASSERT_TRUE(server.wait_for_output("listening on https://")) << server.output();
  ASSERT_TRUE(server.wait_for_output("cannot notify the service manager")) << server.output();
  EXPECT_TRUE(server.is_running());
  server.terminate();
  EXPECT_EQ(server.wait_for_exit(), 0) << server.output();
}

// The output of `command` (stdout and stderr) and its exit code.
int run_shell(const std::string& command, std::string* output) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  char buffer[4096];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    output->append(buffer, count);
  }
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Runs scripts/install-service.sh from `tree`, a copy of the source tree's layout, as an
// unprivileged user even when the tests run as root: a refusal that breaks then fails
// on permissions instead of installing on the test machine. Returns its exit code.
int run_install_script(const fs::path& tree, std::string* output) {
  const std::string user =
      ::geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "";
  return run_shell(
      "cd / && env -u BUILD_DIR " + user + "bash " + (tree / "scripts/install-service.sh").string(),
      output);
}

// A tree with what the install script installs: the script, the unit, the docs, a
// stand-in for the built binary (unless `with_binary` is false) and the web app.
void make_install_tree(const fs::path& tree, bool with_binary) {
  const fs::path source = WL_SOURCE_DIR;
  for (const char* file : {"scripts/install-service.sh", "dist/systemd/wardline.service",
                           "dist/systemd/wardline.toml", "docs/operations.md"}) {
    fs::create_directories((tree / file).parent_path());
    fs::copy_file(source / file, tree / file);
  }
  fs::create_directories(tree / "web/dist");
  std::ofstream(tree / "web/dist/index.html") << "<!doctype html>\n";
  if (with_binary) {
    fs::create_directories(tree / "build/src/cli");
    std::ofstream(tree / "build/src/cli/wardline") << "#!/bin/sh\nexit 0\n";
    fs::permissions(tree / "build/src/cli/wardline",
                    fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                        fs::perms::others_read | fs::perms::others_exec);
  }
}

TEST(InstallServiceTest, RefusesToRunAsAnotherUserThanRoot) {
  TempDir temp;
  make_install_tree(temp.path(), true);
  std::string output;
  EXPECT_EQ(run_install_script(temp.path(), &output), 1) << output;
  EXPECT_NE(output.find("install-service: must run as root"), std::string::npos) << output;
}

TEST(InstallServiceTest, RefusesWithoutABuiltBinary) {
  TempDir temp;
  make_install_tree(temp.path(), false);
  std::string output;
  EXPECT_EQ(run_install_script(temp.path(), &output), 1) << output;
  EXPECT_NE(output.find("build/src/cli/wardline is not built: run 'make build' first"),
            std::string::npos)
      << output;
}

// systemd reads a unit it does not understand with warnings and goes on without the
// line (a misspelt hardening option is silently not applied): verify reports them.
TEST(ServiceUnitTest, SystemdReadsTheUnitWithoutAWarning) {
  std::string found;
  ASSERT_EQ(run_shell("command -v systemd-analyze", &found), 0)
      << "systemd-analyze is missing: scripts/setup.sh installs Debian's systemd";
  TempDir temp;
  // The unit's ExecStart must name an executable: the built one stands in.
  std::ifstream source(fs::path(WL_SOURCE_DIR) / "dist/systemd/wardline.service");
  std::string unit(std::istreambuf_iterator<char>(source), {});
  const std::string installed = "/usr/local/bin/wardline";
  const auto at = unit.find(installed);
  ASSERT_NE(at, std::string::npos);
  unit.replace(at, installed.size(), WL_BINARY_PATH);
  std::ofstream(temp.path() / "wardline.service") << unit;

  std::string output;
  EXPECT_EQ(
      run_shell("systemd-analyze verify " + (temp.path() / "wardline.service").string(), &output),
      0)
      << output;
  EXPECT_EQ(output, "");
}

// The configuration the install script writes for the service is one serve accepts.
TEST(ServiceUnitTest, TheServicesConfigurationPassesTheCheck) {
  const fs::path config = fs::path(WL_SOURCE_DIR) / "dist/systemd/wardline.toml";
  std::string output;
  EXPECT_EQ(run_wardline({"config", "check", config.string()}, &output), 0) << output;
}

}  // namespace
}  // namespace wl::testing
