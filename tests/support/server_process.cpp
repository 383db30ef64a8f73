#include "support/server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

#include <gtest/gtest.h>

namespace wl::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device random;
  path_ = fs::temp_directory_path() /
          ("wardline-test-" + std::to_string(getpid()) + "-" + std::to_string(random()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

namespace {

pid_t spawn(const std::vector<std::string>& arguments, const std::vector<std::string>& environment,
            int* output_fd) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    throw std::runtime_error("pipe failed");
  }
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    for (const std::string& variable : environment) {
      putenv(const_cast<char*>(variable.c_str()));
    }
    std::vector<char*> argv;
    std::string binary = WL_BINARY_PATH;
    argv.push_back(binary.data());
    for (const std::string& argument : arguments) {
      argv.push_back(const_cast<char*>(argument.c_str()));
    }
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  *output_fd = pipe_fds[0];
  return pid;
}

}  // namespace

int run_wardline(const std::vector<std::string>& arguments, std::string* output,
                 const std::vector<std::string>& environment) {
  int fd = -1;
  const pid_t pid = spawn(arguments, environment, &fd);
  std::string text;
  char buffer[4096];
  ssize_t count;
  while ((count = read(fd, buffer, sizeof buffer)) > 0) {
    text.append(buffer, static_cast<std::size_t>(count));
  }
  close(fd);
  int status = 0;
  waitpid(pid, &status, 0);
  if (output != nullptr) {
    *output = std::move(text);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

ServerProcess::ServerProcess(fs::path data_dir, std::vector<std::string> extra)
    : data_dir_(std::move(data_dir)), extra_(std::move(extra)) {}

ServerProcess::~ServerProcess() { stop(); }

void ServerProcess::start() {
  std::vector<std::string> arguments{
      "serve", "--demo",     "--fast-password-hashing", "--port",
      "0",     "--data-dir", data_dir_.string(),        "--log-level",
      "warn"};
  if (!config_file_.empty()) {
    arguments = {"serve",       "--config", config_file_.string(), "--fast-password-hashing",
                 "--log-level", "warn"};
  }
  arguments.insert(arguments.end(), extra_.begin(), extra_.end());
  // The server writes to a log file, so it never blocks on a pipe nobody reads.
  const fs::path log = data_dir_.string() + ".log";
  std::error_code ignored;
  fs::remove(log, ignored);  // Never read the previous run's "listening" line.
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
    if (has_test_clock()) {
      setenv("WARDLINE_TEST_CLOCK", "1", 1);
    }
    std::vector<char*> argv;
    std::string binary = WL_BINARY_PATH;
    argv.push_back(binary.data());
    for (const std::string& argument : arguments) {
      argv.push_back(const_cast<char*>(argument.c_str()));
    }
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  constexpr std::string_view kMarker = "listening on https://127.0.0.1:";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string seen;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream stream(log);
    seen.assign(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
    const auto at = seen.find(kMarker);
    if (at != std::string::npos) {
      const auto end = seen.find('\n', at);
      if (end != std::string::npos) {
        port_ = static_cast<std::uint16_t>(
            std::stoi(seen.substr(at + kMarker.size(), end - at - kMarker.size())));
        return;
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "server did not start; output:\n" << seen;
}

void ServerProcess::stop() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void ServerProcess::send_signal(int signal_number) const {
  if (pid_ > 0) {
    ::kill(pid_, signal_number);
  }
}

std::string ServerProcess::output() const {
  std::ifstream stream(data_dir_.string() + ".log");
  return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
}

fs::path ServerProcess::clock_file() const { return data_dir_.string() + ".clock"; }

bool ServerProcess::has_test_clock() const {
  return std::find(extra_.begin(), extra_.end(), "--test-clock-file") != extra_.end();
}

bool ServerProcess::advance_clock(std::chrono::seconds by) {
  clock_offset_ += by;
  {
    std::ofstream file(clock_file(), std::ios::trunc);
    file << clock_offset_.count() << "\n";
  }
  const std::string marker = "test clock offset " + std::to_string(clock_offset_.count()) + " s\n";
  send_signal(SIGUSR2);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (output().find(marker) != std::string::npos) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "the server did not move its clock; output:\n" << output();
  return false;
}

long ServerProcess::peak_resident_kib() const {
  if (pid_ <= 0) {
    return -1;
  }
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) {
      return std::stol(line.substr(6));
    }
  }
  return -1;
}

void ServerProcess::kill_hard() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

net::ClientOptions ServerProcess::client_options() const {
  net::ClientOptions options;
  options.host = "127.0.0.1";
  options.port = port_;
  options.ca_file = (data_dir_ / "tls" / "ca.pem").string();
  return options;
}

std::string printed_audit_key(const std::string& output, std::string* fingerprint) {
  constexpr std::string_view kMarker = "wardline: audit public key ";
  const auto at = output.find(kMarker);
  if (at == std::string::npos) {
    return {};
  }
  std::istringstream line(output.substr(at + kMarker.size()));
  std::string key;
  std::string word;
  line >> key >> word;
  if (fingerprint != nullptr) {
    line >> *fingerprint;
  }
  return key;
}

}  // namespace wl::testing
