#include <charconv>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/runtime.hpp"

namespace wl::cli {
namespace {

struct VerifyOptions {
  std::string data_dir = "wardline-data";
  std::string store;  // "" or "sqlite": the data directory's; or a postgres:// URI.
  std::vector<std::string> keys;
  std::vector<std::string> heads;
  std::string max_age;
};

// A positive whole number with a unit: ms, s, m, h or d ("90s", "10m").
// Errors: InvalidArgument.
Result<std::chrono::microseconds> parse_duration(std::string_view text) {
  std::int64_t count = 0;
  const auto [end, parsed] = std::from_chars(text.data(), text.data() + text.size(), count);
  const std::string_view unit(end, text.data() + text.size() - end);
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  if (parsed == std::errc() && count > 0 && count < 1'000'000'000) {
    if (unit == "ms") {
      return duration_cast<microseconds>(std::chrono::milliseconds(count));
    }
    if (unit == "s") {
      return duration_cast<microseconds>(std::chrono::seconds(count));
    }
    if (unit == "m") {
      return duration_cast<microseconds>(std::chrono::minutes(count));
    }
    if (unit == "h") {
      return duration_cast<microseconds>(std::chrono::hours(count));
    }
    if (unit == "d") {
      return duration_cast<microseconds>(std::chrono::days(count));
    }
  }
  return error(Code::kInvalidArgument,
               "--max-age is a positive number with a unit: ms, s, m, h or d (e.g. 60s)");
}

// What the command line asks verify_audit to trust. Errors: InvalidArgument, naming the
// bad argument.
Result<AuditVerifyOptions> verify_options(const VerifyOptions& options) {
  AuditVerifyOptions parsed;
  if (options.keys.empty()) {
    return error(Code::kInvalidArgument,
                 "--key is required: the audit signing public key or its fingerprint, as "
                 "recorded off this machine when the server first started (`wardline admin "
                 "audit-key` prints it; docs/audit_chain.md)");
  }
  for (const std::string& key : options.keys) {
    parsed.trusted_keys.push_back(WL_TRY(AuditKeyAnchor::parse(key)));
  }
  for (const std::string& head : options.heads) {
    parsed.heads.push_back(WL_TRY(parse_audit_head(head)));
  }
  if (!options.max_age.empty()) {
    parsed.max_age = WL_TRY(parse_duration(options.max_age));
  }
  parsed.now = SystemClock().now();
  return parsed;
}

// Exit codes: 0 intact, 1 tampered (or not proven intact), 2 usage or read error.
int verify(const VerifyOptions& options) {
  auto parsed = verify_options(options);
  if (!parsed) {
    std::cerr << "wardline audit verify: " << parsed.error().message() << "\n";
    return 2;
  }
  // Read-only: verifying works beside running servers.
  Result<std::unique_ptr<AuditStore>> store = std::unique_ptr<AuditStore>();
  if (is_postgres_store(options.store)) {
    PostgresOptions store_options;
    store_options.read_connections = 1;
    store_options.claim_audit_chain = false;
    auto opened = PostgresStore::open(options.store, make_audit_chainer(), store_options);
    store = opened ? Result<std::unique_ptr<AuditStore>>(std::move(*opened))
                   : std::unexpected(opened.error());
  } else if (options.store.empty() || options.store == "sqlite") {
    SqliteOptions store_options;
    store_options.read_only = true;
    auto opened = SqliteStore::open(DataPaths{options.data_dir}.database(), make_audit_chainer(),
                                    store_options);
    store = opened ? Result<std::unique_ptr<AuditStore>>(std::move(*opened))
                   : std::unexpected(opened.error());
  } else {
    std::cerr << "wardline audit verify: --store takes sqlite or a postgres:// URI\n";
    return 2;
  }
  if (!store) {
    std::cerr << "wardline audit: " << store.error().to_string() << "\n";
    return 2;
  }
  auto report = verify_audit(**store, *parsed);
  if (!report) {
    std::cerr << "wardline audit: " << report.error().to_string() << "\n";
    return 2;
  }
  if (!report->ok) {
    if (report->first_bad_chain > 1) {
      std::cout << fmt::format("audit log TAMPERED: chain {}, first bad entry {}: {}\n",
                               report->first_bad_chain, report->first_bad_seq, report->problem);
    } else if (report->problem == "missing chain") {
      std::cout << "audit log TAMPERED: missing chain: fewer chains have entries than a "
                   "signed checkpoint counted\n";
    } else {
      std::cout << fmt::format("audit log TAMPERED: first bad entry {}: {}\n",
                               report->first_bad_seq, report->problem);
    }
    return 1;
  }
  if (report->chains > 1) {
    std::cout << fmt::format(
        "audit log intact: {} chains, {} entries, {} signed checkpoints; the newest signs "
        "entry {} of chain {} at {}; {} entries after their chains' newest checkpoints are "
        "unpinned\n",
        report->chains, report->entries, report->checkpoints, report->last_checkpoint_seq,
        report->last_checkpoint_chain, format_rfc3339(report->last_checkpoint_at),
        report->unpinned);
    return 0;
  }
  std::cout << fmt::format(
      "audit log intact: {} entries, {} signed checkpoints; the newest signs entry {} at {}; "
      "{} entries after it are unpinned\n",
      report->entries, report->checkpoints, report->last_checkpoint_seq,
      format_rfc3339(report->last_checkpoint_at), report->unpinned);
  return 0;
}

}  // namespace

void add_audit_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<VerifyOptions>();
  CLI::App* audit = app.add_subcommand("audit", "The tamper-evident audit log");
  audit->require_subcommand(1);
  audit->add_option("--data-dir", options->data_dir, "Data directory")->capture_default_str();
  audit->add_option("--store", options->store,
                    "sqlite (the data directory's database, the default) or a postgres:// URI");
  CLI::App* verify_command =
      audit->add_subcommand("verify", "Check the hash chain and signed checkpoints");
  verify_command->add_option(
      "--key", options->keys,
      "Required: the audit signing public key (base64url or hex) or its fingerprint "
      "(SHA256:...), from off this machine; repeat to trust several");
  verify_command->add_option("--head", options->heads,
                             "[CHAIN:]SEQ:HASH of a checkpoint head collected off the machine, "
                             "which its chain must contain; repeatable");
  verify_command->add_option("--max-age", options->max_age,
                             "For a running server: the newest checkpoint must be younger than "
                             "this (e.g. 60s)");
  verify_command->callback([options, &exit_code] { exit_code = verify(*options); });
}

}  // namespace wl::cli
