#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace wl::crypto {

// SHA-256 of `data`: 32 raw bytes. Thread-safe.
std::string sha256(std::string_view data);

// SHA-256 of data given in pieces (a file read in chunks): update() as often as needed,
// then finish() once for the 32 raw bytes. Not thread-safe; not copyable.
class Sha256 {
 public:
  Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  ~Sha256();

  void update(std::string_view data);
  std::string finish();

 private:
  struct Context;
  Context* context_;
};

// HMAC-SHA-256 (RFC 2104) of `data` under `key`: 32 raw bytes. Thread-safe.
std::string hmac_sha256(std::string_view key, std::string_view data);

// HKDF-SHA-256 (RFC 5869, extract then expand): `length` raw bytes derived from the
// input keying material `key`. `key` must not be empty and `length` must be in
// 1..255 * 32 (both programming errors: WL_CHECK).
// Thread-safe.
std::string hkdf_sha256(std::string_view key, std::string_view salt, std::string_view info,
                        std::size_t length);

// Compares in time that depends only on the lengths, not on the contents (for MACs,
// tokens and hashes). Different lengths compare unequal.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace wl::crypto
