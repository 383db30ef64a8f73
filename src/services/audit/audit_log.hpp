#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/crypto/ed25519.hpp"
#include "core/status.hpp"
#include "ports/clock.hpp"
#include "ports/records.hpp"
#include "ports/audit_store.hpp"

namespace wl {

// The writer side of the tamper-evident audit log (docs/audit_chain.md): appends
// entries through the Store (which chains them with make_audit_chainer()) and signs
// checkpoints of the chain's head with an Ed25519 key.
//
// Thread-safe. Every method blocks on the store.
class AuditLog {
 public:
  // `store` and `clock` must outlive the AuditLog. `signing_key` signs checkpoints; its
  // public key is what `wardline audit verify --key` must be given.
  AuditLog(AuditStore& store, const Clock& clock, crypto::Ed25519KeyPair signing_key);
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends `draft` (its `at` is set from the clock if it is the epoch) and returns the
  // chained entry. Refusals of a signed-in user (outcome "denied" or "throttled", actor
  // set) are written at most kRefusalsPerMinute a minute per user: past that they are
  // counted instead, and the user's next written refusal carries "suppressed=N", so
  // one account cannot fill the disk with refused requests (anonymous refusals are
  // budgeted per address before they get here: api/refusal_audit.hpp).
  // Errors: ResourceExhausted for a refusal counted instead of written; as
  // AuditStore::append_audit.
  [[nodiscard]] Result<AuditEntry> record(AuditDraft draft);

  static constexpr int kRefusalsPerMinute = 60;
  // As record, returning at once; `done` gets the entry on the store's commit thread
  // and must not block.
  void record_async(AuditDraft draft, WriteDone<AuditEntry> done);

  // Signs (seq, hash, now) of the newest entry, stores the checkpoint and returns it.
  // Signing a head that has a checkpoint already re-signs it at the later time, which
  // replaces the stored one (AuditStore::put_audit_checkpoint), so a running server's newest
  // checkpoint stays recent while nothing is written.
  // Errors: FailedPrecondition if the log is empty; as AuditStore::read_audit,
  // list_audit_checkpoints and put_audit_checkpoint (AlreadyExists: a checkpoint with
  // another hash is stored at this seq, so the chain was rewritten under it).
  // Waits for the store's writer: never call it from a store completion.
  [[nodiscard]] Result<AuditCheckpoint> checkpoint();

  const std::string& public_key() const { return signing_key_.public_key; }

 private:
  struct Head {
    std::int64_t seq = 0;
    std::string hash;
  };

  // Reads forward from the known head to the newest stored entry and returns it.
  // Requires checkpoint_mutex_ held; takes mutex_ only around the copies, not while
  // it reads the store.
  Result<Head> read_head();
  // Moves the head past a just-appended entry when nothing lies between.
  void note_appended(const AuditEntry& entry);

  // Whether a refusal may be written now (see record); adds "suppressed=N" to it when
  // earlier ones were counted instead.
  bool admit_refusal(AuditDraft& draft);

  struct RefusalWindow {
    std::int64_t minute = 0;
    int written = 0;
    std::uint64_t suppressed = 0;
  };

  AuditStore& store_;
  const Clock& clock_;
  std::mutex refusals_mutex_;
  std::unordered_map<std::int64_t, RefusalWindow> refusals_;  // GUARDED_BY(refusals_mutex_)
  const crypto::Ed25519KeyPair signing_key_;
  // Serialises checkpoint(), which holds it across store reads and the checkpoint's
  // write. The store's commit thread never takes it.
  std::mutex checkpoint_mutex_;
  // Guards head_ and head_loaded_, held only to copy them. The store's commit thread
  // takes it (note_appended), so it is never held across a store call: a write waiting
  // for the writer while the writer waits for this lock would deadlock.
  std::mutex mutex_;
  Head head_;  // The newest entry known to this process (it may lag other writers).
  bool head_loaded_ = false;
};

}  // namespace wl
