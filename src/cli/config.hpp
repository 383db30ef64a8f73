#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <CLI/App.hpp>

// The configuration file of `wardline serve` (docs/operations.md, "Configuration
// file"): TOML `key = value` lines, each key the long name of one of serve's options
// without its dashes. CLI11 reads the values (CLI::ConfigTOML) and converts and
// validates them as it does the command line's; this file adds what CLI11 lacks: the
// line of each problem, every problem at once rather than the first, and the refusal of
// options that only the command line may give (CLI::Option::configurable(false): the
// test and benchmark switches, which a file left on a server must not turn on).
// Exceptions end here: every function reports problems as values.
namespace wl::cli {

// One `key = value` line of a configuration file. `values` are CLI11's reading of the
// value: one string, or one per element of an array.
struct ConfigEntry {
  int line = 0;
  std::string key;
  std::vector<std::string> values;
};

// A problem with a configuration file, at `line` (0: the file as a whole).
struct ConfigProblem {
  int line = 0;
  std::string message;
};

// A configuration file as read against a command's options: the entries that name an
// option the file may set, and a problem for every line that does not.
struct ConfigFile {
  std::vector<ConfigEntry> entries;
  std::vector<ConfigProblem> problems;
};

// The keys a configuration file may set on `command`, sorted: the long names, without
// dashes, of its configurable options (not --help).
std::vector<std::string> config_keys(const CLI::App& command);

// Reads `path` against `command`'s options. A problem for: a file that cannot be read; a
// line that is not blank, a comment or `key = value` (sections and arrays over several
// lines among them); an unknown key (with the nearest known one); a key that only the
// command line may give; a key given twice. Values are not checked here.
ConfigFile read_config_file(const std::filesystem::path& path, const CLI::App& command);

// Sets the option of each entry on `command` unless the command line already set it,
// through the option's own conversion and validators. `entries` must come from
// read_config_file against a command with the same options. Returns a problem for each
// value refused (its option is then left as CLI11 left it).
std::vector<ConfigProblem> apply_config(const std::vector<ConfigEntry>& entries, CLI::App& command);

// Checks what CLI11 checks between options (Option::needs, Option::excludes) over all of
// `command`'s set options, once the file's are applied; each problem is placed at the
// line of the entry that set one of the two options.
std::vector<ConfigProblem> check_option_relations(const std::vector<ConfigEntry>& entries,
                                                  const CLI::App& command);

// For `serve --config path`: checks every value of the file (including those the command
// line overrides) on a fresh set of serve's options, then sets the file's values that
// the command line left unset on `serve_command`, which CLI11 has parsed, and checks the
// options' relations. Returns every problem, sorted by line; when it returns none,
// `serve_command`'s options hold the command line's values over the file's.
std::vector<ConfigProblem> load_serve_config(const std::filesystem::path& path,
                                             CLI::App& serve_command);

// What `wardline config check path` reports: every problem of the file as `serve`
// would find it with no other flags, sorted by line. Opens no store and no port.
std::vector<ConfigProblem> check_serve_config(const std::filesystem::path& path);

// "PATH:LINE: MESSAGE" (or "PATH: MESSAGE" for the file as a whole).
std::string format_config_problem(const std::filesystem::path& path, const ConfigProblem& problem);

// Writes each problem to stderr as "wardline: PATH:LINE: MESSAGE".
void print_config_problems(const std::filesystem::path& path,
                           const std::vector<ConfigProblem>& problems);

}  // namespace wl::cli
