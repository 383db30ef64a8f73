#include "cli/config.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "support/server_process.hpp"

namespace wl::cli {
namespace {
namespace fs = std::filesystem;

const fs::path kExample = fs::path(WL_SOURCE_DIR) / "dist" / "wardline.toml";

// The keys the example shows: set (`key = value`) or commented out (`# key = value`).
std::set<std::string> example_keys() {
  std::set<std::string> keys;
  std::ifstream file(kExample);
  const std::regex setting(R"(^#?\s*([a-z0-9-]+)\s*=)");
  std::string line;
  std::smatch match;
  while (std::getline(file, line)) {
    if (std::regex_search(line, match, setting)) {
      keys.insert(match[1]);
    }
  }
  return keys;
}

// The problems of a file holding `text`, as `wardline config check` finds them.
std::vector<std::string> problems_of(const std::string& text) {
  testing::TempDir temp;
  const fs::path file = temp.path() / "wardline.toml";
  std::ofstream(file) << text;
  std::vector<std::string> messages;
  for (const ConfigProblem& problem : check_serve_config(file)) {
    messages.push_back(std::to_string(problem.line) + ": " + problem.message);
  }
  return messages;
}

TEST(ConfigExampleTest, ShowsExactlyTheKeysAFileMaySet) {
  const std::vector<std::string> keys = config_keys(*make_serve_options_command());
  EXPECT_EQ(example_keys(), std::set<std::string>(keys.begin(), keys.end()));
}

TEST(ConfigExampleTest, SetsEachKeyToItsDefault) {
  const auto command = make_serve_options_command();
  const ConfigFile file = read_config_file(kExample, *command);
  ASSERT_TRUE(file.problems.empty()) << file.problems.front().message;
  for (const ConfigEntry& entry : file.entries) {
    const std::string default_value = command->get_option("--" + entry.key)->get_default_str();
    if (!default_value.empty()) {
      ASSERT_EQ(entry.values.size(), 1u) << entry.key;
      EXPECT_EQ(entry.values.front(), default_value) << entry.key;
    }
  }
}

TEST(ConfigExampleTest, PassesTheCheck) {
  for (const ConfigProblem& problem : check_serve_config(kExample)) {
    ADD_FAILURE() << format_config_problem(kExample, problem);
  }
}

TEST(ConfigFileTest, LeavesTestOnlyOptionsToTheCommandLine) {
  const std::vector<std::string> keys = config_keys(*make_serve_options_command());
  for (const char* key : {"fast-password-hashing", "test-clock-file", "bench-echo", "bench-limits",
                          "help", "config"}) {
    EXPECT_EQ(std::count(keys.begin(), keys.end(), key), 0) << key;
  }
}

TEST(ConfigFileTest, ReadsCommentsQuotesArraysAndFlags) {
  EXPECT_EQ(problems_of("# a comment\n"
                        "\n"
                        "  data-dir = \"/var/lib/wardline # not a comment\"  # a comment\n"
                        "hostname = [\"a.example.org\", \"10.0.0.1\"]\n"
                        "demo = true\n"
                        "json-logs = false\n"
                        "port = 443\r\n"),
            std::vector<std::string>{});
}

TEST(ConfigFileTest, KeepsAHashInsideQuotes) {
  testing::TempDir temp;
  const fs::path path = temp.path() / "wardline.toml";
  std::ofstream(path) << "store = \"postgres://wardline@db/wardline?application_name=a#b\" # c\n"
                         "static-dir = '/srv/#web'\n"
                         "hostname = [\"a#1\", 'b'] # c\n"
                         "data-dir = \"/var/lib/wardline\" # \"quoted\" # comment\n";
  const ConfigFile file = read_config_file(path, *make_serve_options_command());
  ASSERT_TRUE(file.problems.empty()) << file.problems.front().message;
  ASSERT_EQ(file.entries.size(), 4u);
  EXPECT_EQ(file.entries[0].values,
            std::vector<std::string>{"postgres://wardline@db/wardline?application_name=a#b"});
  EXPECT_EQ(file.entries[1].values, std::vector<std::string>{"/srv/#web"});
  EXPECT_EQ(file.entries[2].values, (std::vector<std::string>{"a#1", "b"}));
  EXPECT_EQ(file.entries[3].values, std::vector<std::string>{"/var/lib/wardline"});
}

TEST(ConfigFileTest, NamesTheLineOfEachProblem) {
  EXPECT_EQ(problems_of("[tls]\n"
                        "data_dir = \"x\"\n"
                        "hostname = [\"a\",\n"
                        "  \"b\"]\n"
                        "demo = maybe\n"
                        "session-check-seconds = 0\n"
                        "port = 70000\n"
                        "port\n"
                        "io-threads = \"\"\n"
                        "workers = -3\n"
                        "log-level = [\"info\", \"debug\"]\n"
                        "static-dir = \"/srv/web # the web app\n"
                        "max-connections = 1.5\n"
                        "= 5\n"),
            (std::vector<std::string>{
                "1: sections such as [tls] are not used: write every key at the top level",
                "2: unknown key \"data_dir\" (did you mean \"data-dir\"?)",
                "3: an array must be on one line: key = [\"a\", \"b\"]",
                "4: expected \"key = value\"",
                "5: demo: \"maybe\" is not true or false",
                "6: session-check-seconds: value 0 not in range 1 to 3600",
                "7: port: 70000 is out of range",
                "8: expected \"key = value\"",
                "9: io-threads: \"\" is not a number",
                "10: workers: -3 is out of range",
                "11: log-level: takes one value, not a list",
                "12: a quoted string is not closed on its line",
                "13: max-connections: 1.5 is not a whole number",
                "14: expected \"key = value\"",
            }));
}

TEST(ConfigFileTest, ChecksTheOptionsRelations) {
  EXPECT_EQ(problems_of("tls-key = \"/k.pem\"\n"
                        "hostname = [\"a\"]\n"
                        "tls-cert = \"/c.pem\"\n"),
            (std::vector<std::string>{"3: tls-cert: cannot be used with hostname"}));
  EXPECT_EQ(problems_of("tls-key = \"/k.pem\"\n"),
            (std::vector<std::string>{"1: tls-key: needs tls-cert"}));
}

TEST(ConfigFileTest, SaysWhenItCannotReadTheFile) {
  const auto problems = check_serve_config("/nonexistent/wardline.toml");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(format_config_problem("/nonexistent/wardline.toml", problems.front()),
            "/nonexistent/wardline.toml: cannot read the file");
  // A directory opens as a stream on Linux, and reads as an empty file.
  testing::TempDir directory;
  ASSERT_EQ(check_serve_config(directory.path()).size(), 1u);
}

}  // namespace
}  // namespace wl::cli
