#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace wl::crypto {

inline constexpr std::size_t kAeadKeySize = 32;
inline constexpr std::size_t kAeadNonceSize = 12;
inline constexpr std::size_t kAeadTagSize = 16;

// AES-256-GCM encryption of `plaintext` under `key32` with the 96-bit `nonce12`,
// authenticating `aad` too. Returns ciphertext || 16-byte tag (plaintext size + 16).
// The caller must never reuse a nonce with the same key (use random_bytes(12)).
// Errors: InvalidArgument for a key that is not 32 bytes or a nonce that is not 12;
// Internal if OpenSSL fails. Thread-safe: each thread reuses its own cipher context.
[[nodiscard]] Result<std::string> aes256gcm_seal(std::string_view key32, std::string_view nonce12,
                                                 std::string_view aad,
                                                 std::string_view plaintext);

// Reverses aes256gcm_seal. Returns the plaintext.
// Errors: InvalidArgument for a bad key or nonce size; DataLoss if the input is shorter
// than a tag or fails authentication (wrong key, nonce or aad, or any byte changed).
// Thread-safe.
[[nodiscard]] Result<std::string> aes256gcm_open(std::string_view key32, std::string_view nonce12,
                                                 std::string_view aad,
                                                 std::string_view ciphertext_and_tag);

}  // namespace wl::crypto
