// KeyRing: the crypto a send does on its io thread, per call. Compare each with
// Seal/300 (a message body) of the same run; ratios, never absolute numbers
// (docs/benchmarks.md, "Sealed client ids").
// - BlindToken: a client id's idempotency token (HMAC-SHA-256, base64url).
// - Seal/36, Seal/300: sealing a UUID client id and a 300-byte body (AES-256-GCM with a
//   random nonce and the AAD of its context).
// - Open: opening a sealed client id, as rendering each message event does.
//
//   build/bench/wl_key_ring_benchmark

#include <filesystem>
#include <random>
#include <string>

#include <benchmark/benchmark.h>

#include "adapters/keyfile/file_key_provider.hpp"
#include "adapters/sqlite/sqlite_store.hpp"
#include "services/keys/key_ring.hpp"

namespace wl {
namespace {

// A KeyRing over a store and key file in a fresh temporary directory, with one org
// whose first data key exists, shared by every benchmark of the run. Aborts
// (WL_CHECK) if they cannot be made.
class Keys {
 public:
  Keys() {
    std::random_device random;
    directory_ = std::filesystem::temp_directory_path() /
                 ("wl_key_ring_bench_" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(directory_);
    auto provider = FileKeyProvider::open_or_create(directory_ / "kek");
    WL_CHECK(provider.has_value());
    provider_ = std::move(*provider);
    auto store = SqliteStore::open(directory_ / "bench.db",
                                   [](const AuditEntry&) { return std::string(32, '\0'); });
    WL_CHECK(store.has_value());
    store_ = std::move(*store);
    ring_ = std::make_unique<KeyRing>(*store_, *provider_, clock_);
    auto org = commit_one<Org>(*store_, CreateOrg{"Bench", clock_.now()});
    WL_CHECK(org.has_value());
    org_ = org->id;
    WL_CHECK(ring_->prepare(org_).has_value());
  }
  Keys(const Keys&) = delete;
  Keys& operator=(const Keys&) = delete;
  ~Keys() {
    ring_.reset();
    store_.reset();
    provider_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }

  KeyRing& ring() { return *ring_; }
  OrgId org() const { return org_; }

 private:
  std::filesystem::path directory_;
  SystemClock clock_;
  std::unique_ptr<FileKeyProvider> provider_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<KeyRing> ring_;
  OrgId org_;
};

Keys& keys() {
  static Keys instance;
  return instance;
}

constexpr std::string_view kClientId = "0b0e6c1a-8f3e-4e39-9d8e-5f1f6d7a9b21";
constexpr std::string_view kRecord =
    "thread:4/sender:12/client_token:n3Dq0Zc8fJ1xU6yW2bVtK9sLmE4pRgHaTiOuY7cXwQ5";

void BM_BlindToken(benchmark::State& state) {
  const std::string text = "client_id:12:" + std::string(kClientId);
  for (auto _ : state) {
    benchmark::DoNotOptimize(keys().ring().blind_token(keys().org(), text));
  }
}
BENCHMARK(BM_BlindToken);

void BM_Seal(benchmark::State& state) {
  const std::string plaintext(static_cast<std::size_t>(state.range(0)), 'p');
  const SealContext context{keys().org(), "message", kRecord, "client_id"};
  for (auto _ : state) {
    benchmark::DoNotOptimize(keys().ring().seal(context, plaintext));
  }
}
BENCHMARK(BM_Seal)->Arg(36)->Arg(300);

void BM_Open(benchmark::State& state) {
  const SealContext context{keys().org(), "message", kRecord, "client_id"};
  auto sealed = keys().ring().seal(context, kClientId);
  WL_CHECK(sealed.has_value());
  for (auto _ : state) {
    benchmark::DoNotOptimize(keys().ring().open(context, *sealed));
  }
}
BENCHMARK(BM_Open);

}  // namespace
}  // namespace wl

BENCHMARK_MAIN();
