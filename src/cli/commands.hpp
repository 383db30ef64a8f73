#pragma once

#include <CLI/App.hpp>

// Each subcommand registers its options on the app and returns the exit code holder
// its callback fills. Exceptions end at main(): command line and start-up only.
namespace wl::cli {

void add_serve_command(CLI::App& app, int& exit_code);
void add_admin_command(CLI::App& app, int& exit_code);
void add_chat_command(CLI::App& app, int& exit_code);
void add_audit_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);

}  // namespace wl::cli
