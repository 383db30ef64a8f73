#pragma once

#include <string>
#include <string_view>

#include "core/status.hpp"

namespace wl {

// The rule every call-back number follows (docs/callback.md, "Numbers"): an E.164
// number, "+" then 8 to 15 digits not starting with 0, or a hospital extension of 2 to 6
// digits. Spaces, hyphens, dots and round brackets are ignored; nothing else is allowed.
// Returns the number as it is stored and dialled: "+15551234567" or "4412".
// Errors: InvalidArgument naming `field` and the rule.
[[nodiscard]] Result<std::string> normalize_phone_number(std::string_view text,
                                                         std::string_view field);

}  // namespace wl
