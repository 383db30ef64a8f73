#include "services/audit/audit_chain.hpp"

#include <gtest/gtest.h>

#include "core/crypto/encoding.hpp"
#include "core/crypto/hash.hpp"

namespace wl {
namespace {

AuditEntry sample_entry() {
  AuditEntry entry;
  entry.seq = 7;
  entry.prev_hash = std::string(32, '\x11');
  entry.draft.at = from_micros(1'800'000'000'000'000);
  entry.draft.org_id = OrgId{1};
  entry.draft.actor = UserId{4};
  entry.draft.device = DeviceId{9};
  entry.draft.action = "message.send";
  entry.draft.target = "thread:12";
  entry.draft.outcome = "ok";
  entry.draft.detail = "";
  return entry;
}

TEST(AuditChainTest, HashIsSha256OfTheEncoding) {
  const AuditEntry entry = sample_entry();
  EXPECT_EQ(audit_entry_hash(entry), crypto::sha256(audit_entry_encoding(entry)));
  EXPECT_EQ(make_audit_chainer()(entry), audit_entry_hash(entry));
  EXPECT_EQ(audit_genesis_hash(), std::string(32, '\0'));
}

TEST(AuditChainTest, EncodingIsStable) {
  // Pinned bytes: changing the format must be a deliberate, versioned change
  // (docs/audit_chain.md), since stored hashes depend on it.
  EXPECT_EQ(crypto::hex_encode(audit_entry_encoding(sample_entry())),
            "00000017" + crypto::hex_encode("wardline.audit.entry.v1") +
                "0000000000000007" + "00000020" + std::string(64, '1') +
                "0006651728988000" + "0000000000000001" + "0000000000000004" +
                "0000000000000009" + "0000000c" + crypto::hex_encode("message.send") +
                "00000009" + crypto::hex_encode("thread:12") + "00000002" +
                crypto::hex_encode("ok") + "00000000");
}

TEST(AuditChainTest, EveryFieldChangesTheHash) {
  const std::string original = audit_entry_hash(sample_entry());
  std::vector<AuditEntry> variants(10, sample_entry());
  variants[0].seq = 8;
  variants[1].prev_hash[0] = 'x';
  variants[2].draft.at = from_micros(1);
  variants[3].draft.org_id = OrgId{2};
  variants[4].draft.actor = UserId{5};
  variants[5].draft.device = DeviceId{10};
  variants[6].draft.action = "message.read";
  variants[7].draft.target = "thread:13";
  variants[8].draft.outcome = "denied";
  variants[9].draft.detail = "x";
  for (std::size_t i = 0; i < variants.size(); ++i) {
    EXPECT_NE(audit_entry_hash(variants[i]), original) << i;
  }
}

TEST(AuditChainTest, LengthPrefixesKeepFieldBoundaries) {
  AuditEntry a = sample_entry();
  AuditEntry b = sample_entry();
  a.draft.action = "ab";
  a.draft.target = "c";
  b.draft.action = "a";
  b.draft.target = "bc";
  EXPECT_NE(audit_entry_hash(a), audit_entry_hash(b));
}

TEST(AuditChainTest, CheckpointEncodingCoversSeqHashAndTime) {
  AuditCheckpoint checkpoint;
  checkpoint.seq = 3;
  checkpoint.hash = std::string(32, 'h');
  checkpoint.at = from_micros(5);
  const std::string original = audit_checkpoint_encoding(checkpoint);
  AuditCheckpoint other = checkpoint;
  other.seq = 4;
  EXPECT_NE(audit_checkpoint_encoding(other), original);
  other = checkpoint;
  other.hash[0] = 'i';
  EXPECT_NE(audit_checkpoint_encoding(other), original);
  other = checkpoint;
  other.at = from_micros(6);
  EXPECT_NE(audit_checkpoint_encoding(other), original);
  other = checkpoint;
  other.public_key = "not covered";
  EXPECT_EQ(audit_checkpoint_encoding(other), original);
}

}  // namespace
}  // namespace wl
