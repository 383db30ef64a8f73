#pragma once

#include <cstddef>
#include <string>

namespace wl::crypto {

// `count` bytes from OpenSSL's CSPRNG (RAND_bytes). Thread-safe. A CSPRNG failure is
// not recoverable (keys and nonces would be predictable), so it aborts via WL_CHECK.
std::string random_bytes(std::size_t count);

// `bytes` random bytes as 2 * bytes lower-case hex characters (ids, tokens).
std::string random_token_hex(std::size_t bytes);

}  // namespace wl::crypto
