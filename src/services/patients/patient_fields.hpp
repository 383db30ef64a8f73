#pragma once

// How services/patients names, tokenises and seals what it keeps of a patient
// (docs/patients.md, "At rest"). Internal to services/patients.

#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/status.hpp"
#include "ports/records.hpp"

namespace wl {

class KeyRing;

namespace patient_fields {

inline constexpr std::string_view kKind = "patient";

// A new row's seal record: "patient:", "encounter:" or "hl7:" and 32 random hex digits.
std::string new_seal_record(std::string_view prefix);

// The blind token of a patient identifier. Without an assigning authority it is the token
// of the value alone, as administrators' MRNs always were; with one, of
// "pid:<authority>|<value>".
Result<std::string> identifier_token(KeyRing& keys, OrgId org, std::string_view authority,
                                     std::string_view value);
// The record an identifier's parts are sealed under: "mrn:<hex of its token>".
std::string identifier_record(std::string_view token);

Result<std::string> visit_token(KeyRing& keys, OrgId org, std::string_view authority,
                                std::string_view value);

// The blind tokens that find a patient by the start of any word of `texts` (name, MRN,
// location): every prefix of each normalised word, up to kMaxPrefix characters.
inline constexpr std::size_t kMaxPrefix = 12;
Result<std::vector<std::string>> search_tokens(KeyRing& keys, OrgId org,
                                               const std::vector<std::string>& texts);
// The tokens of a query: one per word (its first kMaxPrefix characters), at most 5.
Result<std::vector<std::string>> query_tokens(KeyRing& keys, OrgId org, std::string_view query);
// Words of `text`: lower case, Latin letters without their accents, split at anything
// that is not a letter or digit.
std::vector<std::string> normalised_words(std::string_view text);

// The visit a patient's banner shows: the newest that was not cancelled (`encounters` as
// PatientStore::list_encounters gives them, newest first), or nullptr.
const Encounter* current_encounter(const std::vector<Encounter>& encounters);

// Seals `value` for field `field` of `record`; an empty value is stored empty.
Result<std::string> seal(KeyRing& keys, OrgId org, std::string_view record, std::string_view field,
                         std::string_view value);
// Opens what seal() made ("" for an empty value).
Result<std::string> open(KeyRing& keys, OrgId org, std::string_view record, std::string_view field,
                         std::string_view sealed);

}  // namespace patient_fields
}  // namespace wl
