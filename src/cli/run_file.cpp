#include "cli/run_file.hpp"

#include <arpa/inet.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "core/crypto/secret_file.hpp"

namespace wl::cli {
namespace {

constexpr std::string_view kKeys[] = {"version",         "pid",        "address", "port",
                                      "certificate_pin", "admin_token"};

Status malformed(std::string_view what) {
  return Status(Code::kInvalidArgument, fmt::format("the run file is not valid: {}", what));
}

template <typename Integer>
bool parse_integer(std::string_view text, Integer minimum, Integer maximum, Integer& out) {
  if (text.empty() || text.size() > 20) {
    return false;
  }
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && out >= minimum &&
         out <= maximum;
}

bool is_ip_literal(const std::string& text) {
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Standard base64 of 32 bytes: 43 characters of the alphabet and one '='.
bool is_sha256_base64(std::string_view text) {
  if (text.size() != 44 || text.back() != '=') {
    return false;
  }
  return std::all_of(text.begin(), text.end() - 1, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  });
}

}  // namespace

std::string format_run_file(const RunFile& run) {
  return fmt::format(
      "# wardline run file: how a local `wardline admin` reaches this server. Secret: the\n"
      "# admin token acts as the system. Removed when the server stops.\n"
      "version 1\n"
      "pid {}\n"
      "address {}\n"
      "port {}\n"
      "certificate_pin {}\n"
      "admin_token {}\n",
      run.pid, run.address, run.port, run.certificate_pin, run.admin_token);
}

Result<RunFile> parse_run_file(std::string_view text) {
  if (text.size() > kMaxRunFileBytes) {
    return std::unexpected(malformed("it is too long"));
  }
  std::map<std::string_view, std::string_view> values;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == line.size()) {
      return std::unexpected(malformed("a line is not 'key value'"));
    }
    const std::string_view key = line.substr(0, space);
    const std::string_view value = line.substr(space + 1);
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return std::unexpected(malformed("it has an unknown key"));
    }
    if (!values.emplace(key, value).second) {
      return std::unexpected(malformed(fmt::format("'{}' is there twice", key)));
    }
  }
  for (const std::string_view key : kKeys) {
    if (!values.contains(key)) {
      return std::unexpected(malformed(fmt::format("'{}' is missing", key)));
    }
  }
  if (values.at("version") != "1") {
    return std::unexpected(malformed("its version is not 1"));
  }
  RunFile run;
  if (!parse_integer<std::int64_t>(values.at("pid"), 1, std::numeric_limits<pid_t>::max(),
                                   run.pid)) {
    return std::unexpected(malformed("'pid' is not a process id"));
  }
  if (!parse_integer<std::uint16_t>(values.at("port"), 1, 65535, run.port)) {
    return std::unexpected(malformed("'port' is not a port"));
  }
  run.address = std::string(values.at("address"));
  if (run.address.size() > 64 || !is_ip_literal(run.address)) {
    return std::unexpected(malformed("'address' is not an IP address"));
  }
  run.certificate_pin = std::string(values.at("certificate_pin"));
  if (!is_sha256_base64(run.certificate_pin)) {
    return std::unexpected(malformed("'certificate_pin' is not a base64 SHA-256"));
  }
  run.admin_token = std::string(values.at("admin_token"));
  if (run.admin_token.size() != 2 * kAdminTokenBytes || !is_lower_hex(run.admin_token)) {
    return std::unexpected(
        malformed(fmt::format("'admin_token' is not {} hex digits", 2 * kAdminTokenBytes)));
  }
  return run;
}

Result<RunFile> read_run_file(const std::filesystem::path& file) {
  auto text = crypto::read_secret_file(file, kMaxRunFileBytes);
  if (!text) {
    const Status& failure = text.error();
    if (failure.code() == Code::kInvalidArgument) {
      return std::unexpected(malformed("it is too long"));
    }
    // read_secret_file's messages say "secret file"; this one has a name.
    std::string message = failure.message();
    if (message.starts_with("secret file")) {
      message.replace(0, 11, "the run file");
    }
    return std::unexpected(Status(failure.code(), std::move(message)));
  }
  return parse_run_file(*text);
}

Result<void> write_run_file(const std::filesystem::path& file, const RunFile& run) {
  return crypto::write_secret_file(file, format_run_file(run));
}

std::string local_address_for(std::string_view bind_address) {
  if (bind_address == "::" || bind_address == "[::]") {
    return "::1";
  }
  const std::string address(bind_address);
  // A name ("localhost") is resolved by the listener; the run file holds only
  // literals, so that a client never looks a name up.
  if (address == "0.0.0.0" || !is_ip_literal(address)) {
    return "127.0.0.1";
  }
  return address;
}

bool is_process_alive(std::int64_t pid) {
  if (pid <= 0 || pid > std::numeric_limits<pid_t>::max()) {
    return false;
  }
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace wl::cli
