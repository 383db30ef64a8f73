#include "services/keys/key_ring.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "adapters/keyfile/file_key_provider.hpp"
#include "core/crypto/encoding.hpp"
#include "core/crypto/random.hpp"
#include "unit/services/keys/fake_key_store.hpp"

namespace wl {
namespace {

namespace fs = std::filesystem;

constexpr OrgId kOrg{1};
constexpr OrgId kOtherOrg{2};

SealContext body_of(std::string_view record, OrgId org = kOrg) {
  return SealContext{org, "message", record, "body"};
}

class KeyRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() / ("wl-keyring-" + crypto::random_token_hex(8));
    fs::create_directories(directory_);
    provider_ = open_provider();
    ring_ = std::make_unique<KeyRing>(store_, *provider_, clock_);
    ASSERT_TRUE(ring_->load().has_value());
  }
  void TearDown() override { fs::remove_all(directory_); }

  std::unique_ptr<FileKeyProvider> open_provider() {
    auto provider = FileKeyProvider::open_or_create(directory_ / "keys");
    EXPECT_TRUE(provider.has_value());
    return std::move(provider.value());
  }

  std::string seal(const SealContext& context, std::string_view text) {
    auto sealed = ring_->seal(context, text);
    EXPECT_TRUE(sealed.has_value()) << sealed.error().to_string();
    return sealed.value_or("");
  }

  fs::path directory_;
  testing::FakeKeyStore store_;
  ManualClock clock_{from_micros(1'800'000'000'000'000)};
  std::unique_ptr<FileKeyProvider> provider_;
  std::unique_ptr<KeyRing> ring_;
};

TEST_F(KeyRingTest, SealedValueOpensInItsContext) {
  const std::vector<std::string> texts = {"", "x", "Patient in 4W-12 has chest pain",
                                          std::string(5000, 'a')};
  for (const std::string& text : texts) {
    const std::string sealed = seal(body_of("thread:12/sender:4/client:abc"), text);
    EXPECT_EQ(sealed.size(), 1 + 4 + 12 + text.size() + 16);
    if (text.size() > 4) {
      EXPECT_EQ(sealed.find(text), std::string::npos);
    }
    auto opened = ring_->open(body_of("thread:12/sender:4/client:abc"), sealed);
    ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
    EXPECT_EQ(*opened, text);
  }
}

TEST_F(KeyRingTest, SealingTheSameTextTwiceGivesDifferentBytes) {
  EXPECT_NE(seal(body_of("r"), "same"), seal(body_of("r"), "same"));
}

TEST_F(KeyRingTest, FirstSealStoresOneWrappedDataKey) {
  EXPECT_TRUE(store_.keys_for_test().empty());
  seal(body_of("r"), "a");
  seal(body_of("r"), "b");
  const auto keys = store_.keys_for_test();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].org_id, kOrg);
  EXPECT_EQ(keys[0].key_id, 1u);
  EXPECT_EQ(keys[0].created_at, clock_.now());
  auto unwrapped = provider_->unwrap(keys[0].wrapped);
  ASSERT_TRUE(unwrapped.has_value());
  EXPECT_EQ(unwrapped->size(), 32u);
}

// A server prepares each org before io threads seal, so no seal stores a key then.
TEST_F(KeyRingTest, PrepareStoresTheFirstKeySoSealingStoresNothing) {
  ASSERT_TRUE(ring_->prepare(kOrg).has_value());
  ASSERT_EQ(store_.keys_for_test().size(), 1u);
  store_.fail_next_put_for_test();  // A seal that stored a key now would fail.
  seal(body_of("r"), "a");
  ASSERT_TRUE(ring_->prepare(kOrg).has_value());
  EXPECT_EQ(store_.keys_for_test().size(), 1u);
  EXPECT_FALSE(ring_->prepare(OrgId()).has_value());
}

TEST_F(KeyRingTest, OpenInAnotherContextFailsWithDataLoss) {
  seal(body_of("r", kOtherOrg), "gives the other org a key 1 too");
  const SealContext context{kOrg, "patient", "patient:mrn-token", "name"};
  const std::string sealed = seal(context, "Jane Roe");
  const std::vector<SealContext> others = {
      {kOtherOrg, "patient", "patient:mrn-token", "name"},
      {kOrg, "message", "patient:mrn-token", "name"},
      {kOrg, "patient", "patient:other", "name"},
      {kOrg, "patient", "patient:mrn-token", "dob"},
      // Length prefixes: moving a character between fields changes the AAD.
      {kOrg, "patient", "patient:mrn-toke", "nname"},
  };
  for (const SealContext& other : others) {
    auto opened = ring_->open(other, sealed);
    ASSERT_FALSE(opened.has_value()) << other.kind << " " << other.record << " " << other.field;
    EXPECT_EQ(opened.error().code(), Code::kDataLoss);
  }
}

TEST_F(KeyRingTest, OpenForAnOrgWithoutKeysFailsWithDataLoss) {
  const std::string sealed = seal(body_of("r"), "text");
  auto opened = ring_->open(body_of("r", OrgId{77}), sealed);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), Code::kDataLoss);
}

TEST_F(KeyRingTest, EveryTamperedByteFailsWithDataLoss) {
  const std::string sealed = seal(body_of("r"), "short text");
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::string tampered = sealed;
    tampered[i] ^= 0x04;
    auto opened = ring_->open(body_of("r"), tampered);
    ASSERT_FALSE(opened.has_value()) << i;
    EXPECT_EQ(opened.error().code(), Code::kDataLoss) << i;
  }
  EXPECT_EQ(ring_->open(body_of("r"), sealed.substr(0, 20)).error().code(), Code::kDataLoss);
  EXPECT_EQ(ring_->open(body_of("r"), "").error().code(), Code::kDataLoss);
}

TEST_F(KeyRingTest, SurvivesKekRotationAndReload) {
  const std::string before = seal(body_of("r1"), "before rotation");
  ASSERT_TRUE(ring_->rotate_kek().has_value());
  EXPECT_EQ(provider_->current_kek_id(), "kek-2");
  EXPECT_EQ(store_.rewrap_calls_for_test(), 1);
  const auto keys = store_.keys_for_test();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].wrapped.substr(2, 5), "kek-2");  // Re-wrapped under the new KEK.
  const std::string after = seal(body_of("r2"), "after rotation");

  // A new process: a provider and ring built from disk and the store only.
  auto provider = open_provider();
  KeyRing reloaded(store_, *provider, clock_);
  ASSERT_TRUE(reloaded.load().has_value());
  EXPECT_EQ(reloaded.open(body_of("r1"), before).value_or("?"), "before rotation");
  EXPECT_EQ(reloaded.open(body_of("r2"), after).value_or("?"), "after rotation");
}

TEST_F(KeyRingTest, RotatedDataKeySealsNewValuesAndOldOnesStillOpen) {
  const std::string old_value = seal(body_of("r"), "old");
  auto rotated = ring_->rotate_data_key(kOrg);
  ASSERT_TRUE(rotated.has_value());
  EXPECT_EQ(*rotated, 2u);
  const std::string new_value = seal(body_of("r"), "new");
  EXPECT_EQ(KeyRing::sealed_key_id(old_value).value_or(0), 1u);
  EXPECT_EQ(KeyRing::sealed_key_id(new_value).value_or(0), 2u);
  EXPECT_EQ(ring_->open(body_of("r"), old_value).value_or("?"), "old");
  EXPECT_EQ(ring_->open(body_of("r"), new_value).value_or("?"), "new");
  EXPECT_EQ(store_.keys_for_test().size(), 2u);
}

TEST_F(KeyRingTest, RotatingAnOrgWithoutKeysCreatesItsFirst) {
  EXPECT_EQ(ring_->rotate_data_key(kOtherOrg).value_or(0), 1u);
  EXPECT_EQ(ring_->rotate_data_key(OrgId{}).error().code(), Code::kInvalidArgument);
}

TEST_F(KeyRingTest, DestroyedDataKeyMakesItsValuesNotFound) {
  const std::string shredded = seal(body_of("r"), "period one");
  ASSERT_TRUE(ring_->rotate_data_key(kOrg).has_value());
  const std::string kept = seal(body_of("r"), "period two");
  store_.destroy_for_test(kOrg, 1);
  KeyRing reloaded(store_, *provider_, clock_);
  ASSERT_TRUE(reloaded.load().has_value());
  auto opened = reloaded.open(body_of("r"), shredded);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), Code::kNotFound);
  EXPECT_EQ(reloaded.open(body_of("r"), kept).value_or("?"), "period two");
}

TEST_F(KeyRingTest, BlindTokenIsDeterministicPerOrgAndDiffersAcrossOrgs) {
  auto first = ring_->blind_token(kOrg, "mrn:123456");
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  EXPECT_EQ(first->size(), 43u);
  EXPECT_EQ(ring_->blind_token(kOrg, "mrn:123456").value_or(""), *first);
  EXPECT_NE(ring_->blind_token(kOrg, "mrn:123457").value_or(*first), *first);
  EXPECT_NE(ring_->blind_token(kOtherOrg, "mrn:123456").value_or(*first), *first);
  EXPECT_EQ(first->find("123456"), std::string::npos);
}

TEST_F(KeyRingTest, BlindTokenSurvivesDataKeyRotationKekRotationAndReload) {
  const std::string token = ring_->blind_token(kOrg, "word:chest").value();
  ASSERT_TRUE(ring_->rotate_data_key(kOrg).has_value());
  ASSERT_TRUE(ring_->rotate_kek().has_value());
  EXPECT_EQ(ring_->blind_token(kOrg, "word:chest").value_or(""), token);
  KeyRing reloaded(store_, *provider_, clock_);
  ASSERT_TRUE(reloaded.load().has_value());
  EXPECT_EQ(reloaded.blind_token(kOrg, "word:chest").value_or(""), token);
}

TEST_F(KeyRingTest, ClientStorageKeyIsStablePerUserAndUnrelatedToOthers) {
  auto key = ring_->client_storage_key(kOrg, UserId{7});
  ASSERT_TRUE(key.has_value()) << key.error().to_string();
  EXPECT_EQ(key->size(), 32u);
  EXPECT_NE(ring_->client_storage_key(kOrg, UserId{8}).value_or(*key), *key);
  EXPECT_NE(ring_->client_storage_key(kOtherOrg, UserId{7}).value_or(*key), *key);
  // Not a blind token of the same words, in either encoding.
  const std::string token = ring_->blind_token(kOrg, "user:7").value();
  EXPECT_NE(crypto::base64url_encode(*key), token);
  // The same key after rotations and a reload: what a device sealed still opens.
  ASSERT_TRUE(ring_->rotate_data_key(kOrg).has_value());
  ASSERT_TRUE(ring_->rotate_kek().has_value());
  KeyRing reloaded(store_, *provider_, clock_);
  ASSERT_TRUE(reloaded.load().has_value());
  EXPECT_EQ(reloaded.client_storage_key(kOrg, UserId{7}).value_or(""), *key);
  EXPECT_EQ(ring_->client_storage_key(kOrg, UserId{}).error().code(), Code::kInvalidArgument);
}

TEST_F(KeyRingTest, ConcurrentFirstSealsCreateOneKey) {
  std::vector<std::thread> threads;
  std::vector<std::string> sealed(8);
  for (std::size_t t = 0; t < sealed.size(); ++t) {
    threads.emplace_back([this, t, &sealed] {
      sealed[t] = ring_->seal(body_of("r", OrgId{5}), "hello").value_or("");
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(store_.keys_for_test().size(), 1u);
  for (const std::string& value : sealed) {
    EXPECT_EQ(ring_->open(body_of("r", OrgId{5}), value).value_or("?"), "hello");
  }
}

TEST_F(KeyRingTest, AdoptsKeysAnotherProcessCreated) {
  // A second node over the same store and key file, loaded before any key existed.
  auto provider = open_provider();
  KeyRing other(store_, *provider, clock_);
  ASSERT_TRUE(other.load().has_value());
  const std::string mine = seal(body_of("r"), "from node one");
  // The other node's first seal collides on key id 1 and adopts the stored key.
  auto theirs = other.seal(body_of("r"), "from node two");
  ASSERT_TRUE(theirs.has_value()) << theirs.error().to_string();
  EXPECT_EQ(store_.keys_for_test().size(), 1u);
  EXPECT_EQ(other.open(body_of("r"), mine).value_or("?"), "from node one");
  EXPECT_EQ(ring_->open(body_of("r"), *theirs).value_or("?"), "from node two");
  // A key the other node rotated to is found on first use.
  ASSERT_EQ(other.rotate_data_key(kOrg).value_or(0), 2u);
  const std::string rotated = other.seal(body_of("r"), "key two").value();
  EXPECT_EQ(ring_->open(body_of("r"), rotated).value_or("?"), "key two");
}

TEST_F(KeyRingTest, StoreFailureOnFirstKeyIsReturnedAndNothingIsHeld) {
  store_.fail_next_put_for_test();
  auto sealed = ring_->seal(body_of("r"), "text");
  ASSERT_FALSE(sealed.has_value());
  EXPECT_EQ(sealed.error().code(), Code::kUnavailable);
  EXPECT_TRUE(store_.keys_for_test().empty());
  const std::string retried = seal(body_of("r"), "text");
  EXPECT_EQ(ring_->open(body_of("r"), retried).value_or("?"), "text");
}

TEST_F(KeyRingTest, SealWithoutAnOrgIsInvalid) {
  EXPECT_EQ(ring_->seal(body_of("r", OrgId{}), "x").error().code(), Code::kInvalidArgument);
}

TEST_F(KeyRingTest, LoadFailsWhenAKeyIsWrappedByAnUnknownKek) {
  seal(body_of("r"), "x");
  // The same store opened with a different key file: the KEK is missing.
  auto stranger = FileKeyProvider::open_or_create(directory_ / "other-keys");
  ASSERT_TRUE(stranger.has_value());
  KeyRing ring(store_, **stranger, clock_);
  auto loaded = ring.load();
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code(), Code::kDataLoss);  // Same id "kek-1", wrong key.
}

}  // namespace
}  // namespace wl
