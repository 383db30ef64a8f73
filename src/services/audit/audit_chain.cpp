#include "services/audit/audit_chain.hpp"

#include <cstdint>
#include <string_view>

#include "core/crypto/hash.hpp"
#include "services/audit/audit_counts.hpp"
#include "services/audit/audit_tally.hpp"

namespace wl {
namespace {

// Format tags: a version change gives every hash and signature a new domain.
constexpr std::string_view kEntryTag = "wardline.audit.entry.v1";
constexpr std::string_view kCheckpointTag = "wardline.audit.checkpoint.v1";
constexpr std::string_view kChainsCheckpointTag = "wardline.audit.checkpoint.v2";
constexpr std::size_t kHashSize = 32;

void append_i64(std::string& out, std::int64_t value) {
  const auto bits = static_cast<std::uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((bits >> shift) & 0xff));
  }
}

void append_bytes(std::string& out, std::string_view bytes) {
  const auto size = static_cast<std::uint32_t>(bytes.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((size >> shift) & 0xff));
  }
  out += bytes;
}

}  // namespace

std::string audit_entry_encoding(const AuditEntry& entry) {
  const AuditDraft& draft = entry.draft;
  std::string out;
  out.reserve(128 + draft.action.size() + draft.target.size() + draft.outcome.size() +
              draft.detail.size());
  append_bytes(out, kEntryTag);
  append_i64(out, entry.seq);
  append_bytes(out, entry.prev_hash);
  append_i64(out, to_micros(draft.at));
  append_i64(out, draft.org_id.value());
  append_i64(out, draft.actor.value());
  append_i64(out, draft.device.value());
  append_bytes(out, draft.action);
  append_bytes(out, draft.target);
  append_bytes(out, draft.outcome);
  append_bytes(out, draft.detail);
  return out;
}

std::string audit_entry_hash(const AuditEntry& entry) {
  return crypto::sha256(audit_entry_encoding(entry));
}

AuditChainer make_audit_chainer(AuditTally* tally, AuditCounts* counts) {
  if (tally == nullptr && counts == nullptr) {
    return [](const AuditEntry& entry) { return audit_entry_hash(entry); };
  }
  return [tally, counts](const AuditEntry& entry) {
    if (tally != nullptr) {
      tally->note(entry.seq);
    }
    if (counts != nullptr) {
      counts->note(entry.draft.action, entry.draft.outcome);
    }
    return audit_entry_hash(entry);
  };
}

std::string audit_checkpoint_encoding(const AuditCheckpoint& checkpoint) {
  std::string out;
  if (checkpoint.chain == 1 && checkpoint.chains == 1) {
    append_bytes(out, kCheckpointTag);  // A log of one chain, as before there were more.
  } else {
    append_bytes(out, kChainsCheckpointTag);
    append_i64(out, checkpoint.chain);
    append_i64(out, checkpoint.chains);
  }
  append_i64(out, checkpoint.seq);
  append_bytes(out, checkpoint.hash);
  append_i64(out, to_micros(checkpoint.at));
  return out;
}

std::string audit_genesis_hash() { return std::string(kHashSize, '\0'); }

}  // namespace wl
