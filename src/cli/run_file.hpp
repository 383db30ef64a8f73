#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/status.hpp"

// The run file: what `wardline serve` leaves in its data directory so that a local
// `wardline admin` can reach it while it serves (docs/operations.md, "Administration
// while the server runs"). Its format:
//
//   # wardline run file: ...           comment lines start with '#'
//   version 1
//   pid 4242                           the server process
//   address 127.0.0.1                  an IP literal to connect to (loopback when the
//   port 8443                          server listens on every address)
//   certificate_pin <base64>           SHA-256 of the served certificate's public key
//   admin_token <64 hex digits>        the admin token (32 random bytes)
//
// Every key exactly once, in any order; nothing else. The file is 0600, replaced
// atomically, and removed when the server stops cleanly.
namespace wl::cli {

inline constexpr std::string_view kRunFileName = "server.run";
// Larger files are refused unread.
inline constexpr std::size_t kMaxRunFileBytes = 4096;
inline constexpr std::size_t kAdminTokenBytes = 32;

struct RunFile {
  std::int64_t pid = 0;
  std::string address;  // An IPv4 or IPv6 literal, never a name (no lookup).
  std::uint16_t port = 0;
  std::string certificate_pin;  // base64 (RFC 4648 section 4) of 32 bytes.
  std::string admin_token;      // 2 * kAdminTokenBytes lower-case hex digits.
};

// The file's text for `run`, which must be valid (as parse_run_file accepts).
std::string format_run_file(const RunFile& run);

// Parses a run file's text. Errors: InvalidArgument naming what is wrong (too long, a
// line that is not "key value", an unknown, missing or repeated key, a version other
// than 1, a pid, port, address, pin or token out of form). Never echoes the token.
[[nodiscard]] Result<RunFile> parse_run_file(std::string_view text);

// Reads and parses the run file. Errors: NotFound if there is none; FailedPrecondition
// if it is not a regular file or group or others may access it; InvalidArgument as
// parse_run_file, or over kMaxRunFileBytes; Unavailable for an I/O error. Blocks.
[[nodiscard]] Result<RunFile> read_run_file(const std::filesystem::path& file);

// Writes the file atomically with mode 0600 (crypto::write_secret_file). Errors: as
// write_secret_file. Blocks.
[[nodiscard]] Result<void> write_run_file(const std::filesystem::path& file, const RunFile& run);

// The address a local client connects to for a server bound to `bind_address`: the
// loopback address of the same family for a wildcard (0.0.0.0, ::), 127.0.0.1 for a
// name (such as localhost), else the address itself.
std::string local_address_for(std::string_view bind_address);

// Whether a process with this pid exists (it may belong to another user).
bool is_process_alive(std::int64_t pid);

}  // namespace wl::cli
