// ProviderStore on PostgreSQL.
#include <string>

#include "adapters/common/provider_search.hpp"
#include "adapters/postgres/detail/jobs.hpp"
#include "adapters/postgres/detail/mutations.hpp"
#include "adapters/postgres/detail/read_pool.hpp"
#include "adapters/postgres/detail/rows.hpp"
#include "adapters/postgres/postgres_store.hpp"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals
using detail::kByCity;
using detail::kByName;
using detail::kByNpi;
using detail::kByState;
using detail::kByTaxonomy;
using detail::kMaxQueryTaxonomies;

namespace {

#define WL_PG_TAXONOMY_COLUMNS \
  "code, grouping_name, classification, specialization, display_name, section, name_key"
#define WL_PG_INVITATION_COLUMNS "id, org_id, thread_id, npi, invited_by, created_at, state"

Provider read_provider(const PgResult& result, int row) {
  Provider provider;
  provider.npi = result.int64(row, 0);
  provider.entity = static_cast<ProviderEntity>(result.int64(row, 1));
  provider.name = result.bytes(row, 2);
  provider.name_key = result.bytes(row, 3);
  provider.credential = result.bytes(row, 4);
  provider.taxonomy = result.bytes(row, 5);
  provider.city = result.bytes(row, 6);
  provider.city_key = result.bytes(row, 7);
  provider.state = result.bytes(row, 8);
  provider.postal_code = result.bytes(row, 9);
  provider.phone = result.bytes(row, 10);
  provider.deactivated = result.boolean(row, 11);
  provider.updated_at = result.time(row, 12);
  return provider;
}

TaxonomyCode read_taxonomy(const PgResult& result, int row) {
  return TaxonomyCode{result.bytes(row, 0), result.bytes(row, 1), result.bytes(row, 2),
                      result.bytes(row, 3), result.bytes(row, 4), result.bytes(row, 5),
                      result.bytes(row, 6)};
}

ProviderInvitation read_invitation(const PgResult& result, int row) {
  ProviderInvitation invitation;
  invitation.id = EventId(result.int64(row, 0));
  invitation.org_id = OrgId(result.int64(row, 1));
  invitation.thread_id = ThreadId(result.int64(row, 2));
  invitation.npi = result.int64(row, 3);
  invitation.invited_by = UserId(result.int64(row, 4));
  invitation.created_at = result.time(row, 5);
  invitation.state = static_cast<InvitationState>(result.int64(row, 6));
  return invitation;
}

Params provider_params(const Provider& provider) {
  Params params;
  params.add(provider.npi)
      .add(static_cast<std::int64_t>(provider.entity))
      .add_text(provider.name)
      .add_text(provider.name_key)
      .add_text(provider.credential)
      .add_text(provider.taxonomy)
      .add_text(provider.city)
      .add_text(provider.city_key)
      .add_text(provider.state)
      .add_text(provider.postal_code)
      .add_text(provider.phone)
      .add(provider.deactivated)
      .add(provider.updated_at);
  return params;
}

}  // namespace

// ---- Providers ----

Result<std::int64_t> detail::pg::apply(WriteContext& context, const UpsertProviders& mutation) {
  // Each row's statement is deferred, so that a chunk of thousands goes to the server
  // in pipelines of PgConnection::kMaxDeferred rather than a round trip each.
  for (const Provider& provider : mutation.providers) {
    if (provider.deactivated) {
      // NPPES leaves a deactivated NPI's other columns empty: keep what was known.
      context.connection.defer(
          "INSERT INTO providers (" WL_PROVIDER_COLUMNS
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
          "ON CONFLICT (npi) DO UPDATE SET deactivated = true, updated_at = excluded.updated_at",
          provider_params(provider), "deactivate provider");
    } else {
      context.connection.defer(
          "INSERT INTO providers (" WL_PROVIDER_COLUMNS
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
          "ON CONFLICT (npi) DO UPDATE SET entity = excluded.entity, name = excluded.name, "
          "name_key = excluded.name_key, credential = excluded.credential, "
          "taxonomy = excluded.taxonomy, city = excluded.city, city_key = excluded.city_key, "
          "state = excluded.state, postal_code = excluded.postal_code, phone = excluded.phone, "
          "deactivated = false, updated_at = excluded.updated_at",
          provider_params(provider), "upsert provider");
    }
  }
  WL_TRY(context.connection.flush());
  return static_cast<std::int64_t>(mutation.providers.size());
}

Result<std::int64_t> detail::pg::apply(WriteContext& context, const UpsertTaxonomies& mutation) {
  for (const TaxonomyCode& code : mutation.codes) {
    context.connection.defer(
        "INSERT INTO taxonomy_codes (" WL_PG_TAXONOMY_COLUMNS
        ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO UPDATE SET "
        "grouping_name = excluded.grouping_name, classification = excluded.classification, "
        "specialization = excluded.specialization, display_name = excluded.display_name, "
        "section = excluded.section, name_key = excluded.name_key",
        Params()
            .add_text(code.code)
            .add_text(code.grouping)
            .add_text(code.classification)
            .add_text(code.specialization)
            .add_text(code.display_name)
            .add_text(code.section)
            .add_text(code.name_key),
        "upsert taxonomy code");
  }
  WL_TRY(context.connection.flush());
  return static_cast<std::int64_t>(mutation.codes.size());
}

Result<ProviderInvitation> detail::pg::apply(WriteContext& context,
                                             const InviteProvider& mutation) {
  const PgResult provider =
      WL_TRY(context.connection.query("SELECT deactivated FROM providers WHERE npi = $1",
                                      Params().add(mutation.npi), "find provider"));
  if (provider.rows() == 0) {
    return error(Code::kNotFound, "provider not found");
  }
  const bool deactivated = provider.boolean(0, 0);
  WL_TRY(provider.check());
  if (deactivated) {
    return error(Code::kFailedPrecondition, "the provider's NPI is deactivated");
  }
  // The thread's lock orders this event with the thread's others, and makes two stores
  // inviting the same provider at once meet at the pending check (or, failing that,
  // the unique index).
  const Thread thread = WL_TRY(lock_thread(context, mutation.thread));
  const PgResult pending = WL_TRY(context.connection.query(
      "SELECT 1 FROM provider_invitations WHERE thread_id = $1 AND npi = $2 AND state = 1",
      Params().add(mutation.thread).add(mutation.npi), "find invitation"));
  if (pending.rows() > 0) {
    return error(Code::kAlreadyExists,
                 "the provider already has a pending invitation to this conversation");
  }
  ProviderInvitation invitation;
  invitation.event.org_id = thread.org_id;
  invitation.event.thread_id = thread.id;
  invitation.event.kind = EventKind::kProviderInvited;
  invitation.event.actor = mutation.invited_by;
  invitation.event.created_at = mutation.at;
  invitation.event.reason = detail::npi_text(mutation.npi);
  WL_TRY(insert_event(context, invitation.event));
  invitation.id = invitation.event.id;
  invitation.org_id = thread.org_id;
  invitation.thread_id = thread.id;
  invitation.npi = mutation.npi;
  invitation.invited_by = mutation.invited_by;
  invitation.created_at = mutation.at;
  WL_TRY(context.connection.query("INSERT INTO provider_invitations (" WL_PG_INVITATION_COLUMNS
                                  ") VALUES ($1, $2, $3, $4, $5, $6, 1)",
                                  Params()
                                      .add(invitation.id)
                                      .add(invitation.org_id)
                                      .add(invitation.thread_id)
                                      .add(invitation.npi)
                                      .add(invitation.invited_by)
                                      .add(invitation.created_at),
                                  "record invitation"));
  return invitation;
}

Result<Provider> PostgresStore::find_provider(std::int64_t npi) {
  auto lease = read_pool_->acquire();
  const PgResult provider = WL_TRY(lease.connection().query("SELECT " WL_PROVIDER_COLUMNS
                                                            " FROM providers WHERE npi = $1",
                                                            Params().add(npi), "find provider"));
  return single_row<Provider>(provider, read_provider, "provider");
}

Result<std::vector<Provider>> PostgresStore::search_providers(const ProviderQuery& query) {
  if (query.taxonomies.size() > kMaxQueryTaxonomies) {
    return error(Code::kInvalidArgument, "too many taxonomy codes in one search");
  }
  const unsigned fields = detail::query_fields(query);
  Params params;
  if ((fields & kByName) != 0) {
    params.add_text(query.name_prefix).add_text(detail::prefix_end(query.name_prefix));
  }
  if ((fields & kByNpi) != 0) {
    params.add(query.npi);
  }
  if ((fields & kByState) != 0) {
    params.add_text(query.state);
  }
  if ((fields & kByCity) != 0) {
    params.add_text(query.city_key);
  }
  if ((fields & kByTaxonomy) != 0) {
    for (std::size_t i = 0; i < kMaxQueryTaxonomies; ++i) {
      if (i < query.taxonomies.size()) {
        params.add_text(query.taxonomies[i]);
      } else {
        params.add_null(PgType::kText);
      }
    }
  }
  params.add(static_cast<std::int64_t>(query.limit));
  auto lease = read_pool_->acquire();
  const PgResult found = WL_TRY(
      lease.connection().query(detail::provider_search_sql(fields, detail::SqlDialect::kPostgres),
                               params, "search providers"));
  return all_rows<Provider>(found, read_provider);
}

Result<std::vector<TaxonomyCode>> PostgresStore::find_taxonomies(
    const std::vector<std::string>& codes) {
  std::vector<TaxonomyCode> found;
  auto lease = read_pool_->acquire();
  for (const std::string& code : codes) {
    const PgResult one = WL_TRY(lease.connection().query("SELECT " WL_PG_TAXONOMY_COLUMNS
                                                         " FROM taxonomy_codes WHERE code = $1",
                                                         Params().add_text(code), "find taxonomy"));
    if (one.rows() > 0) {
      found.push_back(read_taxonomy(one, 0));
      WL_TRY(one.check());
    }
  }
  return found;
}

Result<std::vector<TaxonomyCode>> PostgresStore::search_taxonomies(std::string_view folded_text,
                                                                   std::size_t limit) {
  auto lease = read_pool_->acquire();
  // A scan: the code set has under a thousand codes. strpos() matches bytes, and both
  // sides are folded.
  const PgResult found = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_TAXONOMY_COLUMNS
      " FROM taxonomy_codes WHERE strpos(name_key, $1) > 0 ORDER BY code LIMIT $2",
      Params().add_text(folded_text).add(static_cast<std::int64_t>(limit)), "search taxonomies"));
  return all_rows<TaxonomyCode>(found, read_taxonomy);
}

Result<std::vector<ProviderInvitation>> PostgresStore::list_invitations(ThreadId thread) {
  auto lease = read_pool_->acquire();
  const PgResult found =
      WL_TRY(lease.connection().query("SELECT " WL_PG_INVITATION_COLUMNS
                                      " FROM provider_invitations WHERE thread_id = $1 ORDER BY id",
                                      Params().add(thread), "list invitations"));
  return all_rows<ProviderInvitation>(found, read_invitation);
}

}  // namespace wl
