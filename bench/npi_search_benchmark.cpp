// Provider directory search latency (docs/benchmarks.md, "NPI import and search"), on a
// store that bench/npi.sh filled from a generated NPPES file: p50 and p99 of each kind of
// search, as ProviderService runs it (ProviderStore::search_providers, then the NUCC
// names of the codes found), against the same run's baseline, an exact lookup of one
// NPI (ProviderStore::find_provider), the cheapest read the directory has.
//
//   build/bench/wl_npi_search_benchmark DATA_DIR/wardline.db NPI_LIST [QUERIES]
//
// NPI_LIST: the NPIs of the file, one a line (the baseline looks them up at random).
// Prints one JSON line per kind. Read-only: it never writes the store.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "adapters/sqlite/sqlite_store.hpp"

namespace wl {
namespace {

using Clock = std::chrono::steady_clock;

struct Latency {
  double p50_us = 0;
  double p99_us = 0;
  double mean_results = 0;
};

// The generator's vocabulary (bench/npi.sh): family names, cities of states, codes.
const std::vector<std::string> kPrefixes = {"sm",   "smi",  "john", "wil",  "gar", "mar", "ng",
                                            "pat",  "le",   "kim",  "nguy", "bro", "jo",  "da",
                                            "rodr", "hern", "mi",   "and",  "tay", "wh"};
const std::vector<std::pair<std::string, std::string>> kPlaces = {
    {"NE", "kearney"}, {"NY", "new york"}, {"TX", "houston"}, {"CA", "los angeles"},
    {"OH", "toledo"},  {"FL", "miami"},    {"IL", "chicago"}, {"AZ", "phoenix"}};
const std::vector<std::string> kStates = {"NE", "NY", "TX", "CA", "OH", "FL", "IL", "AZ"};
const std::vector<std::string> kCodes = {"207Q00000X", "207R00000X", "207RC0000X", "207X00000X",
                                         "208000000X", "363L00000X", "163W00000X", "174400000X"};

template <typename Query>
Latency measure(SqliteStore& store, int count, Query query) {
  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(count));
  double results = 0;
  for (int i = 0; i < count; ++i) {
    const auto started = Clock::now();
    results += static_cast<double>(query(store, i));
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - started).count());
  }
  std::sort(micros.begin(), micros.end());
  auto at = [&micros](double q) {
    return micros[std::min(micros.size() - 1, static_cast<std::size_t>(q * micros.size()))];
  };
  return Latency{at(0.50), at(0.99), results / count};
}

// A search as the service runs it: the providers, then their codes' names.
std::size_t search(SqliteStore& store, const ProviderQuery& query) {
  auto found = store.search_providers(query);
  if (!found) {
    std::fprintf(stderr, "search failed: %s\n", found.error().to_string().c_str());
    std::exit(1);
  }
  std::set<std::string> codes;
  for (const Provider& provider : *found) {
    codes.insert(provider.taxonomy);
  }
  (void)store.find_taxonomies(std::vector<std::string>(codes.begin(), codes.end()));
  return found->size();
}

int run(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: wl_npi_search_benchmark DATABASE NPI_LIST [QUERIES]\n");
    return 2;
  }
  const int count = argc > 3 ? std::stoi(argv[3]) : 2000;
  std::vector<std::int64_t> npis;
  std::ifstream list(argv[2]);
  for (std::string line; std::getline(list, line);) {
    if (!line.empty()) {
      npis.push_back(std::stoll(line));
    }
  }
  if (npis.empty()) {
    std::fprintf(stderr, "no NPIs in %s\n", argv[2]);
    return 2;
  }
  auto opened = SqliteStore::open(argv[1], [](const AuditEntry&) { return std::string(32, '\0'); });
  if (!opened) {
    std::fprintf(stderr, "cannot open the store: %s\n", opened.error().to_string().c_str());
    return 1;
  }
  SqliteStore& store = **opened;
  std::mt19937_64 random(42);
  auto pick = [&random](const auto& from) { return from[random() % from.size()]; };

  struct Kind {
    const char* name;
    std::function<std::size_t(SqliteStore&, int)> query;
  };
  const std::vector<Kind> kinds = {
      {"npi_lookup",
       [&](SqliteStore& s, int) { return s.find_provider(pick(npis)).has_value() ? 1u : 0u; }},
      {"npi", [&](SqliteStore& s, int) { return search(s, {.npi = pick(npis), .limit = 20}); }},
      {"name_prefix",
       [&](SqliteStore& s, int) {
         return search(s, {.name_prefix = pick(kPrefixes), .limit = 20});
       }},
      {"name_state",
       [&](SqliteStore& s, int) {
         return search(s, {.name_prefix = pick(kPrefixes), .state = pick(kStates), .limit = 20});
       }},
      {"city_state",
       [&](SqliteStore& s, int) {
         const auto& [state, city] = pick(kPlaces);
         return search(s, {.city_key = city, .state = state, .limit = 20});
       }},
      {"state",
       [&](SqliteStore& s, int) { return search(s, {.state = pick(kStates), .limit = 20}); }},
      {"taxonomy",
       [&](SqliteStore& s, int) { return search(s, {.taxonomies = {pick(kCodes)}, .limit = 20}); }},
      {"taxonomy_words",  // "internal medicine": two codes, as the service resolves it.
       [&](SqliteStore& s, int) {
         return search(s, {.taxonomies = {"207R00000X", "207RC0000X"}, .limit = 20});
       }},
      {"taxonomy_state",
       [&](SqliteStore& s, int) {
         return search(s, {.taxonomies = {pick(kCodes)}, .state = pick(kStates), .limit = 20});
       }},
  };
  // A warm-up pass: the figures are of a warm page cache, as a serving store's are.
  for (const Kind& kind : kinds) {
    (void)measure(store, count / 10 + 1, kind.query);
  }
  Latency baseline;
  for (const Kind& kind : kinds) {
    const Latency latency = measure(store, count, kind.query);
    if (std::string(kind.name) == "npi_lookup") {
      baseline = latency;
    }
    std::printf(
        "{\"search\":\"%s\",\"queries\":%d,\"p50_us\":%.1f,\"p99_us\":%.1f,\"mean_results\":%.1f,"
        "\"p50_ratio\":%.2f,\"p99_ratio\":%.2f}\n",
        kind.name, count, latency.p50_us, latency.p99_us, latency.mean_results,
        latency.p50_us / baseline.p50_us, latency.p99_us / baseline.p99_us);
  }
  return 0;
}

}  // namespace
}  // namespace wl

int main(int argc, char** argv) { return wl::run(argc, argv); }
