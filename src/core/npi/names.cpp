#include "core/npi/names.hpp"

#include <array>

namespace wl::npi {
namespace {

// The base letters of U+00C0 to U+00FF ("" for the two that are not letters, x and /).
constexpr std::array<std::string_view, 64> kLatin1 = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y"};

// The base letter of a code point of Latin Extended-A (U+0100 to U+017F): their pairs
// follow the alphabet closely enough for this table of ranges.
std::string_view latin_extended_a(unsigned code) {
  struct Range {
    unsigned first, last;
    std::string_view base;
  };
  static constexpr Range kRanges[] = {
      {0x100, 0x105, "a"},  {0x106, 0x10D, "c"}, {0x10E, 0x111, "d"}, {0x112, 0x11B, "e"},
      {0x11C, 0x123, "g"},  {0x124, 0x127, "h"}, {0x128, 0x131, "i"}, {0x134, 0x135, "j"},
      {0x136, 0x138, "k"},  {0x139, 0x142, "l"}, {0x143, 0x14B, "n"}, {0x14C, 0x151, "o"},
      {0x152, 0x153, "oe"}, {0x154, 0x159, "r"}, {0x15A, 0x161, "s"}, {0x162, 0x167, "t"},
      {0x168, 0x173, "u"},  {0x174, 0x175, "w"}, {0x176, 0x178, "y"}, {0x179, 0x17E, "z"}};
  for (const Range& range : kRanges) {
    if (code >= range.first && code <= range.last) {
      return range.base;
    }
  }
  return {};
}

}  // namespace

std::string fold_name(std::string_view text) {
  std::string folded;
  folded.reserve(text.size());
  bool pending_space = false;
  auto emit = [&](std::string_view letters) {
    if (letters.empty()) {
      pending_space = true;
      return;
    }
    if (pending_space && !folded.empty()) {
      folded.push_back(' ');
    }
    pending_space = false;
    folded.append(letters);
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if (byte >= 'A' && byte <= 'Z') {
        const char lower = static_cast<char>(byte - 'A' + 'a');
        emit(std::string_view(&lower, 1));
      } else if ((byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9')) {
        emit(text.substr(i, 1));
      } else {
        emit({});
      }
      ++i;
      continue;
    }
    // A two-byte sequence (U+0080 to U+07FF) may be a letter with an accent.
    if ((byte & 0xE0) == 0xC0 && i + 1 < text.size() &&
        (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80) {
      const unsigned code =
          ((byte & 0x1Fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3Fu);
      if (code >= 0xC0 && code <= 0xFF) {
        emit(kLatin1[code - 0xC0]);
      } else {
        emit(latin_extended_a(code));
      }
      i += 2;
      continue;
    }
    // Anything else (other scripts, invalid bytes) separates words: skip the sequence.
    ++i;
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) {
      ++i;
    }
    emit({});
  }
  return folded;
}

}  // namespace wl::npi
