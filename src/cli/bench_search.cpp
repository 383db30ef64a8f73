// `wardline bench search` (docs/benchmarks.md, "Message search"): the index's cost on
// the send path against sending without it, and search latency over a million messages.
#include "cli/bench_search.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/bench_stats.hpp"
#include "cli/runtime.hpp"
#include "services/identity/identity_service.hpp"
#include "services/keys/key_ring.hpp"
#include "services/messaging/messaging_service.hpp"

namespace wl::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kOrgName = "Bench Search";

// The common words of clinical messages, drawn most often; the rest of a message's words
// come from a long tail of generated ones, so that word frequencies fall off as in text.
constexpr std::array<std::string_view, 48> kCommon{
    "the",     "patient", "bed",         "please",   "check",    "pain",      "room",    "dose",
    "now",     "and",     "is",          "for",      "to",       "at",        "with",    "bp",
    "labs",    "repeat",  "potassium",   "troponin", "ecg",      "fever",     "morning", "rounds",
    "chest",   "oxygen",  "sats",        "family",   "consult",  "discharge", "plan",    "meds",
    "insulin", "heparin", "glucose",     "wound",    "dressing", "xray",      "ct",      "mri",
    "urine",   "culture", "antibiotics", "fall",     "stable",   "called",    "review",  "note"};

class Words {
 public:
  explicit Words(std::mt19937& random) : random_(random) {}

  // Three words in four common (Zipf-like over kCommon), the rest from a 50,000-word tail
  // (also Zipf-like), as "w123".
  std::string next() {
    if (random_() % 4 != 0) {
      return std::string(kCommon[zipf(kCommon.size())]);
    }
    return fmt::format("w{}", zipf(50000));
  }

 private:
  std::size_t zipf(std::size_t size) {
    // Inverse of a continuous 1/x distribution: rank r with probability about 1/r.
    const double u = std::uniform_real_distribution<double>(0, 1)(random_);
    const auto rank = static_cast<std::size_t>(std::exp(u * std::log(static_cast<double>(size))));
    return std::min(rank, size) - 1;
  }

  std::mt19937& random_;
};

std::string body(Words& words, std::mt19937& random) {
  std::string text;
  const std::size_t count = 6 + random() % 15;
  for (std::size_t i = 0; i < count; ++i) {
    text += (i == 0 ? "" : " ") + words.next();
  }
  return text;
}

int fail(const Status& status) {
  std::cerr << "wardline bench search: " << status.to_string() << "\n";
  return 1;
}

}  // namespace

int run_search_bench(const SearchBenchOptions& options) {
  if (std::filesystem::exists(options.data_dir)) {
    std::cerr << "wardline bench search: --data-dir must not exist (a fresh store is made)\n";
    return 2;
  }
  if (options.users < 4 || options.threads < 1 || options.messages < options.threads ||
      options.queries < 10 || options.send_messages < 100) {
    std::cerr << "wardline bench search: --users at least 4, --messages at least --threads, "
                 "--queries at least 10, --send-messages at least 100\n";
    return 2;
  }
  RuntimeOptions runtime_options;
  runtime_options.password_strength = PasswordHasher::Strength::kMinimum;
  // Searches as fast as the bench asks: the rate limit is not what is measured.
  runtime_options.messaging.search_burst = 1e12;
  runtime_options.messaging.searches_per_second = 1e12;
  auto opened = Runtime::open(options.data_dir, runtime_options);
  if (!opened) {
    return fail(opened.error());
  }
  Runtime& runtime = **opened;
  Store& store = runtime.store();
  MessagingService& messaging = runtime.messaging();
  auto org = runtime.identity().create_org(IdentityService::system_principal(), kOrgName);
  if (!org) {
    return fail(org.error());
  }
  std::mt19937 random(20261208);
  Words words(random);

  // People, one commit.
  std::vector<UserId> users;
  {
    WriteBatch batch;
    for (std::int64_t n = 0; n < options.users; ++n) {
      NewUser user;
      user.org_id = org->id;
      user.username = fmt::format("user{}", n);
      user.display_name = fmt::format("User {}", n);
      user.password_hash = "$argon2id$bench";
      user.created_at = runtime.clock().now();
      batch.add(CreateUser{user, UserId()});
    }
    auto committed = commit_and_wait(store, std::move(batch));
    if (!committed) {
      return fail(committed.error());
    }
    for (const MutationResult& result : committed->results) {
      users.push_back(std::get<User>(result).id);
    }
  }
  // Groups of 4; one in ten about one of 100 patients.
  std::vector<PatientId> patients;
  for (int n = 0; n < 100; ++n) {
    ChangePatient change;
    change.org = org->id;
    change.at = runtime.clock().now();
    ChangePatient::PatientChange patient;
    patient.seal_record = fmt::format("patient:bench-{}", n);
    patient.mrn_token = fmt::format("bench-mrn-{}", n);
    change.patient = std::move(patient);
    auto written = commit_one<PatientWritten>(store, std::move(change));
    if (!written) {
      return fail(written.error());
    }
    patients.push_back(written->patient);
  }
  struct Conversation {
    ThreadId id;
    std::array<UserId, 4> members;
    PatientId patient;
  };
  std::vector<Conversation> conversations;
  for (std::int64_t first = 0; first < options.threads; first += 500) {
    WriteBatch batch;
    std::vector<Conversation> made;
    for (std::int64_t n = first; n < std::min<std::int64_t>(first + 500, options.threads); ++n) {
      Conversation conversation;
      for (UserId& member : conversation.members) {
        member = users[random() % users.size()];
      }
      NewThread thread;
      thread.org_id = org->id;
      thread.kind = n % 10 == 0 ? ThreadKind::kPatient : ThreadKind::kGroup;
      if (n % 10 == 0) {
        conversation.patient = patients[random() % patients.size()];
        thread.patient_id = conversation.patient;
      }
      thread.title_sealed = "bench";
      thread.created_by = conversation.members[0];
      thread.created_at = runtime.clock().now();
      thread.members.assign(conversation.members.begin() + 1, conversation.members.end());
      batch.add(CreateThread{thread});
      made.push_back(conversation);
    }
    auto committed = commit_and_wait(store, std::move(batch));
    if (!committed) {
      return fail(committed.error());
    }
    for (std::size_t i = 0; i < made.size(); ++i) {
      made[i].id = std::get<ThreadCreated>(committed->results[i]).thread.id;
      conversations.push_back(made[i]);
    }
  }

  std::int64_t client = 0;
  const auto prepare = [&](const Conversation& conversation) -> Result<NewMessage> {
    const UserId sender = conversation.members[random() % conversation.members.size()];
    const Principal actor{sender, org->id, DeviceId(), false, false, "", false};
    SendRequest request;
    request.thread = conversation.id;
    request.client_id = fmt::format("c{}", ++client);
    request.body = body(words, random);
    return messaging.seal_message(actor, request);
  };

  // 1. The send path: the service's preparation (checks, sealing, and the tokens) then
  // the store's append, in batches of 256 as group commit writes a loaded server's sends.
  // Rounds alternate with the index and without it (the same preparation, the tokens
  // cleared before the append, and their HMACs timed apart and taken off), so that both
  // see the same database size and the same machine.
  constexpr std::size_t kBatch = 256;
  std::int64_t sent_without_index = 0;
  const auto fail_status = [](const Status& status) { return fail(status); };
  const auto time_send_path = [&](std::string_view when) -> int {
    double with_prepare = 0;
    double with_commit = 0;
    double without_prepare = 0;
    double without_commit = 0;
    std::int64_t with_count = 0;
    std::int64_t without_count = 0;
    std::int64_t rows = 0;
    for (std::int64_t round = 0; with_count + without_count < options.send_messages; ++round) {
      const bool indexed = round % 2 == 0;
      WriteBatch batch;
      double prepared = 0;
      for (std::size_t n = 0; n < kBatch; ++n) {
        const Conversation& conversation = conversations[random() % conversations.size()];
        const auto start = Clock::now();
        auto message = prepare(conversation);
        prepared += micros_since(start);
        if (!message) {
          return fail_status(message.error());
        }
        if (!indexed) {
          // What its tokens cost to make, timed again (as many HMACs), and taken off.
          const auto tokens_start = Clock::now();
          for (std::size_t i = 0; i < message->search_tokens.size(); ++i) {
            if (auto again = runtime.keys().blind_token(org->id, "message-word:again"); !again) {
              return fail_status(again.error());
            }
          }
          prepared -= micros_since(tokens_start);
          message->search_tokens.clear();
        } else {
          rows += static_cast<std::int64_t>(message->search_tokens.size());
        }
        batch.add(AppendMessage{std::move(*message)});
      }
      const auto start = Clock::now();
      if (auto committed = commit_and_wait(store, std::move(batch)); !committed) {
        return fail_status(committed.error());
      }
      const double committed_micros = micros_since(start);
      if (indexed) {
        with_prepare += prepared;
        with_commit += committed_micros;
        with_count += kBatch;
      } else {
        without_prepare += prepared;
        without_commit += committed_micros;
        without_count += kBatch;
      }
    }
    const double with_each = (with_prepare + with_commit) / static_cast<double>(with_count);
    const double without_each =
        (without_prepare + without_commit) / static_cast<double>(without_count);
    fmt::print(
        "send path on {}, {} messages each way in batches of {} ({:.1f} index rows a message):\n",
        when, with_count, kBatch, static_cast<double>(rows) / static_cast<double>(with_count));
    fmt::print("  with the index:    prepare {:.1f} us + append {:.1f} us = {:.1f} us a message\n",
               with_prepare / static_cast<double>(with_count),
               with_commit / static_cast<double>(with_count), with_each);
    fmt::print("  without the index: prepare {:.1f} us + append {:.1f} us = {:.1f} us a message\n",
               without_prepare / static_cast<double>(without_count),
               without_commit / static_cast<double>(without_count), without_each);
    fmt::print("  ratio with / without: {:.2f}x\n", with_each / without_each);
    sent_without_index += without_count;
    return 0;
  };
  if (const int failed = time_send_path("an empty store"); failed != 0) {
    return failed;
  }

  // 2. The rest of the million, indexed as sends index them.
  const auto seed_start = Clock::now();
  std::int64_t seeded = 2 * sent_without_index;
  while (seeded < options.messages) {
    WriteBatch batch;
    for (std::size_t n = 0; n < 1000 && seeded < options.messages; ++n, ++seeded) {
      auto message = prepare(conversations[random() % conversations.size()]);
      if (!message) {
        return fail(message.error());
      }
      batch.add(AppendMessage{std::move(*message)});
    }
    if (auto committed = commit_and_wait(store, std::move(batch)); !committed) {
      return fail(committed.error());
    }
    if (seeded % 100000 < 1000) {
      fmt::print("  seeded {} messages\n", seeded);
      std::fflush(stdout);
    }
  }
  fmt::print("seeded {} messages in {:.0f} s ({} without index rows)\n", seeded,
             micros_since(seed_start) / 1e6, sent_without_index);
  std::fflush(stdout);
  // The send path again, now that the index is as large as the store.
  if (const int failed = time_send_path("the full store"); failed != 0) {
    return failed;
  }

  // 3. Searches by members: one word (four in five) or two, a tenth by patient too.
  std::vector<double> served;   // As a request runs it: tokens, store, opening, audit.
  std::vector<double> indexed;  // The store's search alone.
  std::size_t hits = 0;
  for (std::int64_t n = 0; n < options.queries; ++n) {
    const Conversation& conversation = conversations[random() % conversations.size()];
    const UserId user = conversation.members[random() % conversation.members.size()];
    const Principal actor{user, org->id, DeviceId(), false, false, "", false};
    MessageSearchRequest request;
    request.text = words.next();
    if (random() % 5 == 0) {
      request.text += " " + words.next();
    }
    if (n % 10 == 0 && conversation.patient.is_set()) {
      request.patient = conversation.patient;
    }
    request.limit = 20;
    auto start = Clock::now();
    auto page = messaging.search_messages(actor, request);
    served.push_back(micros_since(start));
    if (!page) {
      return fail(page.error());
    }
    hits += page->hits.size();
  }
  // The store alone, on the same kind of queries: tokens made ahead of time.
  for (std::int64_t n = 0; n < options.queries; ++n) {
    const Conversation& conversation = conversations[random() % conversations.size()];
    const UserId user = conversation.members[random() % conversation.members.size()];
    const Principal actor{user, org->id, DeviceId(), false, false, "", false};
    SendRequest probe;
    probe.thread = conversation.id;
    probe.client_id = "probe";
    probe.body = words.next();
    if (random() % 5 == 0) {
      probe.body += " " + words.next();
    }
    auto sealed = messaging.seal_message(actor, probe);
    if (!sealed) {
      return fail(sealed.error());
    }
    MessageQuery query;
    query.user = user;
    query.tokens = sealed->search_tokens;
    query.limit = 21;
    const auto start = Clock::now();
    auto found = store.search_messages(query);
    indexed.push_back(micros_since(start));
    if (!found) {
      return fail(found.error());
    }
  }
  const Percentiles served_p = percentiles(served);
  const Percentiles indexed_p = percentiles(indexed);
  fmt::print("search over {} messages, {} queries, limit 20 ({:.1f} hits a query):\n", seeded,
             options.queries, static_cast<double>(hits) / static_cast<double>(options.queries));
  fmt::print("  as a request runs it: p50 {:.2f} ms, p99 {:.2f} ms, mean {:.2f} ms\n",
             served_p.p50 / 1000, served_p.p99 / 1000, served_p.mean / 1000);
  fmt::print("  the store alone:      p50 {:.2f} ms, p99 {:.2f} ms, mean {:.2f} ms\n",
             indexed_p.p50 / 1000, indexed_p.p99 / 1000, indexed_p.mean / 1000);
  return 0;
}

}  // namespace wl::cli
