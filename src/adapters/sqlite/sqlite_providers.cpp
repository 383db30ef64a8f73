// ProviderStore on SQLite.
#include <string>

#include "adapters/common/provider_search.hpp"
#include "adapters/sqlite/detail/jobs.hpp"
#include "adapters/sqlite/detail/mutations.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/rows.hpp"
#include "adapters/sqlite/sqlite_store.hpp"

namespace wl {

using namespace detail;  // NOLINT: the adapter's own internals

namespace {

#define WL_TAXONOMY_COLUMNS \
  "code, grouping_name, classification, specialization, display_name, section, name_key"
#define WL_INVITATION_COLUMNS "id, org_id, thread_id, npi, invited_by, created_at, state"

Provider read_provider(const Statement& row) {
  Provider provider;
  provider.npi = row.column_int64(0);
  provider.entity = static_cast<ProviderEntity>(row.column_int64(1));
  provider.name = row.column_bytes(2);
  provider.name_key = row.column_bytes(3);
  provider.credential = row.column_bytes(4);
  provider.taxonomy = row.column_bytes(5);
  provider.city = row.column_bytes(6);
  provider.city_key = row.column_bytes(7);
  provider.state = row.column_bytes(8);
  provider.postal_code = row.column_bytes(9);
  provider.phone = row.column_bytes(10);
  provider.deactivated = row.column_int64(11) != 0;
  provider.updated_at = row.column_time(12);
  return provider;
}

TaxonomyCode read_taxonomy(const Statement& row) {
  return TaxonomyCode{row.column_bytes(0), row.column_bytes(1), row.column_bytes(2),
                      row.column_bytes(3), row.column_bytes(4), row.column_bytes(5),
                      row.column_bytes(6)};
}

ProviderInvitation read_invitation(const Statement& row) {
  ProviderInvitation invitation;
  invitation.id = EventId(row.column_int64(0));
  invitation.org_id = OrgId(row.column_int64(1));
  invitation.thread_id = ThreadId(row.column_int64(2));
  invitation.npi = row.column_int64(3);
  invitation.invited_by = UserId(row.column_int64(4));
  invitation.created_at = row.column_time(5);
  invitation.state = static_cast<InvitationState>(row.column_int64(6));
  return invitation;
}

Statement& bind_provider(Statement& statement, const Provider& provider) {
  return statement.bind(1, provider.npi)
      .bind(2, static_cast<std::int64_t>(provider.entity))
      .bind_text(3, provider.name)
      .bind_text(4, provider.name_key)
      .bind_text(5, provider.credential)
      .bind_text(6, provider.taxonomy)
      .bind_text(7, provider.city)
      .bind_text(8, provider.city_key)
      .bind_text(9, provider.state)
      .bind_text(10, provider.postal_code)
      .bind_text(11, provider.phone)
      .bind(12, std::int64_t{provider.deactivated ? 1 : 0})
      .bind(13, provider.updated_at);
}

}  // namespace

// ---- Providers ----

Result<std::int64_t> detail::apply(WriteContext& context, const UpsertProviders& mutation) {
  std::int64_t written = 0;
  for (const Provider& provider : mutation.providers) {
    if (provider.deactivated) {
      // NPPES leaves a deactivated NPI's other columns empty: keep what was known.
      auto deactivate = WL_TRY(context.connection.prepare(
          "INSERT INTO providers (" WL_PROVIDER_COLUMNS
          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
          "ON CONFLICT (npi) DO UPDATE SET deactivated = 1, updated_at = excluded.updated_at",
          "deactivate provider"));
      WL_TRY(bind_provider(deactivate, provider).run());
    } else {
      auto upsert = WL_TRY(context.connection.prepare(
          "INSERT INTO providers (" WL_PROVIDER_COLUMNS
          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
          "ON CONFLICT (npi) DO UPDATE SET entity = excluded.entity, name = excluded.name, "
          "name_key = excluded.name_key, credential = excluded.credential, "
          "taxonomy = excluded.taxonomy, city = excluded.city, city_key = excluded.city_key, "
          "state = excluded.state, postal_code = excluded.postal_code, phone = excluded.phone, "
          "deactivated = 0, updated_at = excluded.updated_at",
          "upsert provider"));
      WL_TRY(bind_provider(upsert, provider).run());
    }
    ++written;
  }
  return written;
}

Result<std::int64_t> detail::apply(WriteContext& context, const UpsertTaxonomies& mutation) {
  std::int64_t written = 0;
  for (const TaxonomyCode& code : mutation.codes) {
    auto upsert = WL_TRY(context.connection.prepare(
        "INSERT INTO taxonomy_codes (" WL_TAXONOMY_COLUMNS
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (code) DO UPDATE SET "
        "grouping_name = excluded.grouping_name, classification = excluded.classification, "
        "specialization = excluded.specialization, display_name = excluded.display_name, "
        "section = excluded.section, name_key = excluded.name_key",
        "upsert taxonomy code"));
    WL_TRY(upsert.bind_text(1, code.code)
               .bind_text(2, code.grouping)
               .bind_text(3, code.classification)
               .bind_text(4, code.specialization)
               .bind_text(5, code.display_name)
               .bind_text(6, code.section)
               .bind_text(7, code.name_key)
               .run());
    ++written;
  }
  return written;
}

Result<ProviderInvitation> detail::apply(WriteContext& context, const InviteProvider& mutation) {
  {
    auto provider = WL_TRY(context.connection.prepare(
        "SELECT deactivated FROM providers WHERE npi = ?1", "find provider"));
    provider.bind(1, mutation.npi);
    if (!WL_TRY(provider.step())) {
      return error(Code::kNotFound, "provider not found");
    }
    const bool deactivated = provider.column_int64(0) != 0;
    WL_TRY(provider.run());
    if (deactivated) {
      return error(Code::kFailedPrecondition, "the provider's NPI is deactivated");
    }
  }
  const Thread thread = WL_TRY(load_thread(context.connection, mutation.thread));
  {
    auto pending = WL_TRY(context.connection.prepare(
        "SELECT 1 FROM provider_invitations WHERE thread_id = ?1 AND npi = ?2 AND state = 1",
        "find invitation"));
    pending.bind(1, mutation.thread.value()).bind(2, mutation.npi);
    const bool exists = WL_TRY(pending.step());
    WL_TRY(pending.run());
    if (exists) {
      return error(Code::kAlreadyExists,
                   "the provider already has a pending invitation to this conversation");
    }
  }
  ProviderInvitation invitation;
  invitation.event.org_id = thread.org_id;
  invitation.event.thread_id = thread.id;
  invitation.event.kind = EventKind::kProviderInvited;
  invitation.event.actor = mutation.invited_by;
  invitation.event.created_at = mutation.at;
  invitation.event.reason = npi_text(mutation.npi);
  WL_TRY(insert_event(context, invitation.event));
  invitation.id = invitation.event.id;
  invitation.org_id = thread.org_id;
  invitation.thread_id = thread.id;
  invitation.npi = mutation.npi;
  invitation.invited_by = mutation.invited_by;
  invitation.created_at = mutation.at;
  auto insert =
      WL_TRY(context.connection.prepare("INSERT INTO provider_invitations (" WL_INVITATION_COLUMNS
                                        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)",
                                        "record invitation"));
  WL_TRY(insert.bind(1, invitation.id.value())
             .bind(2, invitation.org_id.value())
             .bind(3, invitation.thread_id.value())
             .bind(4, invitation.npi)
             .bind(5, invitation.invited_by.value())
             .bind(6, invitation.created_at)
             .run());
  return invitation;
}

Result<Provider> SqliteStore::find_provider(std::int64_t npi) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_PROVIDER_COLUMNS " FROM providers WHERE npi = ?1", "find provider"));
  select.bind(1, npi);
  return single_row<Provider>(select, read_provider, "provider");
}

Result<std::vector<Provider>> SqliteStore::search_providers(const ProviderQuery& query) {
  if (query.taxonomies.size() > kMaxQueryTaxonomies) {
    return error(Code::kInvalidArgument, "too many taxonomy codes in one search");
  }
  const unsigned fields = query_fields(query);
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(provider_search_sql(fields, SqlDialect::kSqlite),
                                                  "search providers"));
  int next = 1;
  if ((fields & kByName) != 0) {
    select.bind_text(next++, query.name_prefix);
    select.bind_text(next++, prefix_end(query.name_prefix));
  }
  if ((fields & kByNpi) != 0) {
    select.bind(next++, query.npi);
  }
  if ((fields & kByState) != 0) {
    select.bind_text(next++, query.state);
  }
  if ((fields & kByCity) != 0) {
    select.bind_text(next++, query.city_key);
  }
  if ((fields & kByTaxonomy) != 0) {
    for (std::size_t i = 0; i < kMaxQueryTaxonomies; ++i) {
      if (i < query.taxonomies.size()) {
        select.bind_text(next++, query.taxonomies[i]);
      } else {
        select.bind_null(next++);
      }
    }
  }
  select.bind(next, static_cast<std::int64_t>(query.limit));
  return all_rows<Provider>(select, read_provider);
}

Result<std::vector<TaxonomyCode>> SqliteStore::find_taxonomies(
    const std::vector<std::string>& codes) {
  std::vector<TaxonomyCode> found;
  auto lease = read_pool_->acquire();
  for (const std::string& code : codes) {
    auto select = WL_TRY(lease.connection().prepare(
        "SELECT " WL_TAXONOMY_COLUMNS " FROM taxonomy_codes WHERE code = ?1", "find taxonomy"));
    select.bind_text(1, code);
    if (WL_TRY(select.step())) {
      found.push_back(read_taxonomy(select));
    }
    WL_TRY(select.run());
  }
  return found;
}

Result<std::vector<TaxonomyCode>> SqliteStore::search_taxonomies(std::string_view folded_text,
                                                                 std::size_t limit) {
  auto lease = read_pool_->acquire();
  // A scan: the code set has under a thousand codes. instr() matches bytes, and both
  // sides are folded.
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_TAXONOMY_COLUMNS
      " FROM taxonomy_codes WHERE instr(name_key, ?1) > 0 ORDER BY code LIMIT ?2",
      "search taxonomies"));
  select.bind_text(1, folded_text).bind(2, static_cast<std::int64_t>(limit));
  return all_rows<TaxonomyCode>(select, read_taxonomy);
}

Result<std::vector<ProviderInvitation>> SqliteStore::list_invitations(ThreadId thread) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_INVITATION_COLUMNS " FROM provider_invitations WHERE thread_id = ?1 ORDER BY id",
      "list invitations"));
  select.bind(1, thread.value());
  return all_rows<ProviderInvitation>(select, read_invitation);
}

}  // namespace wl
