#include "services/audit/audit_log.hpp"

#include <utility>
#include <vector>

#include "services/audit/audit_chain.hpp"

namespace wl {
namespace {

constexpr std::size_t kPageSize = 1000;

}  // namespace

AuditLog::AuditLog(Store& store, const Clock& clock, crypto::Ed25519KeyPair signing_key)
    : store_(store), clock_(clock), signing_key_(std::move(signing_key)) {}

Result<AuditEntry> AuditLog::record(AuditDraft draft) {
  if (to_micros(draft.at) == 0) {
    draft.at = clock_.now();
  }
  AuditEntry entry = WL_TRY(store_.append_audit(draft));
  note_appended(entry);
  return entry;
}

void AuditLog::record_async(AuditDraft draft, WriteDone<AuditEntry> done) {
  if (to_micros(draft.at) == 0) {
    draft.at = clock_.now();
  }
  store_.append_audit_async(std::move(draft),
                            [this, done = std::move(done)](Result<AuditEntry> entry) {
                              if (entry) {
                                note_appended(*entry);
                              }
                              done(std::move(entry));
                            });
}

void AuditLog::note_appended(const AuditEntry& entry) {
  std::lock_guard lock(mutex_);
  // Only safe when nothing lies between: advance_head_locked() reads forward anyway.
  if (head_loaded_ && entry.seq == head_seq_ + 1) {
    head_seq_ = entry.seq;
    head_hash_ = entry.hash;
  }
}

Result<void> AuditLog::advance_head_locked() {
  if (!head_loaded_) {
    // Start from the newest checkpoint this key signed (so it is ours and trusted);
    // otherwise scan from the beginning once.
    const std::vector<AuditCheckpoint> checkpoints = WL_TRY(store_.list_audit_checkpoints());
    for (const AuditCheckpoint& checkpoint : checkpoints) {
      if (checkpoint.seq > head_seq_ && checkpoint.public_key == signing_key_.public_key &&
          crypto::ed25519_verify(signing_key_.public_key, audit_checkpoint_encoding(checkpoint),
                                 checkpoint.signature)) {
        head_seq_ = checkpoint.seq;
        head_hash_ = checkpoint.hash;
      }
    }
    head_loaded_ = true;
  }
  while (true) {
    const std::vector<AuditEntry> page = WL_TRY(store_.read_audit(head_seq_, kPageSize));
    if (page.empty()) {
      return ok();
    }
    head_seq_ = page.back().seq;
    head_hash_ = page.back().hash;
    if (page.size() < kPageSize) {
      return ok();
    }
  }
}

Result<AuditCheckpoint> AuditLog::checkpoint() {
  std::lock_guard lock(mutex_);
  WL_TRY(advance_head_locked());
  if (head_seq_ == 0) {
    return error(Code::kFailedPrecondition, "the audit log is empty");
  }
  if (last_checkpoint_ && last_checkpoint_->seq == head_seq_) {
    return *last_checkpoint_;  // Nothing new to sign (an idle server, or a stop).
  }
  AuditCheckpoint checkpoint;
  checkpoint.seq = head_seq_;
  checkpoint.hash = head_hash_;
  checkpoint.at = clock_.now();
  checkpoint.public_key = signing_key_.public_key;
  checkpoint.signature = crypto::ed25519_sign(signing_key_, audit_checkpoint_encoding(checkpoint));
  if (auto stored = store_.put_audit_checkpoint(checkpoint); !stored) {
    // Another process signed this same head already; its checkpoint covers it.
    if (stored.error().code() != Code::kAlreadyExists) {
      return std::unexpected(stored.error());
    }
  }
  last_checkpoint_ = checkpoint;
  return checkpoint;
}

}  // namespace wl
