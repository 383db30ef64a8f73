#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/status.hpp"
#include "ports/records.hpp"
#include "ports/write.hpp"

namespace wl {

/// The audit chains and their signed checkpoints (services/audit). Adapters take an
/// AuditChainer at construction and use it for every entry.
///
/// The log is a set of chains, numbered from 1 without gaps (docs/audit_chain.md,
/// "Chains"). Each store appends to its own chain, which no other live store appends
/// to, so appends never wait on another store.
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class AuditStore {
 public:
  virtual ~AuditStore() = default;

  /// The chain this store appends to.
  virtual std::int64_t audit_chain() const = 0;
  /// The chains that have entries, in order.
  virtual Result<std::vector<std::int64_t>> list_audit_chains() = 0;

  /// Appends an entry at the end of this store's chain: seq = last seq + 1, prev_hash =
  /// the last entry's hash, hash = chainer(entry). Returns the stored entry.
  virtual Result<AuditEntry> append_audit(const AuditDraft& draft) = 0;
  /// As append_audit, but returns at once: `done` gets the entry once it is durable,
  /// or the error, on the commit thread.
  virtual void append_audit_async(AuditDraft draft, WriteDone<AuditEntry> done) = 0;
  /// Entries of this store's chain with seq > after in seq order, at most `limit`.
  virtual Result<std::vector<AuditEntry>> read_audit(std::int64_t after, std::size_t limit) = 0;
  /// As read_audit, for any chain (none: empty).
  virtual Result<std::vector<AuditEntry>> read_audit_chain(std::int64_t chain, std::int64_t after,
                                                           std::size_t limit) = 0;
  /// Stores a signed checkpoint of its chain. If one with the same chain, seq and hash is stored
  /// already, the new one replaces it when its time is later and is dropped otherwise: re-signing
  /// an idle head moves its signed time forward without adding a row each time.
  /// Errors: AlreadyExists if the checkpoint stored at that seq has a different hash;
  /// InvalidArgument for a chain this store cannot hold.
  virtual Result<void> put_audit_checkpoint(const AuditCheckpoint& checkpoint) = 0;
  /// Every stored checkpoint of every chain, in (chain, seq) order.
  virtual Result<std::vector<AuditCheckpoint>> list_audit_checkpoints() = 0;
};

}  // namespace wl
