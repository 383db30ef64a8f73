#include "services/audit/audit_verifier.hpp"

#include <algorithm>
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

Result<AuditVerifyReport> verify_audit(AuditStore& store, const AuditVerifyOptions& options) {
  if (options.trusted_keys.empty()) {
    return error(Code::kInvalidArgument, "audit verification needs a trusted public key");
  }
  std::vector<AuditCheckpoint> checkpoints = WL_TRY(store.list_audit_checkpoints());
  std::stable_sort(checkpoints.begin(), checkpoints.end(),
                   [](const AuditCheckpoint& a, const AuditCheckpoint& b) { return a.seq < b.seq; });
  std::vector<AuditChainHead> heads = options.heads;
  std::stable_sort(heads.begin(), heads.end(),
                   [](const AuditChainHead& a, const AuditChainHead& b) { return a.seq < b.seq; });
  AuditVerifyReport report;
  std::size_t next_checkpoint = 0;
  std::size_t next_head = 0;
  std::int64_t expected_seq = 1;
  std::string prev_hash = audit_genesis_hash();

  // Invariant: every entry before expected_seq, and every checkpoint before
  // next_checkpoint and head before next_head, has been checked and found good.
  while (true) {
    const std::vector<AuditEntry> page = WL_TRY(store.read_audit(expected_seq - 1, kPageSize));
    for (const AuditEntry& entry : page) {
      if (entry.seq != expected_seq) {
        return failed(std::move(report), expected_seq, "sequence gap");
      }
      if (entry.prev_hash != prev_hash) {
        return failed(std::move(report), entry.seq, "broken link");
      }
      if (audit_entry_hash(entry) != entry.hash) {
        return failed(std::move(report), entry.seq, "hash mismatch");
      }
      while (next_checkpoint < checkpoints.size() &&
             checkpoints[next_checkpoint].seq <= entry.seq) {
        const AuditCheckpoint& checkpoint = checkpoints[next_checkpoint];
        // A checkpoint before this entry was not matched when its entry passed: its seq
        // is not in the chain (zero or negative).
        if (checkpoint.seq < entry.seq) {
          return failed(std::move(report), checkpoint.seq, "checkpoint does not match chain");
        }
        std::string problem = checkpoint_problem(checkpoint, entry.hash, options.trusted_keys);
        if (!problem.empty()) {
          return failed(std::move(report), checkpoint.seq, std::move(problem));
        }
        ++report.checkpoints;
        report.last_checkpoint_seq = checkpoint.seq;
        report.last_checkpoint_at = checkpoint.at;
        ++next_checkpoint;
      }
      // Heads are checked like checkpoints, with the signature already checked off
      // the machine by whoever collected them.
      while (next_head < heads.size() && heads[next_head].seq <= entry.seq) {
        const AuditChainHead& head = heads[next_head];
        if (head.seq < entry.seq || !crypto::constant_time_equal(head.hash, entry.hash)) {
          return failed(std::move(report), head.seq, "head not in chain");
        }
        ++next_head;
      }
      ++report.entries;
      prev_hash = entry.hash;
      ++expected_seq;
    }
    if (page.size() < kPageSize) {
      break;
    }
  }
  report.unpinned = report.entries - report.last_checkpoint_seq;
  // Checkpoints or heads past the end: entries they covered were removed from the tail.
  if (next_checkpoint < checkpoints.size()) {
    const AuditCheckpoint& checkpoint = checkpoints[next_checkpoint];
    std::string problem = checkpoint_problem(checkpoint, "", options.trusted_keys);
    if (problem.empty()) {
      problem = "checkpoint does not match chain";  // It even claims an empty hash.
    }
    return failed(std::move(report), checkpoint.seq, std::move(problem));
  }
  if (next_head < heads.size()) {
    return failed(std::move(report), heads[next_head].seq, "head not in chain");
  }
  // An empty or unsigned log proves nothing: deleting every row, or every checkpoint
  // after rewriting the chain, must not read as intact.
  if (report.entries == 0) {
    return failed(std::move(report), 1, "empty log");
  }
  if (report.checkpoints == 0) {
    return failed(std::move(report), 1, "no checkpoint");
  }
  if (options.max_age && options.now - report.last_checkpoint_at > *options.max_age) {
    return failed(std::move(report), report.last_checkpoint_seq, "last checkpoint too old");
  }
  return report;
}

}  // namespace wl
