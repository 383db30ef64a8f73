// The AuditStore contract (src/ports/audit_store.hpp).

#include <gtest/gtest.h>

#include "contract/store_fixture.hpp"

namespace wl::testing {
namespace {

template <typename Factory>
class AuditStoreContract : public StoreFixture<Factory> {};

TYPED_TEST_SUITE(AuditStoreContract, StoreFactories, FactoryNames);

TYPED_TEST(AuditStoreContract, AuditEntriesFormAHashChain) {
  auto& store = *this->store_;
  std::vector<AuditEntry> appended;
  for (int i = 0; i < 5; ++i) {
    auto entry = store.append_audit(draft("login." + std::to_string(i), this->org_));
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
    appended.push_back(*entry);
  }
  EXPECT_EQ(appended[0].seq, 1);
  EXPECT_EQ(appended[0].prev_hash, std::string(32, '\0'));
  for (std::size_t i = 0; i < appended.size(); ++i) {
    EXPECT_EQ(appended[i].hash, testing::test_chain_hash(appended[i]));
    EXPECT_EQ(appended[i].hash.size(), 32u);
    if (i > 0) {
      EXPECT_EQ(appended[i].seq, appended[i - 1].seq + 1);
      EXPECT_EQ(appended[i].prev_hash, appended[i - 1].hash);
    }
  }
  auto page = store.read_audit(2, 2);
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].seq, 3);
  EXPECT_EQ((*page)[0].hash, appended[2].hash);
  EXPECT_EQ((*page)[0].prev_hash, appended[1].hash);
  EXPECT_EQ((*page)[0].draft.action, "login.2");
  EXPECT_EQ((*page)[0].draft.at, at(1));
  EXPECT_EQ((*page)[1].seq, 4);
  EXPECT_TRUE(store.read_audit(5, 10)->empty());

  // Messages chain into the same log.
  const UserId zoe = this->make_user("zoe");
  this->send_ok(this->make_thread(zoe, {}), zoe, "1");
  auto all = store.read_audit(0, 100);
  ASSERT_EQ(all->size(), 6u);
  EXPECT_EQ((*all)[5].prev_hash, appended[4].hash);
  EXPECT_EQ((*all)[5].draft.action, "message.send");

  // One store, one chain: every entry is in it, and it is the only chain.
  EXPECT_EQ(*store.list_audit_chains(), std::vector<std::int64_t>{store.audit_chain()});
  for (const AuditEntry& entry : *all) {
    EXPECT_EQ(entry.chain, store.audit_chain());
  }
  EXPECT_EQ(store.read_audit_chain(store.audit_chain(), 0, 100)->size(), 6u);
  EXPECT_TRUE(store.read_audit_chain(store.audit_chain() + 1, 0, 100)->empty());

  AuditCheckpoint checkpoint;
  checkpoint.chain = store.audit_chain();
  checkpoint.seq = 4;
  checkpoint.hash = appended[3].hash;
  checkpoint.public_key = std::string(32, 'k');
  checkpoint.signature = std::string(64, 's');
  checkpoint.at = at(9);
  ASSERT_TRUE(store.put_audit_checkpoint(checkpoint).has_value());
  // The same head signed again later replaces it (an idle head's refresh); an older
  // signature of it is dropped.
  AuditCheckpoint later = checkpoint;
  later.signature = std::string(64, 't');
  later.at = at(10);
  ASSERT_TRUE(store.put_audit_checkpoint(later).has_value());
  ASSERT_TRUE(store.put_audit_checkpoint(checkpoint).has_value());
  // Another hash at the same seq is a fork, never stored.
  AuditCheckpoint forked = later;
  forked.hash = appended[2].hash;
  forked.at = at(11);
  EXPECT_EQ(store.put_audit_checkpoint(forked).error().code(), Code::kAlreadyExists);
  auto checkpoints = store.list_audit_checkpoints();
  ASSERT_EQ(checkpoints->size(), 1u);
  EXPECT_EQ(checkpoints->front().hash, appended[3].hash);
  EXPECT_EQ(checkpoints->front().signature, std::string(64, 't'));
  EXPECT_EQ(checkpoints->front().at, at(10));
}

}  // namespace
}  // namespace wl::testing
