#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/npi/nppes.hpp"
#include "core/npi/nucc.hpp"
#include "core/status.hpp"
#include "ports/bus.hpp"
#include "ports/clock.hpp"
#include "ports/provider_store.hpp"
#include "ports/thread_store.hpp"
#include "ports/write_batch.hpp"
#include "services/identity/principal.hpp"

namespace wl {

class AuditLog;

// A provider as a search or an invitation shows them: the stored row and the NUCC name
// of their primary taxonomy ("" if the code set does not have it).
struct ProviderView {
  Provider provider;
  std::string taxonomy_name;
};

// What a search asks, as the API takes it (docs/protocol.md, "Providers"): every field
// is optional, at least one must be given. `q` matches the start of the name (family
// name first: "smith jo"); `taxonomy` is a NUCC code or words of its name ("cardio");
// `city` and `state` the practice location; `npi` ten digits.
struct ProviderSearch {
  std::string q;
  std::string npi;
  std::string taxonomy;
  std::string city;
  std::string state;
  std::size_t limit = 20;
};

// What one NPPES import did (docs/npi.md, "Import"), for its report and its audit entry.
struct NpiImportReport {
  std::int64_t rows_read = 0;    // Data rows, the header not counted.
  std::int64_t used = 0;         // Written (deactivated ones included).
  std::int64_t deactivated = 0;  // Of those used.
  std::int64_t rejected = 0;
  std::map<std::string, std::int64_t> rejected_by_kind;  // npi::rejection_kind_name.
  std::int64_t taxonomy_codes = 0;
  double seconds = 0;
};

// An invitation with its provider.
struct InvitationView {
  ProviderInvitation invitation;
  ProviderView provider;
};

// The provider directory (docs/npi.md): the NPPES import (operators and the system
// principal write chunks of providers and taxonomy codes, then record the import once),
// search (any signed-in user: public registry data), and invitations of providers to a
// thread (its members). Thread-safe; blocks on the store.
class ProviderService {
 public:
  // The most providers or taxonomy codes one write takes: an import writes chunks of
  // this many, each its own batch, so the writer serves other work in between.
  static constexpr std::size_t kMaxChunk = 5000;
  static constexpr std::size_t kMaxLimit = 100;

  // Every reference must outlive the service.
  ProviderService(Committer& committer, ProviderStore& providers, ThreadStore& threads,
                  AuditLog& audit, Bus& bus, const Clock& clock);

  // The directory's row for an NPPES row read at `at` (names folded for search).
  static Provider from_nppes(const npi::NppesProvider& row, Timestamp at);
  static TaxonomyCode from_nucc(const npi::NuccCode& code);

  // Writes a chunk of providers (upsert by NPI; a deactivated one is marked). Returns how
  // many were written. Errors: PermissionDenied unless an operator or the system
  // principal (audited); InvalidArgument for more than kMaxChunk, or a provider whose NPI
  // fails its check digit or whose fields are not UTF-8 or too long (naming its NPI):
  // then nothing of the chunk is written.
  Result<std::int64_t> write_providers(const Principal& actor, std::vector<Provider> providers);
  // As write_providers, for taxonomy codes (InvalidArgument for a code that is not one).
  Result<std::int64_t> write_taxonomies(const Principal& actor, std::vector<TaxonomyCode> codes);
  // Records a finished import in the audit trail, once ("admin.npi.import", its counts).
  // Errors: PermissionDenied as above; InvalidArgument for negative counts.
  Result<void> record_import(const Principal& actor, const NpiImportReport& report);

  // Active providers that match every field given, at most search.limit (1 to
  // kMaxLimit): by name, or by city and name for a search by place alone. Any
  // signed-in user. Errors: InvalidArgument naming the field that is not valid, or when
  // no field is given.
  Result<std::vector<ProviderView>> search(const Principal& actor, const ProviderSearch& search);

  // Invites provider `npi` to the thread, as a member: records a pending invitation and
  // announces it in the thread (kProviderInvited). Audited ("provider.invite"). Errors:
  // InvalidArgument for an NPI that is not 10 digits with a valid check digit; NotFound
  // for a thread the actor cannot see, or an NPI the directory does not have;
  // PermissionDenied for a non-member (audited); FailedPrecondition for a deactivated
  // NPI; AlreadyExists if the provider is already invited (pending) to the thread.
  Result<InvitationView> invite(const Principal& actor, ThreadId thread, std::string_view npi);

  // The thread's invitations, oldest first, for its members. Errors: NotFound,
  // PermissionDenied as invite.
  Result<std::vector<InvitationView>> list_invitations(const Principal& actor, ThreadId thread);

 private:
  Result<void> require_importer(const Principal& actor, std::string_view action);
  Result<Thread> require_member(const Principal& actor, ThreadId thread, std::string_view action);
  Result<std::vector<ProviderView>> views_of(std::vector<Provider> providers);

  Committer& committer_;
  ProviderStore& providers_;
  ThreadStore& threads_;
  AuditLog& audit_;
  Bus& bus_;
  const Clock& clock_;
};

}  // namespace wl
