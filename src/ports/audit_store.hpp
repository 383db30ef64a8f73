#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/status.hpp"
#include "ports/records.hpp"
#include "ports/write.hpp"

namespace wl {

/// The audit chain and its signed checkpoints (services/audit). Adapters take an
/// AuditChainer at construction and use it for every entry.
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class AuditStore {
 public:
  virtual ~AuditStore() = default;

  /// Appends an entry at the end of the chain: seq = last seq + 1, prev_hash = the last
  /// entry's hash, hash = chainer(entry). Returns the stored entry.
  virtual Result<AuditEntry> append_audit(const AuditDraft& draft) = 0;
  /// As append_audit, but returns at once: `done` gets the entry once it is durable,
  /// or the error, on the commit thread.
  virtual void append_audit_async(AuditDraft draft, WriteDone<AuditEntry> done) = 0;
  /// Entries with seq > after in seq order, at most `limit`.
  virtual Result<std::vector<AuditEntry>> read_audit(std::int64_t after, std::size_t limit) = 0;
  /// Stores a signed checkpoint. If one with the same seq and hash is stored already,
  /// the new one replaces it when its time is later and is dropped otherwise: re-signing
  /// an idle head moves its signed time forward without adding a row each time.
  /// Errors: AlreadyExists if the checkpoint stored at that seq has a different hash.
  virtual Result<void> put_audit_checkpoint(const AuditCheckpoint& checkpoint) = 0;
  /// Every stored checkpoint, in seq order.
  virtual Result<std::vector<AuditCheckpoint>> list_audit_checkpoints() = 0;
};

}  // namespace wl
