#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "ports/store.hpp"

namespace wl::testing {

// A stand-in for services/audit's chainer: SHA-256 over prev_hash, seq and every draft
// field, each length-prefixed. Enough to check that the store chains what it stores.
inline std::string test_chain_hash(const AuditEntry& entry) {
  std::string encoded;
  auto add = [&encoded](std::string_view field) {
    const std::uint32_t size = static_cast<std::uint32_t>(field.size());
    encoded.append(reinterpret_cast<const char*>(&size), sizeof size);
    encoded.append(field);
  };
  add(entry.prev_hash);
  add(std::to_string(entry.seq));
  add(std::to_string(to_micros(entry.draft.at)));
  add(std::to_string(entry.draft.org_id.value()));
  add(std::to_string(entry.draft.actor.value()));
  add(std::to_string(entry.draft.device.value()));
  add(entry.draft.action);
  add(entry.draft.target);
  add(entry.draft.outcome);
  add(entry.draft.detail);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(encoded.data(), encoded.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

inline AuditChainer test_chainer() { return test_chain_hash; }

}  // namespace wl::testing
