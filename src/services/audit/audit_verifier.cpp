#include "services/audit/audit_verifier.hpp"

#include <algorithm>
#include <iterator>
#include <tuple>
#include <vector>

#include "core/crypto/ed25519.hpp"
#include "core/crypto/hash.hpp"
#include "services/audit/audit_chain.hpp"

namespace wl {
namespace {

constexpr std::size_t kPageSize = 1000;

AuditVerifyReport failed(AuditVerifyReport report, std::int64_t seq, std::string problem) {
  report.ok = false;
  report.first_bad_seq = seq;
  report.problem = std::move(problem);
  return report;
}

// Empty when the checkpoint is good against `chain_hash`, the chain's hash at its seq.
std::string checkpoint_problem(const AuditCheckpoint& checkpoint, std::string_view chain_hash,
                               const std::vector<AuditKeyAnchor>& trusted_keys) {
  if (std::none_of(trusted_keys.begin(), trusted_keys.end(),
                   [&](const AuditKeyAnchor& key) { return key.matches(checkpoint.public_key); })) {
    return "checkpoint signed by an untrusted key";
  }
  if (!crypto::ed25519_verify(checkpoint.public_key, audit_checkpoint_encoding(checkpoint),
                              checkpoint.signature)) {
    return "checkpoint signature invalid";
  }
  if (!crypto::constant_time_equal(checkpoint.hash, chain_hash)) {
    return "checkpoint does not match chain";
  }
  return {};
}

}  // namespace

namespace {

// What one chain's walk found good, for the whole log's report.
struct ChainTally {
  std::int64_t entries = 0;
  std::int64_t checkpoints = 0;
  std::int64_t last_checkpoint_seq = 0;
  Timestamp last_checkpoint_at;
  std::int64_t signed_chains = 0;  // The most chains a good checkpoint counted.
};

// Walks one chain from seq 1 against its checkpoints and heads (each sorted by seq).
// Sets report's problem and first_bad_seq and returns false at the first thing wrong.
Result<bool> verify_chain(AuditStore& store, std::int64_t chain,
                          const std::vector<AuditCheckpoint>& checkpoints,
                          const std::vector<AuditChainHead>& heads,
                          const std::vector<AuditKeyAnchor>& trusted_keys,
                          AuditVerifyReport& report, ChainTally& tally) {
  const auto fail = [&](std::int64_t seq, std::string problem) {
    report = failed(std::move(report), seq, std::move(problem));
    report.first_bad_chain = chain;
    return false;
  };
  std::size_t next_checkpoint = 0;
  std::size_t next_head = 0;
  std::int64_t expected_seq = 1;
  std::string prev_hash = audit_genesis_hash();

  // Invariant: every entry before expected_seq, and every checkpoint before
  // next_checkpoint and head before next_head, has been checked and found good.
  while (true) {
    const std::vector<AuditEntry> page =
        WL_TRY(store.read_audit_chain(chain, expected_seq - 1, kPageSize));
    for (const AuditEntry& entry : page) {
      if (entry.seq != expected_seq) {
        return fail(expected_seq, "sequence gap");
      }
      if (entry.prev_hash != prev_hash) {
        return fail(entry.seq, "broken link");
      }
      if (audit_entry_hash(entry) != entry.hash) {
        return fail(entry.seq, "hash mismatch");
      }
      while (next_checkpoint < checkpoints.size() &&
             checkpoints[next_checkpoint].seq <= entry.seq) {
        const AuditCheckpoint& checkpoint = checkpoints[next_checkpoint];
        // A checkpoint before this entry was not matched when its entry passed: its seq
        // is not in the chain (zero or negative).
        if (checkpoint.seq < entry.seq) {
          return fail(checkpoint.seq, "checkpoint does not match chain");
        }
        std::string problem = checkpoint_problem(checkpoint, entry.hash, trusted_keys);
        if (!problem.empty()) {
          return fail(checkpoint.seq, std::move(problem));
        }
        ++tally.checkpoints;
        tally.last_checkpoint_seq = checkpoint.seq;
        tally.last_checkpoint_at = checkpoint.at;
        tally.signed_chains = std::max(tally.signed_chains, checkpoint.chains);
        ++next_checkpoint;
      }
      // Heads are checked like checkpoints, with the signature already checked off
      // the machine by whoever collected them.
      while (next_head < heads.size() && heads[next_head].seq <= entry.seq) {
        const AuditChainHead& head = heads[next_head];
        if (head.seq < entry.seq || !crypto::constant_time_equal(head.hash, entry.hash)) {
          return fail(head.seq, "head not in chain");
        }
        ++next_head;
      }
      ++tally.entries;
      prev_hash = entry.hash;
      ++expected_seq;
    }
    if (page.size() < kPageSize) {
      break;
    }
  }
  // Checkpoints or heads past the end: entries they covered were removed from the tail.
  if (next_checkpoint < checkpoints.size()) {
    const AuditCheckpoint& checkpoint = checkpoints[next_checkpoint];
    std::string problem = checkpoint_problem(checkpoint, "", trusted_keys);
    if (problem.empty()) {
      problem = "checkpoint does not match chain";  // It even claims an empty hash.
    }
    return fail(checkpoint.seq, std::move(problem));
  }
  if (next_head < heads.size()) {
    return fail(heads[next_head].seq, "head not in chain");
  }
  // An empty or unsigned chain proves nothing: deleting every row, or every checkpoint
  // after rewriting the chain, must not read as intact.
  if (tally.entries == 0) {
    return fail(1, "empty log");
  }
  if (tally.checkpoints == 0) {
    return fail(1, "no checkpoint");
  }
  return true;
}

}  // namespace

Result<AuditVerifyReport> verify_audit(AuditStore& store, const AuditVerifyOptions& options) {
  if (options.trusted_keys.empty()) {
    return error(Code::kInvalidArgument, "audit verification needs a trusted public key");
  }
  std::vector<AuditCheckpoint> checkpoints = WL_TRY(store.list_audit_checkpoints());
  std::stable_sort(checkpoints.begin(), checkpoints.end(),
                   [](const AuditCheckpoint& a, const AuditCheckpoint& b) {
                     return std::tie(a.chain, a.seq) < std::tie(b.chain, b.seq);
                   });
  std::vector<AuditChainHead> heads = options.heads;
  std::stable_sort(heads.begin(), heads.end(),
                   [](const AuditChainHead& a, const AuditChainHead& b) {
                     return std::tie(a.chain, a.seq) < std::tie(b.chain, b.seq);
                   });
  // Every chain with entries, and every chain a checkpoint or head names: a chain
  // whose entries were all deleted still has to answer for them.
  const std::vector<std::int64_t> stored = WL_TRY(store.list_audit_chains());
  std::vector<std::int64_t> chains = stored;
  for (const AuditCheckpoint& checkpoint : checkpoints) {
    chains.push_back(checkpoint.chain);
  }
  for (const AuditChainHead& head : heads) {
    chains.push_back(head.chain);
  }
  std::sort(chains.begin(), chains.end());
  chains.erase(std::unique(chains.begin(), chains.end()), chains.end());

  AuditVerifyReport report;
  if (chains.empty()) {
    report = failed(std::move(report), 1, "empty log");
    report.first_bad_chain = 1;
    return report;
  }
  std::int64_t signed_chains = 0;
  for (const std::int64_t chain : chains) {
    const auto of_chain = [chain](const auto& item) { return item.chain == chain; };
    std::vector<AuditCheckpoint> chain_checkpoints;
    std::copy_if(checkpoints.begin(), checkpoints.end(), std::back_inserter(chain_checkpoints),
                 of_chain);
    std::vector<AuditChainHead> chain_heads;
    std::copy_if(heads.begin(), heads.end(), std::back_inserter(chain_heads), of_chain);
    ChainTally tally;
    if (!WL_TRY(verify_chain(store, chain, chain_checkpoints, chain_heads, options.trusted_keys,
                             report, tally))) {
      return report;
    }
    ++report.chains;
    report.entries += tally.entries;
    report.checkpoints += tally.checkpoints;
    report.unpinned += tally.entries - tally.last_checkpoint_seq;
    if (report.last_checkpoint_chain == 0 || tally.last_checkpoint_at > report.last_checkpoint_at) {
      report.last_checkpoint_chain = chain;
      report.last_checkpoint_seq = tally.last_checkpoint_seq;
      report.last_checkpoint_at = tally.last_checkpoint_at;
    }
    signed_chains = std::max(signed_chains, tally.signed_chains);
  }
  // A whole chain deleted, entries and checkpoints: another chain's later checkpoint
  // counted it.
  if (static_cast<std::int64_t>(stored.size()) < signed_chains) {
    report = failed(std::move(report), 0, "missing chain");
    return report;
  }
  if (options.max_age && options.now - report.last_checkpoint_at > *options.max_age) {
    report = failed(std::move(report), report.last_checkpoint_seq, "last checkpoint too old");
    report.first_bad_chain = report.last_checkpoint_chain;
    return report;
  }
  return report;
}

}  // namespace wl
