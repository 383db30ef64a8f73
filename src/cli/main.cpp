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
  wl::cli::add_hl7_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& failure) {
    const int code = app.exit(failure);
    // `hl7 send` exits 2 on usage errors (docs/hl7.md), like its connection errors.
    return code != 0 && app.got_subcommand("hl7") ? 2 : code;
  } catch (const std::exception& failure) {
    std::cerr << "wardline: " << failure.what() << "\n";
    return 1;
  }
  return exit_code;
}
