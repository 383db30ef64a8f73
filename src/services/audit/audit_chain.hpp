#pragma once

#include <string>

#include "ports/records.hpp"
#include "ports/write.hpp"

namespace wl {

class AuditCounts;
class AuditTally;

// The audit chain's byte formats (docs/audit_chain.md). Pure functions, thread-safe.

// The canonical bytes of an entry that its hash covers: a format tag, seq, prev_hash and
// every draft field, integers as fixed-width big-endian and strings length-prefixed, so
// two different entries never encode the same. entry.hash is not part of it.
std::string audit_entry_encoding(const AuditEntry& entry);

// SHA-256 of audit_entry_encoding(entry): 32 raw bytes.
std::string audit_entry_hash(const AuditEntry& entry);

// The chain rule given to Store adapters at construction: returns audit_entry_hash. With
// a tally, it also notes each entry's seq there (see AuditTally), and with counts its
// action and outcome (AuditCounts); they must then outlive every store given this
// chainer.
AuditChainer make_audit_chainer(AuditTally* tally = nullptr, AuditCounts* counts = nullptr);

// The bytes an audit checkpoint's Ed25519 signature covers: a format tag, the chain and
// the number of chains (v2; a checkpoint of chain 1 in a log of one chain keeps the v1
// form without them), seq, hash and the checkpoint time. public_key and signature are
// not part of it.
std::string audit_checkpoint_encoding(const AuditCheckpoint& checkpoint);

// The first entry's prev_hash: 32 zero bytes.
std::string audit_genesis_hash();

}  // namespace wl
