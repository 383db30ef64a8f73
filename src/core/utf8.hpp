#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace wl {

// True if text is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates,
// nothing above U+10FFFF.
bool is_valid_utf8(std::string_view text);

// The longest prefix of `text` of at most `limit` bytes that does not split a UTF-8
// character: what a bounded echo of client text (a ref, a field name) may quote, so
// that the answer stays valid UTF-8.
std::string_view utf8_prefix(std::string_view text, std::size_t limit);

// `text` with its ASCII letters lowered and every other byte as it is: how names are
// compared without case where the rule must be the same everywhere (role names).
std::string ascii_lower(std::string_view text);

}  // namespace wl
