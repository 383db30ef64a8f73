#include "cli/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>
#include <variant>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

namespace wl::cli {
namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

// The key a file uses for `option`: its first long name (--data-dir -> data-dir).
std::string key_of(const CLI::Option& option) {
  return option.get_lnames().empty() ? option.get_name() : option.get_lnames().front();
}

bool is_settable(const CLI::App& command, const CLI::Option& option) {
  return !option.get_lnames().empty() && &option != command.get_help_ptr() &&
         &option != command.get_help_all_ptr();
}

// The option a file's `key` names, or nullptr (the help flags are no keys).
const CLI::Option* option_for_key(const CLI::App& command, const std::string& key) {
  const CLI::Option* option = command.get_option_no_throw("--" + key);
  return option != nullptr && is_settable(command, *option) ? option : nullptr;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// `unknown key "prot" (did you mean "port"?)`: the nearest key within two edits, or the
// key with underscores for dashes (data_dir), as TOML habits from elsewhere write it.
std::string unknown_key_message(const CLI::App& command, const std::string& key) {
  std::string dashed = key;
  std::replace(dashed.begin(), dashed.end(), '_', '-');
  std::string nearest;
  std::size_t nearest_distance = 3;
  for (const std::string& known : config_keys(command)) {
    const std::size_t distance = known == dashed ? 0 : edit_distance(key, known);
    if (distance < nearest_distance) {
      nearest = known;
      nearest_distance = distance;
    }
  }
  if (nearest.empty()) {
    return fmt::format("unknown key \"{}\"", key);
  }
  return fmt::format("unknown key \"{}\" (did you mean \"{}\"?)", key, nearest);
}

// The line without its trailing comment: from the first # outside quotes. CLI11 2.1 cuts
// at the first # anywhere, which would truncate a quoted path or URI holding one, so it
// gets the line without the comment and with no comment character of its own. nullopt
// if a quoted string is not closed.
std::optional<std::string_view> without_comment(std::string_view line) {
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote == 0 && c == '#') {
      return trim(line.substr(0, i));
    }
    if (quote == 0 && (c == '"' || c == '\'')) {
      quote = c;
    } else if (quote == '"' && c == '\\') {
      ++i;  // An escaped character, perhaps a quote, inside "...".
    } else if (c == quote) {
      quote = 0;
    }
  }
  if (quote != 0) {
    return std::nullopt;
  }
  return line;
}

// CLI11's reading of one `key = value` line, or a problem. The line-by-line reading is
// what gives every entry its line; the cost is that a value must fit on its line.
std::variant<ConfigEntry, std::string> read_line(std::string_view full_line, int number) {
  const std::optional<std::string_view> uncommented = without_comment(full_line);
  if (!uncommented) {
    return std::string("a quoted string is not closed on its line");
  }
  const std::string_view line = *uncommented;
  if (line.front() == '[') {
    return fmt::format("sections such as {} are not used: write every key at the top level", line);
  }
  const auto equals = line.find('=');
  if (equals == std::string_view::npos || trim(line.substr(0, equals)).empty()) {
    return std::string("expected \"key = value\"");
  }
  const std::string_view value = trim(line.substr(equals + 1));
  if (value.starts_with('[') && value.find(']') == std::string_view::npos) {
    return std::string("an array must be on one line: key = [\"a\", \"b\"]");
  }
  std::vector<CLI::ConfigItem> items;
  try {
    std::istringstream stream{std::string(line)};
    CLI::ConfigTOML format;
    format.comment('\n');  // Never in a line: the comment is gone already.
    items = format.from_config(stream);
  } catch (const CLI::Error& failure) {
    return std::string(failure.what());
  }
  if (items.size() != 1 || !items.front().parents.empty()) {
    const std::string key(trim(line.substr(0, equals)));
    return fmt::format("cannot read the key \"{}\": keys are single words such as port", key);
  }
  return ConfigEntry{number, items.front().name, std::move(items.front().inputs)};
}

bool looks_like_integer(std::string_view text) {
  if (text.starts_with('-') || text.starts_with('+')) {
    text.remove_prefix(1);
  }
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

bool looks_like_decimal(std::string_view text) {
  double number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  return error == std::errc() && end == text.data() + text.size();
}

bool is_flag(const CLI::Option& option) { return option.get_expected_min() == 0; }

bool is_integer(const CLI::Option& option) {
  const std::string type = option.get_type_name();
  return type == "INT" || type == "UINT";
}

bool takes_a_list(const CLI::Option& option) {
  return option.get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll ||
         option.get_items_expected_max() > 1;
}

// The operator's reading of a value CLI11 refused: `port: "eighty" is not a number`.
std::string value_message(const CLI::Option& option, const std::string& key,
                          const std::string& value, const CLI::Error& failure) {
  if (dynamic_cast<const CLI::ValidationError*>(&failure) != nullptr) {
    // CLI11 says "--port: Value 9 not in range 1 to 5".
    std::string_view text = failure.what();
    if (const auto colon = text.find(": "); colon != std::string_view::npos) {
      text.remove_prefix(colon + 2);
    }
    std::string reason(text);
    if (!reason.empty()) {
      reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    }
    return fmt::format("{}: {}", key, reason);
  }
  if (is_flag(option)) {
    return fmt::format("{}: \"{}\" is not true or false", key, value);
  }
  if (is_integer(option)) {
    if (looks_like_integer(value)) {
      return fmt::format("{}: {} is out of range", key, value);
    }
    if (looks_like_decimal(value)) {
      return fmt::format("{}: {} is not a whole number", key, value);
    }
    return fmt::format("{}: \"{}\" is not a number", key, value);
  }
  return fmt::format("{}: {}", key, failure.what());
}

// Sets one entry's option. Empty when it took the value; else the problem.
std::string set_option(CLI::Option& option, const ConfigEntry& entry) {
  const bool is_list = takes_a_list(option);
  if (entry.values.size() > 1 && !is_list) {
    return fmt::format("{}: takes one value, not a list", entry.key);
  }
  if (entry.values.empty()) {
    // An empty list is the default: no names.
    return is_list ? std::string() : fmt::format("{}: needs a value", entry.key);
  }
  // CLI11 would read an empty number as 0, and a negative one into an unsigned option
  // as a huge one, without a word.
  const std::string& value = entry.values.front();
  if (is_integer(option) && value.empty()) {
    return fmt::format("{}: \"\" is not a number", entry.key);
  }
  if (option.get_type_name() == "UINT" && looks_like_integer(value) && value.starts_with('-')) {
    return fmt::format("{}: {} is out of range", entry.key, value);
  }
  try {
    if (is_flag(option)) {
      option.add_result(option.get_flag_value(entry.key, entry.values.front()));
    } else {
      option.add_result(entry.values);
    }
    option.run_callback();
  } catch (const CLI::Error& failure) {
    return value_message(option, entry.key, entry.values.front(), failure);
  }
  return {};
}

void sort_by_line(std::vector<ConfigProblem>& problems) {
  std::stable_sort(problems.begin(), problems.end(),
                   [](const ConfigProblem& a, const ConfigProblem& b) { return a.line < b.line; });
}

void append(std::vector<ConfigProblem>& to, std::vector<ConfigProblem> from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

}  // namespace

std::vector<std::string> config_keys(const CLI::App& command) {
  std::vector<std::string> keys;
  for (const CLI::Option* option : command.get_options()) {
    if (is_settable(command, *option) && option->get_configurable()) {
      keys.push_back(key_of(*option));
    }
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

ConfigFile read_config_file(const std::filesystem::path& path, const CLI::App& command) {
  ConfigFile file;
  std::error_code error;
  std::ifstream stream(path);
  if (!std::filesystem::is_regular_file(path, error) || !stream) {
    file.problems.push_back({0, "cannot read the file"});
    return file;
  }
  std::map<std::string, int> first_lines;
  std::string text;
  for (int number = 1; std::getline(stream, text); ++number) {
    const std::string_view line = trim(text);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    auto read = read_line(line, number);
    if (auto* problem = std::get_if<std::string>(&read)) {
      file.problems.push_back({number, std::move(*problem)});
      continue;
    }
    ConfigEntry& entry = std::get<ConfigEntry>(read);
    const CLI::Option* option = option_for_key(command, entry.key);
    if (option == nullptr) {
      file.problems.push_back({number, unknown_key_message(command, entry.key)});
    } else if (!option->get_configurable()) {
      file.problems.push_back(
          {number, fmt::format("\"{}\" is for tests only and cannot be set in a configuration "
                               "file (give --{} on the command line)",
                               entry.key, entry.key)});
    } else if (auto [first, inserted] = first_lines.emplace(entry.key, number); !inserted) {
      file.problems.push_back({number, fmt::format("duplicate key \"{}\" (first set on line {})",
                                                   entry.key, first->second)});
    } else {
      file.entries.push_back(std::move(entry));
    }
  }
  if (stream.bad()) {
    file.problems.push_back({0, "cannot read the whole file"});
  }
  return file;
}

std::vector<ConfigProblem> apply_config(const std::vector<ConfigEntry>& entries,
                                        CLI::App& command) {
  std::vector<ConfigProblem> problems;
  for (const ConfigEntry& entry : entries) {
    CLI::Option* option = command.get_option_no_throw("--" + entry.key);
    if (option == nullptr) {
      problems.push_back({entry.line, unknown_key_message(command, entry.key)});
      continue;
    }
    // The command line wins: CLI11 counts what it gave.
    if (option->count() > 0) {
      continue;
    }
    if (std::string problem = set_option(*option, entry); !problem.empty()) {
      problems.push_back({entry.line, std::move(problem)});
    }
  }
  return problems;
}

std::vector<ConfigProblem> check_option_relations(const std::vector<ConfigEntry>& entries,
                                                  const CLI::App& command) {
  std::map<std::string, int> lines;
  for (const ConfigEntry& entry : entries) {
    lines.emplace(entry.key, entry.line);
  }
  // The line of the entry that set `option`, or 0 for the command line (whose own
  // clashes CLI11 refused before the file was read).
  auto line_of = [&lines](const CLI::Option& option) {
    const auto at = lines.find(key_of(option));
    return at != lines.end() ? at->second : 0;
  };
  std::vector<ConfigProblem> problems;
  std::set<std::pair<const CLI::Option*, const CLI::Option*>> reported;
  for (const CLI::Option* option : command.get_options()) {
    if (option->count() == 0) {
      continue;
    }
    for (const CLI::Option* needed : option->get_needs()) {
      if (needed->count() == 0) {
        problems.push_back(
            {line_of(*option), fmt::format("{}: needs {}", key_of(*option), key_of(*needed))});
      }
    }
    // Excludes are recorded both ways round: each pair is reported once, at the later of
    // its two lines (the key that clashes with one before it).
    for (const CLI::Option* excluded : option->get_excludes()) {
      if (excluded->count() == 0 || reported.contains({excluded, option})) {
        continue;
      }
      reported.insert({option, excluded});
      const bool option_is_later = line_of(*option) >= line_of(*excluded);
      const CLI::Option& later = option_is_later ? *option : *excluded;
      const CLI::Option& earlier = option_is_later ? *excluded : *option;
      problems.push_back({line_of(later), fmt::format("{}: cannot be used with {}", key_of(later),
                                                      key_of(earlier))});
    }
  }
  return problems;
}

std::vector<ConfigProblem> load_serve_config(const std::filesystem::path& path,
                                             CLI::App& serve_command) {
  // Every value is checked, even one the command line overrides: a file that is wrong
  // stays wrong for the next start without that flag.
  const std::unique_ptr<CLI::App> fresh = make_serve_options_command();
  ConfigFile file = read_config_file(path, *fresh);
  append(file.problems, apply_config(file.entries, *fresh));
  if (file.problems.empty()) {
    append(file.problems, apply_config(file.entries, serve_command));
    append(file.problems, check_option_relations(file.entries, serve_command));
  }
  sort_by_line(file.problems);
  return file.problems;
}

std::vector<ConfigProblem> check_serve_config(const std::filesystem::path& path) {
  const std::unique_ptr<CLI::App> command = make_serve_options_command();
  ConfigFile file = read_config_file(path, *command);
  append(file.problems, apply_config(file.entries, *command));
  append(file.problems, check_option_relations(file.entries, *command));
  sort_by_line(file.problems);
  return file.problems;
}

std::string format_config_problem(const std::filesystem::path& path, const ConfigProblem& problem) {
  if (problem.line == 0) {
    return fmt::format("{}: {}", path.string(), problem.message);
  }
  return fmt::format("{}:{}: {}", path.string(), problem.line, problem.message);
}

void print_config_problems(const std::filesystem::path& path,
                           const std::vector<ConfigProblem>& problems) {
  for (const ConfigProblem& problem : problems) {
    std::fprintf(stderr, "wardline: %s\n", format_config_problem(path, problem).c_str());
  }
}

void add_config_command(CLI::App& app, int& exit_code) {
  CLI::App* command =
      app.add_subcommand("config", "Check a configuration file of `serve` (serve --config)");
  command->require_subcommand(1);
  CLI::App* check = command->add_subcommand(
      "check", "Check every key and value of FILE as serve would, without serving");
  auto file = std::make_shared<std::string>();
  check->add_option("FILE", *file, "The configuration file")->required();
  check->callback([file, &exit_code] {
    const std::vector<ConfigProblem> problems = check_serve_config(*file);
    if (!problems.empty()) {
      print_config_problems(*file, problems);
      exit_code = 2;
      return;
    }
    std::printf("%s: ok\n", file->c_str());
    exit_code = 0;
  });
}

}  // namespace wl::cli
