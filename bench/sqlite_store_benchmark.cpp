// SqliteStore:
// - DurableAppend: how group commit scales with the number of concurrent writers.
//   Compare items_per_second of each Arg against Arg(1) of the same run. Each message
//   is what the messaging service stores for a web app's send: a 300-byte body, its
//   client id's 43-character blind token and the 36-character id sealed (69 bytes).
// - HistoryPage: a page of 50 messages alone (receipts 0, the baseline) and with its
//   receipts (receipts 1: read positions and delivered-but-unread), in a thread of 2
//   and of 50 members. Compare each with receipts 0 of the same size.
// Ratios, never absolute numbers (docs/benchmarks.md).
//
//   build/bench/wl_sqlite_benchmark --benchmark_filter=DurableAppend
//   build/bench/wl_sqlite_benchmark --benchmark_filter=HistoryPage

#include <atomic>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include "adapters/sqlite/sqlite_store.hpp"

namespace wl {
namespace {

// A send as the messaging service writes it: the message and its audit entry, one batch.
bool append(SqliteStore& store, NewMessage message, const AuditDraft& audit, const CommitHook& hook,
            EventId* id = nullptr) {
  WriteBatch batch;
  batch.add(AppendMessage{std::move(message)});
  batch.audit(audit);
  auto committed = commit_and_wait(store, std::move(batch), hook);
  if (committed && id != nullptr) {
    *id = std::get<MessageAppended>(committed->results.front()).event.id;
  }
  return committed.has_value();
}

std::string sha256(std::string_view input) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string sha256_chainer(const AuditEntry& entry) {
  return sha256(entry.prev_hash + std::to_string(entry.seq) + entry.draft.action);
}

// Stands in for a blind token: 43 base64url characters, unrelated for each n (so the
// unique index takes them in random order, as it takes real tokens).
std::string client_token(std::int64_t n) {
  const std::string digest = sha256(std::to_string(n));
  unsigned char encoded[64];
  EVP_EncodeBlock(encoded, reinterpret_cast<const unsigned char*>(digest.data()),
                  static_cast<int>(digest.size()));
  std::string token(reinterpret_cast<const char*>(encoded), 43);
  for (char& c : token) {
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return token;
}

class TempDirectory {
 public:
  TempDirectory() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            ("wl_sqlite_bench_" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  ~TempDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

const Timestamp kNow = from_micros(1'800'000'000'000'000);

// A fresh store in `directory`; null (and the benchmark marked failed) if it cannot open.
std::unique_ptr<SqliteStore> open_store(const TempDirectory& directory, benchmark::State& state) {
  auto opened = SqliteStore::open(directory.path() / "bench.db", sha256_chainer);
  if (!opened) {
    state.SkipWithError("cannot open the store");
    return nullptr;
  }
  return std::move(*opened);
}

// Each iteration: `writers` threads each append kPerWriter 300-byte messages (with
// their audit entries) to their own thread, waiting for each to be durable.
void BM_DurableAppend(benchmark::State& state) {
  constexpr int kPerWriter = 50;
  const int writers = static_cast<int>(state.range(0));
  TempDirectory directory;
  std::unique_ptr<SqliteStore> store = open_store(directory, state);
  if (!store) {
    return;
  }
  const OrgId org = commit_one<Org>(*store, CreateOrg{"Bench", kNow})->id;
  NewUser user;
  user.org_id = org;
  user.username = "bench";
  user.created_at = kNow;
  const UserId sender = commit_one<User>(*store, CreateUser{user, UserId()})->id;
  std::vector<ThreadId> threads;
  for (int i = 0; i < writers; ++i) {
    NewThread thread;
    thread.org_id = org;
    thread.created_by = sender;
    thread.created_at = kNow;
    threads.push_back(commit_one<ThreadCreated>(*store, CreateThread{thread}, {})->thread.id);
  }
  const std::string body(300, 's');
  const std::string client_id_sealed(33 + 36, 'c');
  const CommitHook hook = [](std::span<const CommittedEvent>) {};
  AuditDraft audit;
  audit.at = kNow;
  audit.org_id = org;
  audit.action = "message.send";
  audit.outcome = "ok";
  std::atomic<std::int64_t> next_client_id = 0;
  std::atomic<int> failures = 0;

  for (auto _ : state) {
    std::vector<std::thread> workers;
    for (int writer = 0; writer < writers; ++writer) {
      workers.emplace_back([&, writer] {
        for (int i = 0; i < kPerWriter; ++i) {
          NewMessage message;
          message.org_id = org;
          message.thread_id = threads[static_cast<std::size_t>(writer)];
          message.sender = sender;
          message.client_token = client_token(next_client_id++);
          message.client_id_sealed = client_id_sealed;
          message.body_sealed = body;
          message.created_at = kNow;
          if (!append(*store, std::move(message), audit, hook)) {
            ++failures;
          }
        }
      });
    }
    for (auto& worker : workers) {
      worker.join();
    }
  }
  if (failures.load() != 0) {
    state.SkipWithError("appends failed");
  }
  state.SetItemsProcessed(state.iterations() * writers * kPerWriter);
}
BENCHMARK(BM_DurableAppend)->Arg(1)->Arg(8)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);

// A thread of `members` users where the first sent 2,000 messages. Every other member
// received all of them and read the first 1,900, so the newest page has 50 messages
// delivered but not read by everyone else.
void BM_HistoryPage(benchmark::State& state) {
  constexpr int kMessages = 2000;
  constexpr std::size_t kPage = 50;
  const bool with_receipts = state.range(0) != 0;
  const int member_count = static_cast<int>(state.range(1));
  TempDirectory directory;
  std::unique_ptr<SqliteStore> store = open_store(directory, state);
  if (!store) {
    return;
  }
  const OrgId org = commit_one<Org>(*store, CreateOrg{"Bench", kNow})->id;
  std::vector<UserId> members;
  for (int i = 0; i < member_count; ++i) {
    NewUser user;
    user.org_id = org;
    user.username = "member" + std::to_string(i);
    user.created_at = kNow;
    members.push_back(commit_one<User>(*store, CreateUser{user, UserId()})->id);
  }
  NewThread thread;
  thread.org_id = org;
  thread.created_by = members.front();
  thread.created_at = kNow;
  thread.members = members;
  const CommitHook hook = [](std::span<const CommittedEvent>) {};
  const ThreadId thread_id =
      commit_one<ThreadCreated>(*store, CreateThread{thread}, hook)->thread.id;
  AuditDraft audit;
  audit.at = kNow;
  audit.org_id = org;
  audit.action = "message.send";
  audit.outcome = "ok";
  std::vector<EventId> sent;
  for (int i = 0; i < kMessages; ++i) {
    NewMessage message;
    message.org_id = org;
    message.thread_id = thread_id;
    message.sender = members.front();
    message.client_token = std::to_string(i);
    message.body_sealed = std::string(300, 's');
    message.created_at = kNow;
    EventId id;
    if (!append(*store, std::move(message), audit, hook, &id)) {
      state.SkipWithError("append failed");
      return;
    }
    sent.push_back(id);
  }
  for (std::size_t i = 1; i < members.size(); ++i) {
    if (!commit_one<std::vector<Event>>(*store, RecordDelivered{members[i], sent, kNow}, hook) ||
        !commit_one<std::optional<Event>>(
            *store, RecordRead{thread_id, members[i], kMessages - 50, kNow}, hook)) {
      state.SkipWithError("receipts failed");
      return;
    }
  }

  for (auto _ : state) {
    auto page = store->read_thread_messages(thread_id, 0, kPage);
    if (!page || page->size() != kPage) {
      state.SkipWithError("history failed");
      break;
    }
    if (with_receipts) {
      auto receipts = store->read_history_receipts(thread_id, members.front(), page->back().seq,
                                                   page->front().seq);
      if (!receipts || receipts->delivered_unread.size() != kPage * (members.size() - 1)) {
        state.SkipWithError("history receipts failed");
        break;
      }
      benchmark::DoNotOptimize(receipts);
    }
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistoryPage)
    ->ArgNames({"receipts", "members"})
    ->ArgsProduct({{0, 1}, {2, 50}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace wl

BENCHMARK_MAIN();
