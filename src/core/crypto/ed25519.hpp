#pragma once

#include <string>
#include <string_view>

#include "core/status.hpp"

namespace wl::crypto {

// An Ed25519 key pair (RFC 8032): the 32-byte private seed and the 32-byte public key,
// raw. The seed is a secret: never log it or put it in an error message.
struct Ed25519KeyPair {
  std::string seed;
  std::string public_key;
};

// A new key pair from the CSPRNG. Aborts (WL_CHECK) only if OpenSSL cannot make keys.
Ed25519KeyPair ed25519_generate();

// The key pair of a 32-byte seed. Errors: InvalidArgument if the seed is not 32 bytes.
[[nodiscard]] Result<Ed25519KeyPair> ed25519_from_seed(std::string_view seed32);

// The 64-byte signature of `message` (pure Ed25519, no prehash). The key pair must come
// from ed25519_generate or ed25519_from_seed (WL_CHECK otherwise). Thread-safe.
std::string ed25519_sign(const Ed25519KeyPair& key_pair, std::string_view message);

// True if `signature64` is a valid signature of `message` by `public_key32`. False for
// wrong sizes, a malformed key or a bad signature. Thread-safe.
bool ed25519_verify(std::string_view public_key32, std::string_view message,
                    std::string_view signature64);

}  // namespace wl::crypto
