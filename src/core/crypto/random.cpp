#include "core/crypto/random.hpp"

#include <algorithm>
#include <climits>

#include <openssl/rand.h>

#include "core/crypto/encoding.hpp"
#include "core/status.hpp"

namespace wl::crypto {

std::string random_bytes(std::size_t count) {
  std::string bytes(count, '\0');
  std::size_t done = 0;
  // RAND_bytes takes an int length; fill larger requests in chunks.
  while (done < count) {
    const std::size_t chunk = std::min<std::size_t>(count - done, INT_MAX);
    WL_CHECK(RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data() + done),
                        static_cast<int>(chunk)) == 1);
    done += chunk;
  }
  return bytes;
}

std::string random_token_hex(std::size_t bytes) { return hex_encode(random_bytes(bytes)); }

}  // namespace wl::crypto
