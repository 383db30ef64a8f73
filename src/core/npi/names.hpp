#pragma once

// How the provider directory compares names (docs/npi.md, "Search"): folded to lower-case
// ASCII letters and digits separated by single spaces, so that a search ignores case,
// accents and punctuation. Pure.

#include <string>
#include <string_view>

namespace wl::npi {

// `text` (UTF-8) folded: ASCII letters lower-cased; the Latin-1 letters with accents
// (U+00C0 to U+00FF) and a few of Latin Extended-A read as their base letters ("É" ->
// "e", "ß" -> "ss"); anything else that is not a letter or digit (punctuation, other
// scripts, invalid bytes) is a separator; separators collapse to one space, none at
// either end. "O'Brien-Smith, José" -> "o brien smith jose".
std::string fold_name(std::string_view text);

}  // namespace wl::npi
