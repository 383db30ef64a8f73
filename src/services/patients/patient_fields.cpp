#include "services/patients/patient_fields.hpp"

#include <algorithm>
#include <string_view>

#include "core/crypto/encoding.hpp"
#include "core/crypto/random.hpp"
#include "services/keys/key_ring.hpp"

namespace wl::patient_fields {
namespace {

// The base letter of U+00C0 to U+017F (Latin-1 Supplement letters and Latin Extended-A),
// lower case; '\0' where there is none (the multiplication and division signs). Two-letter
// folds (ß, æ, œ, ĳ) are spelled out in fold_two().
constexpr std::string_view kLatinBase =
    "aaaaaaaceeeeiiii"   // C0-CF
    "dnooooo\0ouuuuyts"  // D0-DF (D7 ×, DE þ -> t, DF ß -> s)
    "aaaaaaaceeeeiiii"   // E0-EF
    "dnooooo\0ouuuuyty"  // F0-FF (F7 ÷, FE þ -> t)
    "aaaaaaccccccccdd"   // 100-10F
    "ddeeeeeeeeeegggg"   // 110-11F
    "gggghhhhiiiiiiii"   // 120-12F
    "iiiijjkkklllllll"   // 130-13F
    "lllnnnnnnnnnoooo"   // 140-14F
    "oooorrrrrrssssss"   // 150-15F
    "ssttttttuuuuuuuu"   // 160-16F
    "uuuuwwyyyzzzzzzs";  // 170-17F

const char* fold_two(char32_t code) {
  switch (code) {
    case 0xDF:
      return "ss";
    case 0xC6:
    case 0xE6:
      return "ae";
    case 0x152:
    case 0x153:
      return "oe";
    case 0x132:
    case 0x133:
      return "ij";
    default:
      return nullptr;
  }
}

// Decodes one UTF-8 sequence at text[i] (valid UTF-8 is assumed; a bad byte reads as
// itself) and advances i.
char32_t next_code_point(std::string_view text, std::size_t& i) {
  const auto byte = static_cast<unsigned char>(text[i]);
  int length = byte < 0x80           ? 1
               : (byte >> 5) == 0x6  ? 2
               : (byte >> 4) == 0xE  ? 3
               : (byte >> 3) == 0x1E ? 4
                                     : 1;
  if (i + static_cast<std::size_t>(length) > text.size()) {
    length = 1;
  }
  char32_t code = length == 1 ? byte : byte & (0x7F >> length);
  for (int k = 1; k < length; ++k) {
    code = (code << 6) | (static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]) & 0x3F);
  }
  i += static_cast<std::size_t>(length);
  return code;
}

}  // namespace

std::string new_seal_record(std::string_view prefix) {
  return std::string(prefix) + ":" + crypto::random_token_hex(16);
}

Result<std::string> identifier_token(KeyRing& keys, OrgId org, std::string_view authority,
                                     std::string_view value) {
  if (authority.empty()) {
    return keys.blind_token(org, value);
  }
  return keys.blind_token(org, "pid:" + std::string(authority) + "|" + std::string(value));
}

std::string identifier_record(std::string_view token) { return "mrn:" + crypto::hex_encode(token); }

Result<std::string> visit_token(KeyRing& keys, OrgId org, std::string_view authority,
                                std::string_view value) {
  return keys.blind_token(org, "visit:" + std::string(authority) + "|" + std::string(value));
}

std::vector<std::string> normalised_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  };
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t begin = i;
    const char32_t code = next_code_point(text, i);
    if ((code >= 'a' && code <= 'z') || (code >= '0' && code <= '9')) {
      word.push_back(static_cast<char>(code));
    } else if (code >= 'A' && code <= 'Z') {
      word.push_back(static_cast<char>(code - 'A' + 'a'));
    } else if (const char* two = fold_two(code)) {
      word += two;
    } else if (code >= 0xC0 && code <= 0x17F && kLatinBase[code - 0xC0] != '\0') {
      word.push_back(kLatinBase[code - 0xC0]);
    } else if (code >= 0x80) {
      // Another script: kept as its UTF-8 bytes, so that such names are still found.
      word.append(text.substr(begin, i - begin));
    } else {
      flush();
    }
  }
  flush();
  return words;
}

Result<std::vector<std::string>> search_tokens(KeyRing& keys, OrgId org,
                                               const std::vector<std::string>& texts) {
  std::vector<std::string> prefixes;
  for (const std::string& text : texts) {
    for (const std::string& word : normalised_words(text)) {
      for (std::size_t length = 1; length <= std::min(word.size(), kMaxPrefix); ++length) {
        prefixes.push_back(word.substr(0, length));
      }
    }
  }
  std::sort(prefixes.begin(), prefixes.end());
  prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  std::vector<std::string> tokens;
  tokens.reserve(prefixes.size());
  for (const std::string& prefix : prefixes) {
    tokens.push_back(WL_TRY(keys.blind_token(org, "patient-search:" + prefix)));
  }
  return tokens;
}

Result<std::vector<std::string>> query_tokens(KeyRing& keys, OrgId org, std::string_view query) {
  std::vector<std::string> tokens;
  for (std::string& word : normalised_words(query)) {
    if (tokens.size() == 5) {
      break;
    }
    word.resize(std::min(word.size(), kMaxPrefix));
    tokens.push_back(WL_TRY(keys.blind_token(org, "patient-search:" + word)));
  }
  return tokens;
}

const Encounter* current_encounter(const std::vector<Encounter>& encounters) {
  for (const Encounter& encounter : encounters) {
    if (encounter.state != EncounterState::kCancelled) {
      return &encounter;
    }
  }
  return nullptr;
}

Result<std::string> seal(KeyRing& keys, OrgId org, std::string_view record, std::string_view field,
                         std::string_view value) {
  if (value.empty()) {
    return std::string();
  }
  return keys.seal(SealContext{org, kKind, record, field}, value);
}

Result<std::string> open(KeyRing& keys, OrgId org, std::string_view record, std::string_view field,
                         std::string_view sealed) {
  if (sealed.empty()) {
    return std::string();
  }
  return keys.open(SealContext{org, kKind, record, field}, sealed);
}

}  // namespace wl::patient_fields
