#pragma once

#include <string>
#include <string_view>

#include "core/status.hpp"

namespace wl::crypto {

// Lower-case hex, two characters per byte.
std::string hex_encode(std::string_view bytes);

// Accepts upper or lower case. Errors: InvalidArgument for an odd length or a
// non-hex character.
[[nodiscard]] Result<std::string> hex_decode(std::string_view hex);

// RFC 4648 section 5 (URL and filename safe alphabet), without '=' padding.
std::string base64url_encode(std::string_view bytes);

// Accepts only the canonical unpadded form that base64url_encode produces.
// Errors: InvalidArgument for a character outside the alphabet, padding, an
// impossible length (4n + 1) or non-zero unused trailing bits.
[[nodiscard]] Result<std::string> base64url_decode(std::string_view text);

}  // namespace wl::crypto
