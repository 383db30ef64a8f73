#pragma once

#include <string>

#include <CLI/App.hpp>

// `wardline admin backup` and `admin restore` (docs/operations.md, "Backup and
// restore").
namespace wl::cli {

// Adds the backup and restore subcommands to `admin`. `data_dir` and `store` are the
// admin command's own options, which outlive the parse.
void add_backup_commands(CLI::App& admin, const std::string& data_dir, const std::string& store,
                         int& exit_code);

}  // namespace wl::cli
