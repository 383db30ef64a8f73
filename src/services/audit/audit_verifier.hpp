#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/status.hpp"
#include "ports/store.hpp"

namespace wl {

// The outcome of verify_audit. When ok is false, first_bad_seq and problem name the
// first thing found wrong, walking the chain from seq 1:
//   "sequence gap"                    an entry is missing (first_bad_seq = the missing seq)
//   "broken link"                     prev_hash is not the previous entry's hash
//   "hash mismatch"                   the entry's stored hash is not its recomputed hash
//   "checkpoint signature invalid"    the checkpoint at first_bad_seq is not validly signed
//   "checkpoint signed by an untrusted key"
//   "checkpoint does not match chain" the checkpoint's hash differs from the chain's at
//                                     its seq, or the chain ends before its seq
struct AuditVerifyReport {
  bool ok = true;
  std::int64_t entries = 0;      // Entries checked and found good.
  std::int64_t checkpoints = 0;  // Checkpoints checked and found good.
  std::int64_t first_bad_seq = 0;
  std::string problem;
};

// Walks the whole audit chain in pages (memory bounded by one page and the checkpoint
// list) and checks seq contiguity from 1, prev_hash links, recomputed hashes, every
// checkpoint's signature and that its hash matches the chain at its seq.
//
// With `trusted_public_keys` empty, a checkpoint signed by any key is accepted, which
// only proves the chain was not edited by someone without a signing key who also left
// the checkpoints alone; pass the audit signing public key(s) to also reject re-signed
// checkpoints. Blocks on the store; thread-safe.
// Errors: only the store's (a bad chain is reported in the result, not as an error).
[[nodiscard]] Result<AuditVerifyReport> verify_audit(
    Store& store, std::span<const std::string> trusted_public_keys = {});

}  // namespace wl
