#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/runtime.hpp"

namespace wl::cli {

void add_audit_command(CLI::App& app, int& exit_code) {
  auto data_dir = std::make_shared<std::string>("wardline-data");
  CLI::App* audit = app.add_subcommand("audit", "The tamper-evident audit log");
  audit->require_subcommand(1);
  audit->add_option("--data-dir", *data_dir, "Data directory")->capture_default_str();
  audit->add_subcommand("verify", "Check the hash chain and signed checkpoints")
      ->callback([data_dir, &exit_code] {
        // Read-only: verifying works beside a running server.
        SqliteOptions options;
        options.read_only = true;
        auto store =
            SqliteStore::open(DataPaths{*data_dir}.database(), make_audit_chainer(), options);
        if (!store) {
          std::cerr << "wardline audit: " << store.error().to_string() << "\n";
          exit_code = 2;
          return;
        }
        auto report = verify_audit(**store);
        if (!report) {
          std::cerr << "wardline audit: " << report.error().to_string() << "\n";
          exit_code = 2;
          return;
        }
        if (report->ok) {
          std::cout << fmt::format("audit log intact: {} entries, {} signed checkpoints\n",
                                   report->entries, report->checkpoints);
          exit_code = 0;
        } else {
          std::cout << fmt::format("audit log TAMPERED: first bad entry {}: {}\n",
                                   report->first_bad_seq, report->problem);
          exit_code = 1;
        }
      });
}

}  // namespace wl::cli
