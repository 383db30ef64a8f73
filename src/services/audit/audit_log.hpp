#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "core/crypto/ed25519.hpp"
#include "core/status.hpp"
#include "ports/clock.hpp"
#include "ports/records.hpp"
#include "ports/store.hpp"

namespace wl {

// The writer side of the tamper-evident audit log (docs/audit_chain.md): appends
// entries through the Store (which chains them with make_audit_chainer()) and signs
// checkpoints of the chain's head with an Ed25519 key.
//
// Thread-safe. Every method blocks on the store.
class AuditLog {
 public:
  // `store` and `clock` must outlive the AuditLog. `signing_key` signs checkpoints; its
  // public key is what `wardline audit verify` should trust.
  AuditLog(Store& store, const Clock& clock, crypto::Ed25519KeyPair signing_key);
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends `draft` (its `at` is set from the clock if it is the epoch) and returns the
  // chained entry. Errors: as Store::append_audit.
  [[nodiscard]] Result<AuditEntry> record(AuditDraft draft);
  // As record, returning at once; `done` gets the entry on the store's commit thread
  // and must not block.
  void record_async(AuditDraft draft, WriteDone<AuditEntry> done);

  // Signs (seq, hash, now) of the newest entry, stores the checkpoint and returns it.
  // If this log already signed that entry, returns that checkpoint and stores nothing;
  // if another process did (AlreadyExists from the store), returns the new one unstored.
  // Errors: FailedPrecondition if the log is empty; as Store::read_audit,
  // list_audit_checkpoints and put_audit_checkpoint.
  [[nodiscard]] Result<AuditCheckpoint> checkpoint();

  const std::string& public_key() const { return signing_key_.public_key; }

 private:
  // Moves head_ to the newest stored entry, reading forward from the known head.
  // Requires mutex_ held.
  Result<void> advance_head_locked();
  // Moves the head past a just-appended entry when nothing lies between.
  void note_appended(const AuditEntry& entry);

  Store& store_;
  const Clock& clock_;
  const crypto::Ed25519KeyPair signing_key_;
  std::mutex mutex_;
  // The newest entry known to this process (it may lag other writers). Guarded by mutex_.
  std::int64_t head_seq_ = 0;
  std::string head_hash_;
  std::optional<AuditCheckpoint> last_checkpoint_;  // Guarded by mutex_.
  bool head_loaded_ = false;
};

}  // namespace wl
