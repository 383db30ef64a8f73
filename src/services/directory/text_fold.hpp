#pragma once

#include <string>
#include <string_view>
#include <vector>

// How directory text is compared (docs/directory.md, "Folding"): without case and
// without diacritics, word by word. Pure functions, thread-safe.
namespace wl {

// `text` (UTF-8) folded for comparison: ASCII letters lowered; the Latin letters with
// diacritics of Latin-1 Supplement and Latin Extended-A (U+00C0 to U+017F) turned into
// their base letters ("É" -> "e", "ñ" -> "n", "ß" -> "ss", "Æ" -> "ae", "Ł" -> "l");
// combining marks (U+0300 to U+036F) dropped, so decomposed input folds as composed
// input does; apostrophes (' and U+2019) dropped, so "O'Brien" is one word. Every other
// character that is not an ASCII letter or digit, and is below U+0080 or is one of × ÷
// or a space or punctuation of U+0080 to U+00BF or U+2000 to U+206F, separates words and
// becomes one space. Other characters (Greek, Cyrillic, CJK, ...) are kept as they are,
// as word characters. Runs of separators become one space; no leading or trailing space.
// Bytes that are not valid UTF-8 separate words. Never fails.
std::string fold_text(std::string_view text);

// The words of fold_text(text), in order.
std::vector<std::string> fold_words(std::string_view text);

}  // namespace wl
