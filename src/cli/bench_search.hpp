#pragma once

#include <cstdint>
#include <filesystem>

namespace wl::cli {

struct SearchBenchOptions {
  std::filesystem::path data_dir;   // Must not exist: a fresh SQLite store is made there.
  std::int64_t messages = 1000000;  // Seeded, indexed, before the searches.
  std::int64_t users = 500;
  std::int64_t threads = 5000;         // Groups of 4, a tenth of them about a patient.
  std::int64_t send_messages = 20000;  // Timed on the send path, with and without the index.
  std::int64_t queries = 2000;
};

// Seeds a fresh store with generated conversations, times the send path's preparation
// and append with the search index and without it (the same messages, their tokens
// cleared), then times searches over `messages` messages as a request runs them and as
// the store answers them, and prints p50/p99 and the ratios. Returns the exit code: 0,
// or 1 if anything failed.
int run_search_bench(const SearchBenchOptions& options);

}  // namespace wl::cli
