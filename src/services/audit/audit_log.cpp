#include "services/audit/audit_log.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "services/audit/audit_chain.hpp"

namespace wl {
namespace {

constexpr std::size_t kPageSize = 1000;

}  // namespace

AuditLog::AuditLog(AuditStore& store, const Clock& clock, crypto::Ed25519KeyPair signing_key)
    : store_(store), clock_(clock), signing_key_(std::move(signing_key)) {}

bool AuditLog::admit_refusal(AuditDraft& draft) {
  if (!draft.actor.is_set() || (draft.outcome != "denied" && draft.outcome != "throttled")) {
    return true;
  }
  constexpr std::int64_t kMicrosPerMinute = 60'000'000;
  const std::int64_t minute = to_micros(draft.at) / kMicrosPerMinute;
  std::lock_guard lock(refusals_mutex_);
  if (refusals_.size() > 10000) {
    // Bounded: windows of past minutes hold nothing that matters any more but counts
    // that were never reported; forget them rather than grow.
    std::erase_if(refusals_, [&](const auto& item) { return item.second.minute != minute; });
  }
  RefusalWindow& window = refusals_[draft.actor.value()];
  if (window.minute != minute) {
    window.minute = minute;
    window.written = 0;
  }
  if (window.written >= kRefusalsPerMinute) {
    ++window.suppressed;
    return false;
  }
  ++window.written;
  if (window.suppressed > 0) {
    draft.detail += fmt::format("{}suppressed={}", draft.detail.empty() ? "" : " ",
                                std::exchange(window.suppressed, 0));
  }
  return true;
}

Result<AuditEntry> AuditLog::record(AuditDraft draft) {
  if (to_micros(draft.at) == 0) {
    draft.at = clock_.now();
  }
  if (!admit_refusal(draft)) {
    return error(Code::kResourceExhausted, "audit: this user's refusals are being counted");
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
  // Only safe when nothing lies between: read_head() reads forward anyway.
  if (head_loaded_ && entry.seq == head_.seq + 1) {
    head_.seq = entry.seq;
    head_.hash = entry.hash;
  }
}

Result<AuditLog::Head> AuditLog::read_head() {
  Head head;
  bool loaded = false;
  {
    std::lock_guard lock(mutex_);
    head = head_;
    loaded = head_loaded_;
  }
  if (!loaded) {
    // Start from the newest checkpoint this key signed (so it is ours and trusted);
    // otherwise scan from the beginning once.
    const std::vector<AuditCheckpoint> checkpoints = WL_TRY(store_.list_audit_checkpoints());
    for (const AuditCheckpoint& checkpoint : checkpoints) {
      if (checkpoint.chain == store_.audit_chain() && checkpoint.seq > head.seq &&
          checkpoint.public_key == signing_key_.public_key &&
          crypto::ed25519_verify(signing_key_.public_key, audit_checkpoint_encoding(checkpoint),
                                 checkpoint.signature)) {
        head.seq = checkpoint.seq;
        head.hash = checkpoint.hash;
      }
    }
  }
  while (true) {
    const std::vector<AuditEntry> page = WL_TRY(store_.read_audit(head.seq, kPageSize));
    if (!page.empty()) {
      head.seq = page.back().seq;
      head.hash = page.back().hash;
    }
    if (page.size() < kPageSize) {
      break;
    }
  }
  std::lock_guard lock(mutex_);
  // Entries recorded meanwhile may have moved the head further (note_appended).
  if (!head_loaded_ || head.seq > head_.seq) {
    head_ = std::move(head);
  }
  head_loaded_ = true;
  return head_;
}

Result<AuditCheckpoint> AuditLog::checkpoint() {
  std::lock_guard signing(checkpoint_mutex_);
  Head head = WL_TRY(read_head());
  if (head.seq == 0) {
    return error(Code::kFailedPrecondition, "the audit log is empty");
  }
  AuditCheckpoint checkpoint;
  checkpoint.chain = store_.audit_chain();
  // How many chains have entries now: a later verify misses none of them.
  checkpoint.chains = std::max<std::int64_t>(
      static_cast<std::int64_t>(WL_TRY(store_.list_audit_chains()).size()), 1);
  checkpoint.seq = head.seq;
  checkpoint.hash = std::move(head.hash);
  checkpoint.at = clock_.now();
  checkpoint.public_key = signing_key_.public_key;
  checkpoint.signature = crypto::ed25519_sign(signing_key_, audit_checkpoint_encoding(checkpoint));
  WL_TRY(store_.put_audit_checkpoint(checkpoint));
  return checkpoint;
}

}  // namespace wl
