#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.hpp"
#include "ports/records.hpp"

namespace wl {

// The audit chain's trust anchors, the things an operator keeps off the machine
// (docs/audit_chain.md, "Trust anchors"): the audit signing public key, in full or by
// its fingerprint, and checkpoint heads. One place defines how each is written and
// read, for every command that prints or parses one. Pure; thread-safe.

// The text form of a raw 32-byte Ed25519 public key: unpadded base64url, 43 characters.
std::string audit_public_key_text(std::string_view public_key);

// The key's fingerprint: "SHA256:" followed by the unpadded base64url of the SHA-256 of
// the raw 32-byte key (50 characters in all).
std::string audit_key_fingerprint(std::string_view public_key);

// A public key that audit verification trusts. It holds the SHA-256 of the key, so a
// fingerprint pins the key as firmly as the key itself: another key with the same
// fingerprint would be a SHA-256 second preimage.
class AuditKeyAnchor {
 public:
  // Reads the key as audit_public_key_text writes it (43 base64url characters), as 64
  // hex characters, or as its fingerprint ("SHA256:" and 43 base64url characters).
  // Errors: InvalidArgument for anything else (the message names the accepted forms).
  [[nodiscard]] static Result<AuditKeyAnchor> parse(std::string_view text);
  // The anchor of a raw 32-byte public key.
  static AuditKeyAnchor of_public_key(std::string_view public_key);

  // True if `public_key` (raw bytes) is the anchored key.
  bool matches(std::string_view public_key) const;
  // The anchored key's fingerprint, as audit_key_fingerprint writes it.
  std::string fingerprint() const;

 private:
  explicit AuditKeyAnchor(std::string key_digest) : key_digest_(std::move(key_digest)) {}

  std::string key_digest_;  // SHA-256 of the raw key: 32 bytes.
};

// A checkpoint head: the chain's hash at seq, as signed by a checkpoint. Written
// "SEQ:HASH", the hash in lower-case hex, e.g. "1234:9f86d081884c7d65...".
struct AuditChainHead {
  std::int64_t seq = 0;
  std::string hash;  // 32 raw bytes.
  std::int64_t chain = 1;
};

std::string format_audit_head(const AuditChainHead& head);

// "SEQ:HASH" for chain 1, "CHAIN:SEQ:HASH" for another (docs/audit_chain.md, "Chains").
// Reads format_audit_head's forms (hex in either case). Errors: InvalidArgument unless
// the text is an optional positive decimal chain and ':', a positive decimal seq, ':'
// and 64 hex characters.
[[nodiscard]] Result<AuditChainHead> parse_audit_head(std::string_view text);

// The line a checkpoint is exported as, to the "audit" logger and the head file:
// "audit-head SEQ:HASH TIME FINGERPRINT", space-separated, the time in RFC 3339 UTC.
// Its second field is what `wardline audit verify --head` takes.
std::string audit_head_line(const AuditCheckpoint& checkpoint);

}  // namespace wl
