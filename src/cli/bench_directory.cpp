// `wardline bench directory` (docs/benchmarks.md, "Directory search"): directory search
// over a generated org, against a linear scan with the same rule, in one run.
#include "cli/bench_directory.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "cli/bench_stats.hpp"
#include "cli/runtime.hpp"
#include "services/directory/directory_index.hpp"
#include "services/identity/identity_service.hpp"

namespace wl::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kOrgName = "Bench Directory";

// Names with and without diacritics, so that folding is on the measured path.
constexpr std::array<std::string_view, 40> kGiven{
    "Ana",     "Bruno", "Chloé",     "Dmitri", "Elena",   "Fatima",    "Günter",  "Hana",
    "Ines",    "José",  "Katarzyna", "Liam",   "María",   "Nadia",     "Olivier", "Priya",
    "Quentin", "Rosa",  "Søren",     "Tomás",  "Uma",     "Véronique", "Wei",     "Ximena",
    "Yusuf",   "Zoë",   "Amara",     "Björn",  "Camille", "Darius",    "Emeka",   "Farah",
    "Grace",   "Hugo",  "Ingrid",    "Jonas",  "Kenji",   "Lucía",     "Mateo",   "Noor"};
constexpr std::array<std::string_view, 40> kFamily{
    "Abbott", "Bauer",  "Castillo", "Dubois",  "Eriksen", "Fischer",   "García", "Haddad",
    "Ibáñez", "Jensen", "Kowalski", "Larsen",  "Müller",  "Nguyen",    "Okafor", "Patel",
    "Quinn",  "Rossi",  "Schäfer",  "Tanaka",  "Ueda",    "Vargas",    "Walsh",  "Xu",
    "Yilmaz", "Zhang",  "Adeyemi",  "Brooks",  "Chen",    "Dvořák",    "Evans",  "Ferreira",
    "Gómez",  "Holm",   "Ivanova",  "Jiménez", "Kim",     "Lindqvist", "Moreau", "Novák"};
constexpr std::array<std::string_view, 30> kDepartments{"Cardiology",
                                                        "Emergency",
                                                        "ICU",
                                                        "4 West",
                                                        "5 East",
                                                        "Pediatrics",
                                                        "Neurology",
                                                        "Oncology",
                                                        "Radiology",
                                                        "Pharmacy",
                                                        "Surgery",
                                                        "Orthopedics",
                                                        "Obstetrics",
                                                        "Anesthesiology",
                                                        "Nephrology",
                                                        "Pulmonology",
                                                        "Gastroenterology",
                                                        "Dermatology",
                                                        "Psychiatry",
                                                        "Urology",
                                                        "Endocrinology",
                                                        "Hematology",
                                                        "Infectious Diseases",
                                                        "Rheumatology",
                                                        "Geriatrics",
                                                        "Palliative Care",
                                                        "Respiratory Therapy",
                                                        "Laboratory",
                                                        "Transport",
                                                        "Administration"};
constexpr std::array<std::string_view, 12> kTitles{"RN",
                                                   "Charge nurse",
                                                   "Attending physician",
                                                   "Resident",
                                                   "Nurse practitioner",
                                                   "Physician assistant",
                                                   "Clinical pharmacist",
                                                   "Respiratory therapist",
                                                   "Unit clerk",
                                                   "Fellow",
                                                   "Technician",
                                                   "Case manager"};

// What a search without an index does with the same rule: every entry, folded ahead of
// time, matched against the terms, then the best `limit` by rank and name.
std::size_t scan(const std::vector<FoldedEntry>& entries, const std::vector<std::string>& terms,
                 std::size_t limit) {
  std::vector<std::tuple<MatchRank, const std::string*, std::int64_t>> hits;
  for (const FoldedEntry& entry : entries) {
    if (const auto rank = match_entry(entry, terms)) {
      hits.emplace_back(*rank, &entry.folded_name, entry.id);
    }
  }
  const auto better = [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), *std::get<1>(a), std::get<2>(a)) <
           std::tie(std::get<0>(b), *std::get<1>(b), std::get<2>(b));
  };
  const std::size_t keep = std::min(limit, hits.size());
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(keep), hits.end(),
                    better);
  return keep;
}

// The first `length` bytes of `word`, lengthened so as not to cut a UTF-8 character.
std::string utf8_head(const std::string& word, std::size_t length) {
  while (length < word.size() && (static_cast<unsigned char>(word[length]) & 0xC0) == 0x80) {
    ++length;
  }
  return word.substr(0, length);
}

}  // namespace

int run_directory_bench(const DirectoryBenchOptions& options) {
  if (std::filesystem::exists(options.data_dir)) {
    std::cerr << "wardline bench directory: --data-dir must not exist (a fresh store is made)\n";
    return 2;
  }
  if (options.users < 1 || options.users > 1000000 || options.queries < 10) {
    std::cerr << "wardline bench directory: --users 1..1000000, --queries at least 10\n";
    return 2;
  }
  RuntimeOptions runtime_options;
  runtime_options.password_strength = PasswordHasher::Strength::kMinimum;
  auto opened = Runtime::open(options.data_dir, runtime_options);
  if (!opened) {
    std::cerr << "wardline bench directory: " << opened.error().to_string() << "\n";
    return 1;
  }
  Runtime& runtime = **opened;
  const Principal system = IdentityService::system_principal();
  auto org = runtime.identity().create_org(system, kOrgName);
  if (!org) {
    std::cerr << "wardline bench directory: " << org.error().to_string() << "\n";
    return 1;
  }

  // The org: `users` people in batches of 1,000 (one commit each) and 100 roles.
  std::mt19937 random(20261207);
  const auto pick = [&](const auto& list) { return list[random() % list.size()]; };
  const auto seed_start = Clock::now();
  User reader;
  for (std::int64_t first = 0; first < options.users; first += 1000) {
    WriteBatch batch;
    for (std::int64_t n = first; n < std::min<std::int64_t>(first + 1000, options.users); ++n) {
      NewUser user;
      user.org_id = org->id;
      user.username = fmt::format("user{}", n);
      user.display_name = fmt::format("{} {}", pick(kGiven), pick(kFamily));
      user.department = std::string(pick(kDepartments));
      user.title = fmt::format("{}, {}", pick(kTitles), user.department);
      user.password_hash = "$argon2id$bench";
      user.created_at = runtime.clock().now();
      batch.add(CreateUser{user, UserId()});
    }
    auto committed = commit_and_wait(runtime.store(), std::move(batch));
    if (!committed) {
      std::cerr << "wardline bench directory: " << committed.error().to_string() << "\n";
      return 1;
    }
    if (first == 0) {
      reader = std::get<User>(committed->results[0]);
    }
  }
  for (std::size_t n = 0; n < 100; ++n) {
    Role role;
    role.org_id = org->id;
    role.name = fmt::format("{} On Call {}", kDepartments[n % kDepartments.size()], n);
    role.created_at = runtime.clock().now();
    if (auto created = commit_one<Role>(runtime.store(), CreateRole{role, UserId()}); !created) {
      std::cerr << "wardline bench directory: " << created.error().to_string() << "\n";
      return 1;
    }
  }
  const double seed_seconds = micros_since(seed_start) / 1e6;

  // Varied queries: prefixes (1 to 6 characters) of given names, family names,
  // departments and titles, some with accents or in capitals, a fifth with two words.
  std::vector<std::string> queries;
  for (std::int64_t n = 0; n < options.queries; ++n) {
    std::string word;
    switch (random() % 4) {
      case 0:
        word = std::string(pick(kGiven));
        break;
      case 1:
        word = std::string(pick(kFamily));
        break;
      case 2:
        word = std::string(pick(kDepartments));
        break;
      default:
        word = std::string(pick(kTitles));
        break;
    }
    std::string query = utf8_head(word, 1 + random() % 6);
    if (random() % 5 == 0) {
      query += " " + utf8_head(std::string(pick(kFamily)), 2);
    }
    if (random() % 7 == 0) {
      std::transform(query.begin(), query.end(), query.begin(), [](char c) {
        return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
      });
    }
    queries.push_back(std::move(query));
  }

  const Principal actor{reader.id, org->id, DeviceId(), false, false, "", false};
  const DirectoryQuery first_query{queries[0], KindSet{true, true, false}, 20};
  const auto build_start = Clock::now();
  if (auto built = runtime.directory().search(actor, first_query); !built) {
    std::cerr << "wardline bench directory: " << built.error().to_string() << "\n";
    return 1;
  }
  const double build_ms = micros_since(build_start) / 1000;

  // The index, as a request runs it (the store's directory version read included).
  std::vector<double> indexed;
  std::size_t results = 0;
  for (const std::string& text : queries) {
    const auto start = Clock::now();
    auto found =
        runtime.directory().search(actor, DirectoryQuery{text, KindSet{true, true, false}, 20});
    indexed.push_back(micros_since(start));
    if (!found) {
      std::cerr << "wardline bench directory: " << found.error().to_string() << "\n";
      return 1;
    }
    results += found->size();
  }

  // Baseline A: a linear scan of the same entries, folded ahead of time.
  std::vector<FoldedEntry> entries;
  {
    auto users = runtime.store().list_users(org->id);
    auto roles = runtime.store().list_roles(org->id);
    if (!users || !roles) {
      std::cerr << "wardline bench directory: cannot list the org\n";
      return 1;
    }
    for (const User& user : *users) {
      entries.push_back(fold_entry(DirectorySource{DirectoryKind::kPerson,
                                                   user.id.value(),
                                                   user.display_name,
                                                   user.department,
                                                   {user.title}}));
    }
    for (const Role& role : *roles) {
      entries.push_back(
          fold_entry(DirectorySource{DirectoryKind::kRole, role.id.value(), role.name, "", {}}));
    }
  }
  const std::size_t scan_queries = std::min<std::size_t>(queries.size(), options.scan_queries);
  std::vector<double> scanned;
  std::size_t scan_results = 0;
  std::size_t index_results_scanned = 0;
  for (std::size_t n = 0; n < scan_queries; ++n) {
    const auto start = Clock::now();
    scan_results += scan(entries, query_terms(queries[n]), 20);
    scanned.push_back(micros_since(start));
  }
  for (std::size_t n = 0; n < scan_queries; ++n) {
    auto found = runtime.directory().search(
        actor, DirectoryQuery{queries[n], KindSet{true, true, false}, 20});
    index_results_scanned += found ? found->size() : 0;
  }

  // Baseline B: what answering from the user list would cost (GET /api/v1/users's
  // read, then folding and matching every user), on the first few queries only.
  std::vector<double> listed;
  const std::size_t list_queries = std::min<std::size_t>(queries.size(), options.list_queries);
  for (std::size_t n = 0; n < list_queries; ++n) {
    const auto start = Clock::now();
    auto users = runtime.store().list_users(org->id);
    if (!users) {
      return 1;
    }
    std::vector<FoldedEntry> folded;
    folded.reserve(users->size());
    for (const User& user : *users) {
      folded.push_back(fold_entry(DirectorySource{DirectoryKind::kPerson,
                                                  user.id.value(),
                                                  user.display_name,
                                                  user.department,
                                                  {user.title}}));
    }
    scan(folded, query_terms(queries[n]), 20);
    listed.push_back(micros_since(start));
  }

  const Percentiles index_p = percentiles(indexed);
  // The index on the same queries as each baseline, for the ratios.
  const auto first = [&](std::size_t count) {
    return percentiles(
        std::vector<double>(indexed.begin(), indexed.begin() + static_cast<std::ptrdiff_t>(count)));
  };
  const Percentiles index_scan_p = first(scan_queries);
  const Percentiles index_list_p = first(list_queries);
  const Percentiles scan_p = percentiles(scanned);
  const Percentiles list_p = percentiles(listed);
  std::cout << fmt::format(
      "directory search: {} users, 100 roles (seeded in {:.1f} s), limit 20\n"
      "index build (first search): {:.1f} ms\n"
      "indexed search ({} q):           p50 {:9.1f} us  p99 {:9.1f} us  mean {:9.1f} us\n"
      "  its first {} q:                p50 {:9.1f} us  p99 {:9.1f} us\n"
      "linear scan, baseline A ({} q):  p50 {:9.1f} us  p99 {:9.1f} us  mean {:9.1f} us\n"
      "user list + scan, baseline B ({} q): p50 {:9.1f} us  p99 {:9.1f} us\n"
      "A / index: p50 {:.1f}x  p99 {:.1f}x\n"
      "B / index: p50 {:.0f}x  p99 {:.0f}x\n",
      options.users, seed_seconds, build_ms, queries.size(), index_p.p50, index_p.p99, index_p.mean,
      scan_queries, index_scan_p.p50, index_scan_p.p99, scan_queries, scan_p.p50, scan_p.p99,
      scan_p.mean, list_queries, list_p.p50, list_p.p99, scan_p.p50 / index_scan_p.p50,
      scan_p.p99 / index_scan_p.p99, list_p.p50 / index_list_p.p50, list_p.p99 / index_list_p.p99);
  // The index and the scan apply one rule: the same number of results, or a bug.
  if (index_results_scanned != scan_results) {
    std::cerr << fmt::format("wardline bench directory: the index found {} results, the scan {}\n",
                             index_results_scanned, scan_results);
    return 1;
  }
  return results > 0 ? 0 : 1;
}

}  // namespace wl::cli
