#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Wardline: secure clinical messaging", "wardline"};
  app.require_subcommand(1);
  int exit_code = 0;
  wl::cli::add_serve_command(app, exit_code);
  wl::cli::add_admin_command(app, exit_code);
  wl::cli::add_chat_command(app, exit_code);
  wl::cli::add_audit_command(app, exit_code);
  wl::cli::add_bench_command(app, exit_code);
  wl::cli::add_config_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& failure) {
    return app.exit(failure);
  } catch (const std::exception& failure) {
    std::cerr << "wardline: " << failure.what() << "\n";
    return 1;
  }
  return exit_code;
}
