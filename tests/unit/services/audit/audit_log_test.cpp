#include "services/audit/audit_log.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "services/audit/audit_anchor.hpp"
#include "services/audit/audit_chain.hpp"
#include "services/audit/audit_verifier.hpp"
#include "unit/services/audit/fake_audit_store.hpp"

namespace wl {
namespace {

class AuditLogTest : public ::testing::Test {
 protected:
  AuditDraft draft(int i) {
    AuditDraft draft;
    draft.org_id = OrgId{1};
    draft.actor = UserId{100 + i};
    draft.device = DeviceId{7};
    draft.action = "message.send";
    draft.target = "thread:" + std::to_string(i);
    draft.outcome = "ok";
    draft.detail = "n=" + std::to_string(i);
    return draft;
  }

  // Appends entries 1..count, with a checkpoint after every `checkpoint_every`.
  void fill(int count, int checkpoint_every = 0) {
    for (int i = 1; i <= count; ++i) {
      ASSERT_TRUE(log_.record(draft(i)).has_value());
      clock_.advance(std::chrono::seconds(1));
      if (checkpoint_every > 0 && i % checkpoint_every == 0) {
        ASSERT_TRUE(log_.checkpoint().has_value());
      }
    }
  }

  AuditVerifyReport verify(AuditVerifyOptions options) {
    auto report = verify_audit(store_, options);
    EXPECT_TRUE(report.has_value()) << report.error().to_string();
    return report.value_or(AuditVerifyReport{});
  }
  AuditVerifyReport verify() { return verify(options()); }

  // Trusts key_ only.
  AuditVerifyOptions options() {
    AuditVerifyOptions options;
    options.trusted_keys.push_back(AuditKeyAnchor::of_public_key(key_.public_key));
    options.now = clock_.now();
    return options;
  }

  void expect_bad(std::int64_t seq, std::string_view problem) {
    expect_bad(options(), seq, problem);
  }
  void expect_bad(const AuditVerifyOptions& options, std::int64_t seq, std::string_view problem) {
    const AuditVerifyReport report = verify(options);
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(report.first_bad_seq, seq);
    EXPECT_EQ(report.problem, problem);
  }

  ManualClock clock_{from_micros(1'800'000'000'000'000)};
  testing::FakeAuditStore store_{make_audit_chainer()};
  crypto::Ed25519KeyPair key_ = crypto::ed25519_generate();
  AuditLog log_{store_, clock_, key_};
};

TEST_F(AuditLogTest, RecordChainsEntriesFromGenesis) {
  auto first = log_.record(draft(1));
  auto second = log_.record(draft(2));
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(first->seq, 1);
  EXPECT_EQ(first->prev_hash, audit_genesis_hash());
  EXPECT_EQ(first->hash, audit_entry_hash(*first));
  EXPECT_EQ(first->draft.at, clock_.now());  // Filled from the clock.
  EXPECT_EQ(second->seq, 2);
  EXPECT_EQ(second->prev_hash, first->hash);
}

TEST_F(AuditLogTest, RecordKeepsAnExplicitTime) {
  AuditDraft explicit_time = draft(1);
  explicit_time.at = from_micros(42);
  EXPECT_EQ(log_.record(explicit_time).value().draft.at, from_micros(42));
}

TEST_F(AuditLogTest, CheckpointSignsTheNewestEntry) {
  fill(5);
  auto checkpoint = log_.checkpoint();
  ASSERT_TRUE(checkpoint.has_value()) << checkpoint.error().to_string();
  EXPECT_EQ(checkpoint->seq, 5);
  EXPECT_EQ(checkpoint->hash, store_.entries_for_test().at(5).hash);
  EXPECT_EQ(checkpoint->public_key, key_.public_key);
  EXPECT_EQ(checkpoint->at, clock_.now());
  EXPECT_TRUE(crypto::ed25519_verify(key_.public_key, audit_checkpoint_encoding(*checkpoint),
                                     checkpoint->signature));
  EXPECT_EQ(store_.list_audit_checkpoints().value().size(), 1u);
}

TEST_F(AuditLogTest, CheckpointOfAnIdleHeadReSignsItInPlace) {
  fill(3);
  const AuditCheckpoint first = log_.checkpoint().value();
  clock_.advance(std::chrono::minutes(1));
  auto again = log_.checkpoint();
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  EXPECT_EQ(again->seq, first.seq);
  EXPECT_EQ(again->at, clock_.now());
  // One row, now carrying the later time.
  const std::vector<AuditCheckpoint> stored = store_.list_audit_checkpoints().value();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].at, clock_.now());
  EXPECT_TRUE(verify().ok);
  ASSERT_TRUE(log_.record(draft(4)).has_value());
  EXPECT_EQ(log_.checkpoint().value().seq, 4);
  EXPECT_EQ(store_.list_audit_checkpoints().value().size(), 2u);
}

TEST_F(AuditLogTest, CheckpointOfAnEmptyLogIsRefused) {
  EXPECT_EQ(log_.checkpoint().error().code(), Code::kFailedPrecondition);
}

TEST_F(AuditLogTest, CheckpointSeesEntriesWrittenByAnotherProcess) {
  fill(3, 3);
  // Another node appends through the same store.
  AuditLog other(store_, clock_, crypto::ed25519_generate());
  ASSERT_TRUE(other.record(draft(4)).has_value());
  ASSERT_TRUE(other.record(draft(5)).has_value());
  EXPECT_EQ(log_.checkpoint().value().seq, 5);
}

TEST_F(AuditLogTest, NewProcessStartsFromItsLastCheckpointNotFromSeqOne) {
  fill(2500, 2500);
  AuditLog restarted(store_, clock_, key_);
  const int reads_before = store_.read_calls_for_test();
  ASSERT_TRUE(restarted.record(draft(2501)).has_value());
  EXPECT_EQ(restarted.checkpoint().value().seq, 2501);
  EXPECT_EQ(store_.read_calls_for_test() - reads_before, 1);  // One page, not three.
}

TEST_F(AuditLogTest, UntouchedLogVerifies) {
  fill(25, 10);
  const AuditVerifyReport report = verify();
  EXPECT_TRUE(report.ok) << report.problem << " at " << report.first_bad_seq;
  EXPECT_EQ(report.entries, 25);
  EXPECT_EQ(report.checkpoints, 2);
  EXPECT_EQ(report.first_bad_seq, 0);
  EXPECT_EQ(report.problem, "");
}

TEST_F(AuditLogTest, UntouchedLogReportsItsNewestCheckpointAndTheEntriesAfterIt) {
  fill(25, 10);
  const AuditVerifyReport report = verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.last_checkpoint_seq, 20);
  EXPECT_EQ(report.last_checkpoint_at, store_.checkpoints_for_test().at(1).at);
  EXPECT_EQ(report.unpinned, 5);
}

TEST_F(AuditLogTest, VerifyNeedsATrustedKey) {
  fill(3, 3);
  auto report = verify_audit(store_, AuditVerifyOptions{});
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().code(), Code::kInvalidArgument);
}

TEST_F(AuditLogTest, VerifyTrustsAKeyNamedByItsFingerprint) {
  fill(3, 3);
  AuditVerifyOptions by_fingerprint = options();
  by_fingerprint.trusted_keys = {
      AuditKeyAnchor::parse(audit_key_fingerprint(key_.public_key)).value()};
  EXPECT_TRUE(verify(by_fingerprint).ok);
  by_fingerprint.trusted_keys = {
      AuditKeyAnchor::parse(audit_key_fingerprint(crypto::ed25519_generate().public_key)).value()};
  expect_bad(by_fingerprint, 3, "checkpoint signed by an untrusted key");
}

// Forgery: every entry and checkpoint deleted.
TEST_F(AuditLogTest, EmptyLogFails) {
  expect_bad(1, "empty log");
  fill(5, 5);
  store_.entries_for_test().clear();
  store_.checkpoints_for_test().clear();
  expect_bad(1, "empty log");
}

TEST_F(AuditLogTest, LogWithoutACheckpointFails) {
  fill(5);
  expect_bad(1, "no checkpoint");
}

// Forgery: an entry edited, the chain recomputed and the checkpoints deleted.
TEST_F(AuditLogTest, RewrittenChainWithItsCheckpointsDeletedFails) {
  fill(10, 5);
  store_.entries_for_test().at(3).draft.outcome = "ok-edited";
  store_.rechain_from_for_test(3);
  store_.checkpoints_for_test().clear();
  expect_bad(1, "no checkpoint");
}

TEST_F(AuditLogTest, VerifiesAcrossPageBoundaries) {
  fill(2001, 1000);
  const AuditVerifyReport report = verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 2001);
  EXPECT_EQ(report.checkpoints, 2);
  store_.entries_for_test().at(1500).draft.outcome = "denied";
  expect_bad(1500, "hash mismatch");
}

TEST_F(AuditLogTest, DetectsAnEditedField) {
  fill(10, 5);
  store_.entries_for_test().at(4).draft.detail = "edited";
  expect_bad(4, "hash mismatch");
}

TEST_F(AuditLogTest, DetectsAnEditedHash) {
  fill(10);
  store_.entries_for_test().at(6).hash[0] ^= 0x01;
  expect_bad(6, "hash mismatch");
}

TEST_F(AuditLogTest, DetectsADeletedEntry) {
  fill(10, 5);
  store_.entries_for_test().erase(7);
  expect_bad(7, "sequence gap");
}

TEST_F(AuditLogTest, DetectsADeletedFirstEntry) {
  fill(3);
  store_.entries_for_test().erase(1);
  expect_bad(1, "sequence gap");
}

TEST_F(AuditLogTest, DetectsTwoSwappedEntries) {
  fill(10, 5);
  auto& entries = store_.entries_for_test();
  // Reordering rows: the rows of seq 3 and 4 exchange their seq numbers.
  std::swap(entries.at(3), entries.at(4));
  entries.at(3).seq = 3;
  entries.at(4).seq = 4;
  expect_bad(3, "broken link");
}

TEST_F(AuditLogTest, DetectsAnEditedCheckpointSignature) {
  fill(10, 5);
  store_.checkpoints_for_test().at(1).signature[3] ^= 0x01;
  expect_bad(10, "checkpoint signature invalid");
}

TEST_F(AuditLogTest, DetectsAnEditedCheckpointHash) {
  fill(10, 5);
  store_.checkpoints_for_test().at(0).hash[0] ^= 0x01;
  expect_bad(5, "checkpoint signature invalid");  // The signature covers the hash.
}

TEST_F(AuditLogTest, ReportsTheFirstProblemWhenThereAreSeveral) {
  fill(10, 5);
  store_.checkpoints_for_test().at(1).signature[3] ^= 0x01;  // seq 10
  store_.entries_for_test().at(8).draft.actor = UserId{1};
  store_.entries_for_test().at(9).draft.actor = UserId{1};
  expect_bad(8, "hash mismatch");
}

TEST_F(AuditLogTest, CheckpointsCatchARewrittenChain) {
  fill(10, 5);
  // The attacker edits entry 3 and recomputes every later hash and link: the chain
  // alone is consistent again, but the signed checkpoint at 5 no longer matches.
  store_.entries_for_test().at(3).draft.outcome = "ok-edited";
  store_.rechain_from_for_test(3);
  expect_bad(5, "checkpoint does not match chain");
}

TEST_F(AuditLogTest, CheckpointsCatchATruncatedTail) {
  fill(10, 10);
  store_.entries_for_test().erase(10);
  store_.entries_for_test().erase(9);
  expect_bad(10, "checkpoint does not match chain");
}

TEST_F(AuditLogTest, CheckpointAtSeqZeroDoesNotMatch) {
  fill(3, 3);
  AuditCheckpoint forged = store_.checkpoints_for_test().at(0);
  forged.seq = 0;
  forged.signature = crypto::ed25519_sign(key_, audit_checkpoint_encoding(forged));
  store_.checkpoints_for_test().push_back(forged);
  expect_bad(0, "checkpoint does not match chain");
}

TEST_F(AuditLogTest, ResignedCheckpointNeedsATrustedKey) {
  fill(10, 5);
  store_.entries_for_test().at(3).draft.outcome = "ok-edited";
  store_.rechain_from_for_test(3);
  // The attacker also re-signs the checkpoints with their own key.
  const crypto::Ed25519KeyPair attacker = crypto::ed25519_generate();
  for (AuditCheckpoint& checkpoint : store_.checkpoints_for_test()) {
    checkpoint.hash = store_.entries_for_test().at(checkpoint.seq).hash;
    checkpoint.public_key = attacker.public_key;
    checkpoint.signature = crypto::ed25519_sign(attacker, audit_checkpoint_encoding(checkpoint));
  }
  expect_bad(5, "checkpoint signed by an untrusted key");
}

// Forgery: a row deleted, the rest renumbered and rechained, the checkpoints re-signed.
TEST_F(AuditLogTest, DeletedRowWithTheRestRenumberedAndResignedFails) {
  fill(10, 5);
  auto& entries = store_.entries_for_test();
  entries.erase(4);
  for (std::int64_t seq = 5; seq <= 10; ++seq) {
    auto row = entries.extract(seq);
    row.key() = seq - 1;
    row.mapped().seq = seq - 1;
    entries.insert(std::move(row));
  }
  store_.rechain_from_for_test(1);
  const crypto::Ed25519KeyPair attacker = crypto::ed25519_generate();
  auto& checkpoints = store_.checkpoints_for_test();
  checkpoints.back().seq = 9;  // The new head.
  for (AuditCheckpoint& checkpoint : checkpoints) {
    checkpoint.hash = entries.at(checkpoint.seq).hash;
    checkpoint.public_key = attacker.public_key;
    checkpoint.signature = crypto::ed25519_sign(attacker, audit_checkpoint_encoding(checkpoint));
  }
  expect_bad(5, "checkpoint signed by an untrusted key");
}

// Forgery: the tail cut back to an earlier checkpoint, with the checkpoints after it.
// The store alone cannot show it; a head kept off the machine, or the age of the newest
// checkpoint of a running server, does.
TEST_F(AuditLogTest, TailCutBackToAnEarlierCheckpointFailsAgainstALaterHeadOrAnAgeBound) {
  fill(20, 10);
  const AuditCheckpoint later = store_.checkpoints_for_test().at(1);
  for (std::int64_t seq = 11; seq <= 20; ++seq) {
    store_.entries_for_test().erase(seq);
  }
  store_.checkpoints_for_test().pop_back();
  EXPECT_TRUE(verify().ok);

  AuditVerifyOptions with_head = options();
  with_head.heads.push_back(AuditChainHead{later.seq, later.hash});
  expect_bad(with_head, 20, "head not in chain");

  // A running server re-signs its head every few seconds; this one's newest
  // checkpoint is from ten entries (ten seconds) before the cut.
  AuditVerifyOptions with_age = options();
  with_age.max_age = std::chrono::seconds(5);
  expect_bad(with_age, 10, "last checkpoint too old");
}

TEST_F(AuditLogTest, HeadMustMatchTheChainAtItsSeq) {
  fill(10, 10);
  AuditVerifyOptions options = this->options();
  options.heads.push_back(AuditChainHead{4, store_.entries_for_test().at(4).hash});
  options.heads.push_back(AuditChainHead{10, store_.entries_for_test().at(10).hash});
  EXPECT_TRUE(verify(options).ok);
  options.heads.push_back(AuditChainHead{7, store_.entries_for_test().at(6).hash});
  expect_bad(options, 7, "head not in chain");
}

TEST_F(AuditLogTest, AgeBoundCountsFromTheNewestSignatureOfAnIdleHead) {
  fill(5, 5);
  AuditVerifyOptions options = this->options();
  options.max_age = std::chrono::seconds(30);
  clock_.advance(std::chrono::minutes(5));
  options.now = clock_.now();
  expect_bad(options, 5, "last checkpoint too old");
  ASSERT_TRUE(log_.checkpoint().has_value());  // The server's periodic re-signing.
  clock_.advance(std::chrono::seconds(10));
  options.now = clock_.now();
  EXPECT_TRUE(verify(options).ok);
}

TEST_F(AuditLogTest, ConcurrentRecordsFormOneValidChain) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 50; ++i) {
        EXPECT_TRUE(log_.record(draft(t * 100 + i)).has_value());
        if (i % 10 == 0) {
          EXPECT_TRUE(log_.checkpoint().has_value());
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  const AuditVerifyReport report = verify();
  EXPECT_TRUE(report.ok) << report.problem << " at " << report.first_bad_seq;
  EXPECT_EQ(report.entries, 200);
  // Twenty checkpoint calls; one that finds the head already signed stores nothing.
  EXPECT_GE(report.checkpoints, 1);
  EXPECT_LE(report.checkpoints, 20);
}

// One signed-in user refused over and over cannot fill the disk: past the budget a
// minute the refusals are counted, and the next written one says how many.
// ---- Several chains: one per writing store (docs/audit_chain.md, "Chains") ----

class AuditChainsTest : public AuditLogTest {
 protected:
  // Chain 1 (store_) and chain 2 (a second store on the same tables), each with
  // entries and checkpoints; chain 1 signs last, counting both.
  void fill_both() {
    fill(3);
    for (int i = 1; i <= 4; ++i) {
      ASSERT_TRUE(second_log_.record(draft(10 + i)).has_value());
    }
    ASSERT_TRUE(second_log_.checkpoint().has_value());
    clock_.advance(std::chrono::seconds(1));
    ASSERT_TRUE(log_.checkpoint().has_value());
  }

  testing::FakeAuditStore second_{make_audit_chainer(), store_.tables_for_test(), 2};
  AuditLog second_log_{second_, clock_, key_};
};

TEST_F(AuditChainsTest, EveryChainIsVerifiedAndEachCheckpointCountsTheChains) {
  fill_both();
  const AuditVerifyReport report = verify();
  EXPECT_TRUE(report.ok) << report.problem << " chain " << report.first_bad_chain;
  EXPECT_EQ(report.chains, 2);
  EXPECT_EQ(report.entries, 7);
  EXPECT_EQ(report.checkpoints, 2);
  EXPECT_EQ(report.unpinned, 0);
  const std::vector<AuditCheckpoint> checkpoints = store_.list_audit_checkpoints().value();
  for (const AuditCheckpoint& checkpoint : checkpoints) {
    EXPECT_EQ(checkpoint.chains, 2);
    EXPECT_EQ(checkpoint.seq, checkpoint.chain == 1 ? 3 : 4);
  }
}

TEST_F(AuditChainsTest, AnEditInTheSecondChainNamesThatChain) {
  fill_both();
  second_.entries_for_test().at(2).draft.detail = "n=edited";
  const AuditVerifyReport report = verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_chain, 2);
  EXPECT_EQ(report.first_bad_seq, 2);
  EXPECT_EQ(report.problem, "hash mismatch");
}

TEST_F(AuditChainsTest, AWholeChainDeletedIsCaughtByTheOtherChainsCheckpoint) {
  fill_both();
  store_.tables_for_test()->chains.erase(2);
  std::erase_if(store_.checkpoints_for_test(),
                [](const AuditCheckpoint& checkpoint) { return checkpoint.chain == 2; });
  const AuditVerifyReport report = verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, "missing chain");
}

TEST_F(AuditChainsTest, AChainWhoseEntriesAreDeletedAnswersForItsCheckpoints) {
  fill_both();
  store_.tables_for_test()->chains.erase(2);
  const AuditVerifyReport report = verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_chain, 2);
  EXPECT_EQ(report.problem, "checkpoint does not match chain");
}

TEST_F(AuditChainsTest, AChainRenumberedFailsItsSignatures) {
  fill_both();
  auto& chains = store_.tables_for_test()->chains;
  chains[3] = chains[2];
  chains.erase(2);
  for (auto& [seq, entry] : chains[3]) {
    entry.chain = 3;
  }
  for (AuditCheckpoint& checkpoint : store_.checkpoints_for_test()) {
    if (checkpoint.chain == 2) {
      checkpoint.chain = 3;
    }
  }
  const AuditVerifyReport report = verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_chain, 3);
  EXPECT_EQ(report.problem, "checkpoint signature invalid");
}

TEST_F(AuditChainsTest, AHeadNamesItsChain) {
  fill_both();
  AuditVerifyOptions with_head = options();
  const AuditEntry& last = second_.entries_for_test().at(4);
  with_head.heads.push_back(AuditChainHead{4, last.hash, 2});
  EXPECT_TRUE(verify(with_head).ok);
  // The same head said of chain 1, where seq 4 does not exist.
  with_head.heads.back().chain = 1;
  const AuditVerifyReport report = verify(with_head);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_chain, 1);
  EXPECT_EQ(report.problem, "head not in chain");
}

TEST_F(AuditLogTest, RefusalsOfOneUserAreBudgetedAndCounted) {
  const auto refusal = [&](int user) {
    AuditDraft denied = draft(user);
    denied.outcome = "denied";
    return denied;
  };
  for (int i = 0; i < AuditLog::kRefusalsPerMinute; ++i) {
    ASSERT_TRUE(log_.record(refusal(1)).has_value()) << i;
  }
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(log_.record(refusal(1)).error().code(), Code::kResourceExhausted);
  }
  // Another user and other outcomes are not held back.
  EXPECT_TRUE(log_.record(refusal(2)).has_value());
  EXPECT_TRUE(log_.record(draft(1)).has_value());
  clock_.advance(std::chrono::minutes(1));
  auto next = log_.record(refusal(1));
  ASSERT_TRUE(next.has_value());
  EXPECT_NE(next->draft.detail.find("suppressed=40"), std::string::npos) << next->draft.detail;
  EXPECT_EQ(next->seq, AuditLog::kRefusalsPerMinute + 3);
}

}  // namespace
}  // namespace wl
