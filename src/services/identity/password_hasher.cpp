#include "services/identity/password_hasher.hpp"

#include <sodium.h>

#include <string>

namespace wl {

PasswordHasher::PasswordHasher(Strength strength) {
  WL_CHECK(sodium_init() >= 0);
  if (strength == Strength::kInteractive) {
    operations_ = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    memory_ = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  } else {
    operations_ = crypto_pwhash_OPSLIMIT_MIN;
    memory_ = crypto_pwhash_MEMLIMIT_MIN;
  }
}

Result<std::string> PasswordHasher::hash(std::string_view password) const {
  std::string encoded(crypto_pwhash_STRBYTES, '\0');
  if (crypto_pwhash_str(encoded.data(), password.data(), password.size(), operations_, memory_) !=
      0) {
    return error(Code::kResourceExhausted, "password hashing ran out of memory");
  }
  encoded.resize(std::char_traits<char>::length(encoded.c_str()));
  return encoded;
}

bool PasswordHasher::verify(std::string_view encoded_hash, std::string_view password) const {
  ++verifications_;
  // crypto_pwhash_str_verify needs a NUL-terminated hash.
  const std::string terminated(encoded_hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

}  // namespace wl
