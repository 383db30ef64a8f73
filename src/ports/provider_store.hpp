#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/status.hpp"
#include "core/time.hpp"
#include "ports/records.hpp"

// The provider directory (services/providers, docs/npi.md): every US provider of the
// public NPPES registry, the NUCC taxonomy code set, and the invitations of providers to
// conversations. Providers and taxonomy codes are public registry data, not PHI, so they
// are stored in the clear; an invitation belongs to a thread and is read by its members.
namespace wl {

// Whether an NPI names a person or an organisation (NPPES "Entity Type Code").
enum class ProviderEntity : std::uint8_t { kIndividual = 1, kOrganization = 2 };

// One provider, as the directory keeps them: keyed by NPI (10 digits whose last is the
// check digit), with the fields search and display need.
struct Provider {
  std::int64_t npi = 0;
  ProviderEntity entity = ProviderEntity::kIndividual;
  std::string name;        // "WIEBE, DAVID A" (individuals) or the legal business name.
  std::string name_key;    // The name folded for prefix search (npi::fold_name): "wiebe david a".
  std::string credential;  // "M.D.", or "".
  std::string taxonomy;    // The primary NUCC code ("207X00000X"), or "" if none.
  std::string city;        // Practice location, as NPPES spells it.
  std::string city_key;    // The city folded (npi::fold_name).
  std::string state;       // Two upper-case letters, or "" outside the US.
  std::string postal_code;
  std::string phone;
  // A deactivated NPI is kept (its invitations name it) but never found by a search.
  bool deactivated = false;
  Timestamp updated_at;
};

// One code of the NUCC Health Care Provider Taxonomy code set.
struct TaxonomyCode {
  std::string code;  // "207RC0000X".
  std::string grouping;
  std::string classification;
  std::string specialization;
  std::string display_name;  // Empty in files before 2019; see taxonomy_label().
  std::string section;       // "Individual", "Non-Individual" or "".
  std::string name_key;      // display name, classification and specialization, folded.
};

// How a taxonomy code is shown: its display name, or classification plus specialization.
inline std::string taxonomy_label(const TaxonomyCode& code) {
  if (!code.display_name.empty()) {
    return code.display_name;
  }
  if (code.specialization.empty()) {
    return code.classification;
  }
  return code.classification + ", " + code.specialization;
}

// What a directory search asks for. Every field set narrows the result; unset fields
// (empty, 0) do not. Deactivated providers are never found.
struct ProviderQuery {
  std::string name_prefix;              // Folded (npi::fold_name): matches a name_key prefix.
  std::int64_t npi = 0;                 // Exactly this NPI.
  std::vector<std::string> taxonomies;  // The primary taxonomy is one of these codes.
  std::string city_key;                 // Folded, exact.
  std::string state;                    // Exact.
  std::size_t limit = 50;
};

// An invitation of a provider, outside Wardline, to a conversation. Its id is the id of
// the thread event that announced it (EventKind::kProviderInvited).
enum class InvitationState : std::uint8_t { kPending = 1 };

struct ProviderInvitation {
  EventId id;
  OrgId org_id;
  ThreadId thread_id;
  std::int64_t npi = 0;
  UserId invited_by;
  Timestamp created_at;
  InvitationState state = InvitationState::kPending;
  Event event;  // The kProviderInvited event (only in a mutation's result).
};

// ---- Mutations (written through a WriteBatch, ports/write_batch.hpp) ----

/// Inserts each provider or replaces the one with its NPI. A deactivated one only marks
/// the stored row deactivated (NPPES leaves a deactivated NPI's other columns empty),
/// or is stored as it is if the NPI is new. Result: how many were written
/// (std::int64_t).
struct UpsertProviders {
  std::vector<Provider> providers;
};

/// Inserts each taxonomy code or replaces the one with its code. Result: how many were
/// written (std::int64_t).
struct UpsertTaxonomies {
  std::vector<TaxonomyCode> codes;
};

/// Records a pending invitation of provider `npi` to `thread` by `invited_by` and
/// appends its kProviderInvited thread event (reason = the NPI's ten digits). Result:
/// the ProviderInvitation, with its event. Errors: NotFound for an unknown thread or
/// NPI; FailedPrecondition for a deactivated NPI; AlreadyExists if the provider already
/// has a pending invitation to the thread. Membership is the service's to check.
struct InviteProvider {
  ThreadId thread;
  std::int64_t npi = 0;
  UserId invited_by;
  Timestamp at;
};

/// The provider directory (services/providers).
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class ProviderStore {
 public:
  virtual ~ProviderStore() = default;

  /// The provider with this NPI, deactivated or not. Errors: NotFound.
  virtual Result<Provider> find_provider(std::int64_t npi) = 0;
  /// Active providers that match every field set in `query`, by name_key then NPI, at
  /// most query.limit of them.
  virtual Result<std::vector<Provider>> search_providers(const ProviderQuery& query) = 0;
  /// The taxonomy codes among `codes` that are stored (any order; unknown ones left out).
  virtual Result<std::vector<TaxonomyCode>> find_taxonomies(
      const std::vector<std::string>& codes) = 0;
  /// Taxonomy codes whose name_key contains `folded_text`, by code, at most `limit`.
  virtual Result<std::vector<TaxonomyCode>> search_taxonomies(std::string_view folded_text,
                                                              std::size_t limit) = 0;
  /// The invitations of a thread, oldest first.
  virtual Result<std::vector<ProviderInvitation>> list_invitations(ThreadId thread) = 0;
};

}  // namespace wl
