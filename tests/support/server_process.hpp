#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "net/client.hpp"

namespace wl::testing {

// A temporary directory removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs the real `wardline` binary (WL_BINARY_PATH) and returns its exit code; output
// goes to `output` (stdout and stderr together).
int run_wardline(const std::vector<std::string>& arguments, std::string* output = nullptr,
                 const std::vector<std::string>& environment = {});

// The KEY of the "wardline: audit public key KEY fingerprint FINGERPRINT" line in a
// server's or admin command's output (its FINGERPRINT into `fingerprint` if given), or
// "" if there is none.
std::string printed_audit_key(const std::string& output, std::string* fingerprint = nullptr);

// A `wardline serve --demo` process on a free loopback port, over a data directory
// that outlives restarts (so a test can kill -9 it and start it again).
class ServerProcess {
 public:
  explicit ServerProcess(std::filesystem::path data_dir, std::vector<std::string> extra = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // From the next start() on, runs `serve --config file` with only the test flags
  // (--fast-password-hashing, --log-level warn) and the extra arguments on the command
  // line: the file sets the port, and its data directory must be data_dir().
  void use_config_file(std::filesystem::path file) { config_file_ = std::move(file); }

  // Starts the process and waits for its "listening" line (its output goes to
  // <data_dir>.log). Fails the test if it does not come within 30 s.
  void start();
  // SIGTERM and wait (graceful), or SIGKILL (crash).
  void stop();
  void kill_hard();

  // Sends `signal_number` to the running server (SIGHUP reloads its certificate).
  void send_signal(int signal_number) const;
  // Everything the server has written to stdout and stderr so far.
  std::string output() const;

  // The file of `serve --test-clock-file` for this server: pass
  // {"--test-clock-file", clock_file().string()} among the extra arguments to use
  // advance_clock().
  std::filesystem::path clock_file() const;
  // Moves the running server's clock forward by `by` and waits until it has (fails the
  // test, and returns false, if it does not within 10 s). The offsets add up across
  // calls, and hold across restarts once the clock is moved again.
  bool advance_clock(std::chrono::seconds by);
  // Whether the server was given a --test-clock-file (advance_clock needs one).
  bool has_test_clock() const;

  std::uint16_t port() const { return port_; }
  // The running server's peak resident memory (VmHWM) in KiB, or -1 if it is not running.
  long peak_resident_kib() const;
  net::ClientOptions client_options() const;
  const std::filesystem::path& data_dir() const { return data_dir_; }

 private:
  std::filesystem::path data_dir_;
  std::vector<std::string> extra_;
  std::filesystem::path config_file_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::chrono::seconds clock_offset_{0};
};

}  // namespace wl::testing
