#pragma once

// How messaging turns text into message search tokens (docs/search.md, "Tokens").
// Internal to services/messaging.

#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/status.hpp"

namespace wl {

class KeyRing;

namespace messaging {

// What a message search token is the blind token of: this prefix and a folded word, so
// that it equals no other field's token (docs/keys.md, "Blind tokens").
inline constexpr std::string_view kWordTokenPrefix = "message-word:";

// The words of `text` as search compares them (fold_words: lower case, Latin letters
// without their accents, split at anything else), each once, in first-seen order.
std::vector<std::string> distinct_words(std::string_view text);

// The search token of each word: the first kSearchTokenBytes bytes of
// HMAC-SHA-256(the org's blind-token key, kWordTokenPrefix + word). Errors: as
// KeyRing::blind_token.
Result<std::vector<std::string>> word_tokens(KeyRing& keys, OrgId org,
                                             const std::vector<std::string>& words);

}  // namespace messaging
}  // namespace wl
