#pragma once

#include <cstdint>
#include <filesystem>

namespace wl::cli {

struct DirectoryBenchOptions {
  std::filesystem::path data_dir;  // Must not exist: a fresh SQLite store is made there.
  std::int64_t users = 100000;
  std::int64_t queries = 2000;      // Timed on the index.
  std::int64_t scan_queries = 500;  // The first ones, also timed on a linear scan.
  std::int64_t list_queries = 20;   // The first ones, also timed reading the user list.
};

// Seeds a fresh store with `users` generated people and 100 roles, then times directory
// searches (DirectoryService::search) against a linear scan with the same rule and
// against reading the user list per query, and prints p50/p99 and their ratios. Returns
// the exit code: 0, or 1 if anything failed or the index and the scan disagree on the
// number of results.
int run_directory_bench(const DirectoryBenchOptions& options);

}  // namespace wl::cli
