#include "services/directory/text_fold.hpp"

#include <array>
#include <cstdint>

namespace wl {
namespace {

// What each code point from U+00C0 to U+017F folds to; empty: a separator (× and ÷).
// Made from Unicode's canonical decompositions (the base letter of each), lowered, with
// the letters that have none spelled out as they are usually written in ASCII (ß ss,
// æ ae, ø o, œ oe, þ th, ð d, ł l, đ d, ı i, ħ h, ŧ t, ĳ ij, ŋ n, ſ s).
constexpr std::array<std::string_view, 0x180 - 0xC0> kLatin = {
    "a", "a", "a",  "a",  "a", "a", "ae", "c",  "e",  "e", "e", "e", "i",  "i",  "i", "i", "d", "n",
    "o", "o", "o",  "o",  "o", "",  "o",  "u",  "u",  "u", "u", "y", "th", "ss", "a", "a", "a", "a",
    "a", "a", "ae", "c",  "e", "e", "e",  "e",  "i",  "i", "i", "i", "d",  "n",  "o", "o", "o", "o",
    "o", "",  "o",  "u",  "u", "u", "u",  "y",  "th", "y", "a", "a", "a",  "a",  "a", "a", "c", "c",
    "c", "c", "c",  "c",  "c", "c", "d",  "d",  "d",  "d", "e", "e", "e",  "e",  "e", "e", "e", "e",
    "e", "e", "g",  "g",  "g", "g", "g",  "g",  "g",  "g", "h", "h", "h",  "h",  "i", "i", "i", "i",
    "i", "i", "i",  "i",  "i", "i", "ij", "ij", "j",  "j", "k", "k", "k",  "l",  "l", "l", "l", "l",
    "l", "l", "l",  "l",  "l", "n", "n",  "n",  "n",  "n", "n", "n", "n",  "n",  "o", "o", "o", "o",
    "o", "o", "oe", "oe", "r", "r", "r",  "r",  "r",  "r", "s", "s", "s",  "s",  "s", "s", "s", "s",
    "t", "t", "t",  "t",  "t", "t", "u",  "u",  "u",  "u", "u", "u", "u",  "u",  "u", "u", "u", "u",
    "w", "w", "y",  "y",  "y", "z", "z",  "z",  "z",  "z", "z", "s",
};

constexpr char32_t kInvalid = 0xFFFFFFFF;

// Decodes one character at text[at], advancing `at`; kInvalid (advancing one byte) for
// bytes that are not well-formed UTF-8.
char32_t next_code_point(std::string_view text, std::size_t& at) {
  const auto byte = [&](std::size_t index) { return static_cast<std::uint8_t>(text[index]); };
  const std::uint8_t first = byte(at);
  if (first < 0x80) {
    ++at;
    return first;
  }
  std::size_t length = 0;
  char32_t code = 0;
  char32_t minimum = 0;
  if ((first & 0xE0) == 0xC0) {
    length = 2;
    code = first & 0x1F;
    minimum = 0x80;
  } else if ((first & 0xF0) == 0xE0) {
    length = 3;
    code = first & 0x0F;
    minimum = 0x800;
  } else if ((first & 0xF8) == 0xF0) {
    length = 4;
    code = first & 0x07;
    minimum = 0x10000;
  } else {
    ++at;
    return kInvalid;
  }
  if (at + length > text.size()) {
    ++at;
    return kInvalid;
  }
  for (std::size_t index = 1; index < length; ++index) {
    const std::uint8_t next = byte(at + index);
    if ((next & 0xC0) != 0x80) {
      ++at;
      return kInvalid;
    }
    code = (code << 6) | (next & 0x3F);
  }
  if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    ++at;
    return kInvalid;
  }
  at += length;
  return code;
}

bool is_separator(char32_t code) {
  if (code < 0x80) {
    const bool alnum = (code >= 'a' && code <= 'z') || (code >= 'A' && code <= 'Z') ||
                       (code >= '0' && code <= '9');
    return !alnum;
  }
  return code == kInvalid || (code >= 0x80 && code <= 0xBF) || code == 0xD7 || code == 0xF7 ||
         (code >= 0x2000 && code <= 0x206F) || code == 0x3000 || code == 0xFEFF;
}

bool is_dropped(char32_t code) {
  return code == '\'' || code == 0x2019 || (code >= 0x0300 && code <= 0x036F);
}

}  // namespace

std::string fold_text(std::string_view text) {
  std::string folded;
  folded.reserve(text.size());
  bool pending_space = false;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t start = at;
    const char32_t code = next_code_point(text, at);
    if (is_dropped(code)) {
      continue;
    }
    if (is_separator(code)) {
      pending_space = !folded.empty();
      continue;
    }
    if (pending_space) {
      folded.push_back(' ');
      pending_space = false;
    }
    if (code < 0x80) {
      folded.push_back(static_cast<char>(code >= 'A' && code <= 'Z' ? code + ('a' - 'A') : code));
    } else if (code >= 0xC0 && code < 0x180) {
      folded.append(kLatin[code - 0xC0]);
    } else {
      folded.append(text.substr(start, at - start));
    }
  }
  return folded;
}

std::vector<std::string> fold_words(std::string_view text) {
  std::vector<std::string> words;
  const std::string folded = fold_text(text);
  std::size_t start = 0;
  while (start < folded.size()) {
    std::size_t end = folded.find(' ', start);
    if (end == std::string::npos) {
      end = folded.size();
    }
    words.emplace_back(folded.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

}  // namespace wl
