#include "services/providers/provider_service.hpp"

#include <algorithm>
#include <charconv>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "core/npi/names.hpp"
#include "core/utf8.hpp"
#include "services/audit/audit_log.hpp"

namespace wl {
namespace {

constexpr std::size_t kMaxFieldBytes = 512;  // Any stored text of a provider or code.
constexpr std::size_t kMaxQueryBytes = 100;  // q, city, taxonomy words.
constexpr std::size_t kMaxTaxonomyMatches = 20;

std::string thread_target(ThreadId thread) { return fmt::format("thread:{}", thread.value()); }

// `text` with every byte that is not part of valid UTF-8 replaced by '?': NPPES rows
// are meant to be ASCII, and one stray Latin-1 byte must not cost the row.
std::string valid_utf8(std::string_view text) {
  if (is_valid_utf8(text)) {
    return std::string(text);
  }
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = byte < 0x80             ? 1
                         : (byte & 0xE0) == 0xC0 ? 2
                         : (byte & 0xF0) == 0xE0 ? 3
                         : (byte & 0xF8) == 0xF0 ? 4
                                                 : 0;
    if (length > 0 && i + length <= text.size() && is_valid_utf8(text.substr(i, length))) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out.push_back('?');
      ++i;
    }
  }
  return out;
}

std::string join_words(std::initializer_list<std::string_view> words) {
  std::string joined;
  for (std::string_view word : words) {
    if (!word.empty()) {
      joined += joined.empty() ? "" : " ";
      joined += word;
    }
  }
  return joined;
}

// The NPI's value if `text` is ten digits with a valid check digit.
std::optional<std::int64_t> parse_npi(std::string_view text) {
  if (!npi::is_valid_npi(text)) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

bool field_ok(std::string_view text) {
  return text.size() <= kMaxFieldBytes && is_valid_utf8(text);
}

}  // namespace

ProviderService::ProviderService(Committer& committer, ProviderStore& providers,
                                 ThreadStore& threads, AuditLog& audit, Bus& bus,
                                 const Clock& clock)
    : committer_(committer),
      providers_(providers),
      threads_(threads),
      audit_(audit),
      bus_(bus),
      clock_(clock) {}

Provider ProviderService::from_nppes(const npi::NppesProvider& row, Timestamp at) {
  Provider provider;
  provider.npi = parse_npi(row.npi).value_or(0);
  provider.deactivated = row.deactivated;
  provider.updated_at = at;
  if (row.entity == npi::NppesProvider::Entity::kOrganization) {
    provider.entity = ProviderEntity::kOrganization;
    provider.name = valid_utf8(row.organization_name);
  } else {
    provider.entity = ProviderEntity::kIndividual;
    // "WIEBE, DAVID A JR": the family name first, as the search reads it.
    const std::string given = join_words({row.first_name, row.middle_name, row.suffix});
    provider.name = valid_utf8(given.empty() ? row.last_name : row.last_name + ", " + given);
  }
  provider.name_key = npi::fold_name(provider.name);
  provider.credential = valid_utf8(row.credential);
  for (const npi::NppesTaxonomy& taxonomy : row.taxonomies) {
    if (taxonomy.primary) {
      provider.taxonomy = valid_utf8(taxonomy.code);
      break;
    }
  }
  // NPPES data has rows with no primary taxonomy: the first one stands in.
  if (provider.taxonomy.empty() && !row.taxonomies.empty()) {
    provider.taxonomy = valid_utf8(row.taxonomies.front().code);
  }
  provider.city = valid_utf8(row.practice_city);
  provider.city_key = npi::fold_name(provider.city);
  provider.state = valid_utf8(row.practice_state);
  provider.postal_code = valid_utf8(row.practice_postal_code);
  provider.phone = valid_utf8(row.practice_phone);
  return provider;
}

TaxonomyCode ProviderService::from_nucc(const npi::NuccCode& code) {
  TaxonomyCode stored{code.code,
                      valid_utf8(code.grouping),
                      valid_utf8(code.classification),
                      valid_utf8(code.specialization),
                      valid_utf8(code.display_name),
                      valid_utf8(code.section),
                      {}};
  stored.name_key = npi::fold_name(
      join_words({stored.display_name, stored.classification, stored.specialization}));
  return stored;
}

Result<void> ProviderService::require_importer(const Principal& actor, std::string_view action) {
  const bool system = !actor.user.is_set() && actor.is_admin;
  if (system || actor.is_operator) {
    return ok();
  }
  (void)audit_.record(audit_draft(actor, clock_.now(), action, "npi", "denied"));
  return error(Code::kPermissionDenied, "this needs an operator of the server");
}

Result<std::int64_t> ProviderService::write_providers(const Principal& actor,
                                                      std::vector<Provider> providers) {
  WL_TRY(require_importer(actor, "admin.npi.import"));
  if (providers.size() > kMaxChunk) {
    return error(Code::kInvalidArgument,
                 fmt::format("at most {} providers in one write", kMaxChunk));
  }
  for (Provider& provider : providers) {
    const std::string npi = fmt::format("{:010}", provider.npi);
    if (provider.npi <= 0 || !npi::is_valid_npi(npi)) {
      return error(Code::kInvalidArgument,
                   fmt::format("NPI {} is not 10 digits with a valid check digit", npi));
    }
    if (provider.entity != ProviderEntity::kIndividual &&
        provider.entity != ProviderEntity::kOrganization) {
      return error(Code::kInvalidArgument, fmt::format("NPI {}: entity must be 1 or 2", npi));
    }
    for (const std::string* field :
         {&provider.name, &provider.credential, &provider.taxonomy, &provider.city, &provider.state,
          &provider.postal_code, &provider.phone}) {
      if (!field_ok(*field)) {
        return error(
            Code::kInvalidArgument,
            fmt::format("NPI {}: a field is not UTF-8 or over {} bytes", npi, kMaxFieldBytes));
      }
    }
    // The keys and the time are the service's to set, whatever the caller sent.
    provider.updated_at = clock_.now();
    provider.name_key = npi::fold_name(provider.name);
    provider.city_key = npi::fold_name(provider.city);
  }
  if (providers.empty()) {
    return 0;
  }
  return commit_one<std::int64_t>(committer_, UpsertProviders{std::move(providers)});
}

Result<std::int64_t> ProviderService::write_taxonomies(const Principal& actor,
                                                       std::vector<TaxonomyCode> codes) {
  WL_TRY(require_importer(actor, "admin.npi.import"));
  if (codes.size() > kMaxChunk) {
    return error(Code::kInvalidArgument,
                 fmt::format("at most {} taxonomy codes in one write", kMaxChunk));
  }
  for (TaxonomyCode& code : codes) {
    if (!npi::is_taxonomy_code(code.code)) {
      return error(Code::kInvalidArgument, fmt::format("\"{}\" is not a taxonomy code",
                                                       valid_utf8(code.code.substr(0, 16))));
    }
    for (const std::string* field : {&code.grouping, &code.classification, &code.specialization,
                                     &code.display_name, &code.section}) {
      if (!field_ok(*field)) {
        return error(Code::kInvalidArgument,
                     fmt::format("taxonomy {}: a field is not UTF-8 or over {} bytes", code.code,
                                 kMaxFieldBytes));
      }
    }
    code.name_key =
        npi::fold_name(join_words({code.display_name, code.classification, code.specialization}));
  }
  if (codes.empty()) {
    return 0;
  }
  return commit_one<std::int64_t>(committer_, UpsertTaxonomies{std::move(codes)});
}

Result<void> ProviderService::record_import(const Principal& actor, const NpiImportReport& report) {
  WL_TRY(require_importer(actor, "admin.npi.import"));
  if (report.rows_read < 0 || report.used < 0 || report.rejected < 0 || report.deactivated < 0 ||
      report.taxonomy_codes < 0) {
    return error(Code::kInvalidArgument, "import counts must not be negative");
  }
  std::string detail =
      fmt::format("rows={} used={} rejected={} deactivated={} taxonomy_codes={}", report.rows_read,
                  report.used, report.rejected, report.deactivated, report.taxonomy_codes);
  for (const auto& [kind, count] : report.rejected_by_kind) {
    // Kinds are the reader's short names; anything else is left out of the trail.
    if (kind.size() <= 32 &&
        std::ranges::all_of(kind, [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; })) {
      detail += fmt::format(" {}={}", kind, count);
    }
  }
  WL_TRY(audit_.record(audit_draft(actor, clock_.now(), "admin.npi.import", "npi", "ok", detail)));
  return ok();
}

Result<std::vector<ProviderView>> ProviderService::views_of(std::vector<Provider> providers) {
  std::set<std::string> codes;
  for (const Provider& provider : providers) {
    if (!provider.taxonomy.empty()) {
      codes.insert(provider.taxonomy);
    }
  }
  const std::vector<TaxonomyCode> named =
      WL_TRY(providers_.find_taxonomies(std::vector<std::string>(codes.begin(), codes.end())));
  std::vector<ProviderView> views;
  views.reserve(providers.size());
  for (Provider& provider : providers) {
    ProviderView view{std::move(provider), {}};
    const auto found = std::ranges::find(named, view.provider.taxonomy, &TaxonomyCode::code);
    if (found != named.end()) {
      view.taxonomy_name = taxonomy_label(*found);
    }
    views.push_back(std::move(view));
  }
  return views;
}

Result<std::vector<ProviderView>> ProviderService::search(const Principal& actor,
                                                          const ProviderSearch& search) {
  (void)actor;  // Any signed-in user: the directory is public registry data.
  ProviderQuery query;
  if (search.limit < 1 || search.limit > kMaxLimit) {
    return error(Code::kInvalidArgument, fmt::format("limit must be 1 to {}", kMaxLimit));
  }
  query.limit = search.limit;
  auto text_field = [](std::string_view name, std::string_view value) -> Result<std::string> {
    if (value.size() > kMaxQueryBytes || !is_valid_utf8(value)) {
      return error(Code::kInvalidArgument,
                   fmt::format("{} must be at most {} bytes of UTF-8", name, kMaxQueryBytes));
    }
    std::string folded = npi::fold_name(value);
    if (!value.empty() && folded.empty()) {
      return error(Code::kInvalidArgument, fmt::format("{} must have letters or digits", name));
    }
    return folded;
  };
  query.name_prefix = WL_TRY(text_field("q", search.q));
  query.city_key = WL_TRY(text_field("city", search.city));
  if (!search.npi.empty()) {
    const auto npi = parse_npi(search.npi);
    if (!npi) {
      return error(Code::kInvalidArgument, "npi must be 10 digits with a valid check digit");
    }
    query.npi = *npi;
  }
  if (!search.state.empty()) {
    if (search.state.size() != 2 || !std::ranges::all_of(search.state, [](char c) {
          return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        })) {
      return error(Code::kInvalidArgument, "state must be two letters");
    }
    query.state = search.state;
    std::ranges::transform(query.state, query.state.begin(), [](char c) {
      return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    });
  }
  if (!query.city_key.empty() && query.state.empty()) {
    return error(Code::kInvalidArgument, "city needs state");
  }
  if (!search.taxonomy.empty()) {
    std::string upper = search.taxonomy;
    std::ranges::transform(upper, upper.begin(), [](char c) {
      return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    });
    if (npi::is_taxonomy_code(upper)) {
      query.taxonomies.push_back(upper);
    } else {
      const std::string words = WL_TRY(text_field("taxonomy", search.taxonomy));
      for (const TaxonomyCode& code :
           WL_TRY(providers_.search_taxonomies(words, kMaxTaxonomyMatches))) {
        query.taxonomies.push_back(code.code);
      }
      if (query.taxonomies.empty()) {
        return std::vector<ProviderView>();  // No specialty of that name.
      }
    }
  }
  if (query.name_prefix.empty() && query.npi == 0 && query.state.empty() &&
      query.taxonomies.empty()) {
    return error(Code::kInvalidArgument, "give at least one of q, npi, taxonomy, state");
  }
  return views_of(WL_TRY(providers_.search_providers(query)));
}

Result<Thread> ProviderService::require_member(const Principal& actor, ThreadId thread_id,
                                               std::string_view action) {
  auto thread = threads_.find_thread(thread_id);
  if (!thread && thread.error().code() != Code::kNotFound) {
    return std::unexpected(thread.error());
  }
  if (!thread || thread->org_id != actor.org) {
    (void)audit_.record(audit_draft(actor, clock_.now(), action, thread_target(thread_id), "denied",
                                    thread ? "other_org" : "not_found"));
    return error(Code::kNotFound, "thread not found");
  }
  if (!WL_TRY(threads_.is_member(thread_id, actor.user))) {
    (void)audit_.record(
        audit_draft(actor, clock_.now(), action, thread_target(thread_id), "denied", "not_member"));
    return error(Code::kPermissionDenied, "you are not a member of this thread");
  }
  return std::move(*thread);
}

Result<InvitationView> ProviderService::invite(const Principal& actor, ThreadId thread,
                                               std::string_view npi_digits) {
  const auto npi = parse_npi(npi_digits);
  if (!npi) {
    return error(Code::kInvalidArgument, "npi must be 10 digits with a valid check digit");
  }
  WL_TRY(require_member(actor, thread, "provider.invite"));
  WriteBatch batch;
  const std::size_t invited = batch.add(InviteProvider{thread, *npi, actor.user, clock_.now()});
  batch.audit(audit_draft(actor, clock_.now(), "provider.invite", thread_target(thread), "ok",
                          fmt::format("npi={}", npi_digits)));
  const BatchResult committed =
      WL_TRY(commit_and_wait(committer_, std::move(batch), publish_to(bus_)));
  InvitationView view;
  view.invitation = committed.result<ProviderInvitation>(invited);
  auto views = WL_TRY(views_of({WL_TRY(providers_.find_provider(*npi))}));
  view.provider = std::move(views.front());
  return view;
}

Result<std::vector<InvitationView>> ProviderService::list_invitations(const Principal& actor,
                                                                      ThreadId thread) {
  WL_TRY(require_member(actor, thread, "provider.invitations.list"));
  std::vector<InvitationView> views;
  for (ProviderInvitation& invitation : WL_TRY(providers_.list_invitations(thread))) {
    auto provider = WL_TRY(views_of({WL_TRY(providers_.find_provider(invitation.npi))}));
    views.push_back(InvitationView{std::move(invitation), std::move(provider.front())});
  }
  return views;
}

}  // namespace wl
