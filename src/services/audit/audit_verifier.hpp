#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "core/time.hpp"
#include "ports/audit_store.hpp"
#include "services/audit/audit_anchor.hpp"

namespace wl {

// What verify_audit trusts, which must come from outside the database
// (docs/audit_chain.md, "Trust anchors").
struct AuditVerifyOptions {
  // The audit signing keys whose checkpoints count; at least one.
  std::vector<AuditKeyAnchor> trusted_keys;
  // Checkpoint heads collected off the machine; the chain must contain each one.
  std::vector<AuditChainHead> heads;
  // If set, the newest checkpoint must have been signed less than this long before
  // `now`. Only for a running server, which re-signs its head at least every
  // `serve --audit-checkpoint-seconds`, even when idle.
  std::optional<std::chrono::microseconds> max_age;
  Timestamp now;
};

// The outcome of verify_audit. When ok is false, first_bad_chain, first_bad_seq and
// problem name the first thing found wrong, walking each chain (in chain order) from
// seq 1:
//   "sequence gap"                    an entry is missing (first_bad_seq = the missing seq)
//   "broken link"                     prev_hash is not the previous entry's hash
//   "hash mismatch"                   the entry's stored hash is not its recomputed hash
//   "checkpoint signed by an untrusted key"
//                                     the checkpoint at first_bad_seq names a key that is
//                                     not one of the trusted keys
//   "checkpoint signature invalid"    the checkpoint at first_bad_seq is not validly signed
//   "checkpoint does not match chain" the checkpoint's hash differs from the chain's at
//                                     its seq, or the chain ends before its seq
//   "head not in chain"               a given head's hash differs from the chain's at its
//                                     seq, or the chain ends before its seq
//   "empty log"                       no entries at all (first_bad_seq = 1): a server that
//                                     has started once has written and signed its start
//   "no checkpoint"                   entries, but no checkpoint (first_bad_seq = 1)
//   "last checkpoint too old"         max_age is set and the newest checkpoint (at
//                                     first_bad_seq) was signed longer ago than that
//   "missing chain"                   fewer chains have entries than a good checkpoint
//                                     counted when it was signed: a whole chain, entries
//                                     and checkpoints, was deleted (first_bad_chain and
//                                     first_bad_seq 0)
// An "empty log" or "no checkpoint" is per chain: every chain must have both.
struct AuditVerifyReport {
  bool ok = true;
  std::int64_t chains = 0;       // Chains checked and found good.
  std::int64_t entries = 0;      // Entries checked and found good, in all chains.
  std::int64_t checkpoints = 0;  // Checkpoints checked and found good.
  std::int64_t first_bad_chain = 0;
  std::int64_t first_bad_seq = 0;
  std::string problem;
  // The newest checkpoint found good, by signed time (seq 0 if none), and the good
  // entries after each chain's newest checkpoint: those are not pinned, so removing
  // them would go unnoticed without a later head.
  std::int64_t last_checkpoint_chain = 0;
  std::int64_t last_checkpoint_seq = 0;
  Timestamp last_checkpoint_at;
  std::int64_t unpinned = 0;
};

// Walks every audit chain in pages (memory bounded by one page, the checkpoint list
// and the heads) and checks, per chain, seq contiguity from 1, prev_hash links, recomputed hashes,
// and for every checkpoint that one of options.trusted_keys signed it, that the
// signature verifies and that its hash matches the chain at its seq; then that the
// chain contains every given head, is not empty, has a checkpoint, and (with max_age)
// that its newest checkpoint is recent. Blocks on the store; thread-safe.
// Errors: InvalidArgument if options.trusted_keys is empty; the store's (a bad chain is
// reported in the result, not as an error).
[[nodiscard]] Result<AuditVerifyReport> verify_audit(AuditStore& store,
                                                     const AuditVerifyOptions& options);

}  // namespace wl
