#pragma once

#include <memory>

#include <CLI/App.hpp>

// Each subcommand registers its options on the app and returns the exit code holder
// its callback fills. Exceptions end at main(): command line and start-up only.
namespace wl::cli {

void add_serve_command(CLI::App& app, int& exit_code);
void add_admin_command(CLI::App& app, int& exit_code);
void add_chat_command(CLI::App& app, int& exit_code);
void add_audit_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
// `bench mllp`, registered on the `bench` command (cli/bench_mllp.cpp).
void add_bench_mllp_command(CLI::App& bench, int& exit_code);
void add_hl7_command(CLI::App& app, int& exit_code);
// `hl7 messages`, `hl7 show` and `hl7 replay`, registered on the `hl7` command
// (cli/hl7_feed.cpp).
void add_hl7_feed_commands(CLI::App& hl7, int& exit_code);
void add_config_command(CLI::App& app, int& exit_code);

// A command with every option of `serve` and nothing to run, its values kept for as long
// as it lives: what a configuration file is checked against (cli/config.hpp).
std::unique_ptr<CLI::App> make_serve_options_command();

}  // namespace wl::cli
