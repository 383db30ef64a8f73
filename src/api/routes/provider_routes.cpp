#include "api/routes/provider_routes.hpp"

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/fields.hpp"
#include "core/time.hpp"
#include "net/server.hpp"
#include "services/providers/provider_service.hpp"

namespace wl::api {
namespace {
namespace json = boost::json;

std::string npi_text(std::int64_t npi) { return fmt::format("{:010}", npi); }

json::object provider_json(const ProviderView& view) {
  const Provider& provider = view.provider;
  json::object object;
  object["npi"] = npi_text(provider.npi);
  object["entity"] =
      provider.entity == ProviderEntity::kOrganization ? "organization" : "individual";
  object["name"] = provider.name;
  object["credential"] = provider.credential;
  if (provider.taxonomy.empty()) {
    object["taxonomy"] = nullptr;
  } else {
    object["taxonomy"] = json::object{{"code", provider.taxonomy}, {"name", view.taxonomy_name}};
  }
  object["city"] = provider.city;
  object["state"] = provider.state;
  object["postal_code"] = provider.postal_code;
  object["phone"] = provider.phone;
  object["deactivated"] = provider.deactivated;
  return object;
}

json::object invitation_json(const InvitationView& view) {
  const ProviderInvitation& invitation = view.invitation;
  return json::object{{"id", invitation.id.value()},
                      {"thread_id", invitation.thread_id.value()},
                      {"npi", npi_text(invitation.npi)},
                      {"invited_by", invitation.invited_by.value()},
                      {"created_at", format_rfc3339(invitation.created_at)},
                      {"state", "pending"},
                      {"provider", provider_json(view.provider)}};
}

// Refuses a query parameter the route does not take, or one given twice.
Result<void> check_params(const Route& route, std::initializer_list<std::string_view> known) {
  std::vector<std::string_view> seen;
  for (const auto& [name, value] : route.query) {
    if (std::ranges::find(known, name) == known.end()) {
      return error(Code::kInvalidArgument,
                   fmt::format("unknown query parameter \"{}\"", name.substr(0, 40)));
    }
    if (std::ranges::find(seen, name) != seen.end()) {
      return error(Code::kInvalidArgument,
                   fmt::format("query parameter \"{}\" is given twice", name));
    }
    seen.push_back(name);
  }
  return ok();
}

Result<json::value> search_providers(const ProviderServices& services, const Call& call) {
  WL_TRY(check_params(call.route, {"q", "npi", "taxonomy", "city", "state", "limit"}));
  ProviderSearch search;
  search.q = std::string(call.route.param("q").value_or(""));
  search.npi = std::string(call.route.param("npi").value_or(""));
  search.taxonomy = std::string(call.route.param("taxonomy").value_or(""));
  search.city = std::string(call.route.param("city").value_or(""));
  search.state = std::string(call.route.param("state").value_or(""));
  const std::int64_t limit = WL_TRY(int_param(call.route, "limit", 20));
  if (limit < 1 || limit > static_cast<std::int64_t>(ProviderService::kMaxLimit)) {
    return error(Code::kInvalidArgument,
                 fmt::format("limit must be 1 to {}", ProviderService::kMaxLimit));
  }
  search.limit = static_cast<std::size_t>(limit);
  json::array providers;
  for (const ProviderView& view : WL_TRY(services.providers.search(call.actor, search))) {
    providers.push_back(provider_json(view));
  }
  return json::object{{"providers", std::move(providers)}};
}

Result<json::value> invite_provider(const ProviderServices& services, const Call& call) {
  const auto thread = WL_TRY(id_segment(call.route, 3, "thread id"));
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  const std::string npi = WL_TRY(reader.required_string("npi"));
  WL_TRY(reader.finish());
  return invitation_json(WL_TRY(services.providers.invite(call.actor, ThreadId(thread), npi)));
}

Result<json::value> list_invitations(const ProviderServices& services, const Call& call) {
  const auto thread = WL_TRY(id_segment(call.route, 3, "thread id"));
  WL_TRY(check_params(call.route, {}));
  json::array invitations;
  for (const InvitationView& view :
       WL_TRY(services.providers.list_invitations(call.actor, ThreadId(thread)))) {
    invitations.push_back(invitation_json(view));
  }
  return json::object{{"invitations", std::move(invitations)}};
}

// The objects of array field `key` of `body`, at most `limit`. Errors: InvalidArgument.
Result<std::vector<const json::object*>> object_array(const json::object& body,
                                                      std::string_view key, std::size_t limit) {
  const json::value* value = body.if_contains(key);
  if (value == nullptr || !value->is_array()) {
    return error(Code::kInvalidArgument, fmt::format("{} must be an array", key));
  }
  const json::array& array = value->get_array();
  if (array.size() > limit) {
    return error(Code::kInvalidArgument, fmt::format("{} has more than {} entries", key, limit));
  }
  std::vector<const json::object*> objects;
  for (const json::value& each : array) {
    if (!each.is_object()) {
      return error(Code::kInvalidArgument, fmt::format("each of {} must be an object", key));
    }
    objects.push_back(&each.get_object());
  }
  return objects;
}

Result<void> only_field(const json::object& body, std::string_view key) {
  for (const auto& field : body) {
    if (field.key() != key) {
      return error(Code::kInvalidArgument,
                   fmt::format("unknown field '{}'", std::string_view(field.key()).substr(0, 40)));
    }
  }
  return ok();
}

Result<json::value> write_providers(const ProviderServices& services, const Call& call) {
  const auto body = WL_TRY(parse_object(call.request.body));
  WL_TRY(only_field(body, "providers"));
  std::vector<Provider> providers;
  for (const json::object* object :
       WL_TRY(object_array(body, "providers", ProviderService::kMaxChunk))) {
    FieldReader reader(*object);
    Provider provider;
    const std::string npi = reader.keep(reader.required_string("npi"));
    if (npi.size() != 10 ||
        !std::ranges::all_of(npi, [](char c) { return c >= '0' && c <= '9'; })) {
      reader.reject(Status(Code::kInvalidArgument, "npi must be 10 digits"));
    } else {
      provider.npi = std::stoll(npi);
    }
    const std::string entity = reader.keep(reader.required_string("entity"));
    if (entity == "organization") {
      provider.entity = ProviderEntity::kOrganization;
    } else if (entity != "individual") {
      reader.reject(Status(Code::kInvalidArgument, "entity must be individual or organization"));
    }
    provider.name = reader.keep(reader.optional_string("name"));
    provider.credential = reader.keep(reader.optional_string("credential"));
    provider.taxonomy = reader.keep(reader.optional_string("taxonomy"));
    provider.city = reader.keep(reader.optional_string("city"));
    provider.state = reader.keep(reader.optional_string("state"));
    provider.postal_code = reader.keep(reader.optional_string("postal_code"));
    provider.phone = reader.keep(reader.optional_string("phone"));
    provider.deactivated = reader.keep(reader.optional_bool("deactivated", false));
    provider.updated_at = Timestamp();
    WL_TRY(reader.finish());
    providers.push_back(std::move(provider));
  }
  const std::int64_t written =
      WL_TRY(services.providers.write_providers(call.actor, std::move(providers)));
  return json::object{{"written", written}};
}

Result<json::value> write_taxonomies(const ProviderServices& services, const Call& call) {
  const auto body = WL_TRY(parse_object(call.request.body));
  WL_TRY(only_field(body, "taxonomies"));
  std::vector<TaxonomyCode> codes;
  for (const json::object* object :
       WL_TRY(object_array(body, "taxonomies", ProviderService::kMaxChunk))) {
    FieldReader reader(*object);
    TaxonomyCode code;
    code.code = reader.keep(reader.required_string("code"));
    code.grouping = reader.keep(reader.optional_string("grouping"));
    code.classification = reader.keep(reader.optional_string("classification"));
    code.specialization = reader.keep(reader.optional_string("specialization"));
    code.display_name = reader.keep(reader.optional_string("display_name"));
    code.section = reader.keep(reader.optional_string("section"));
    WL_TRY(reader.finish());
    codes.push_back(std::move(code));
  }
  const std::int64_t written =
      WL_TRY(services.providers.write_taxonomies(call.actor, std::move(codes)));
  return json::object{{"written", written}};
}

Result<json::value> record_import(const ProviderServices& services, const Call& call) {
  const auto body = WL_TRY(parse_object(call.request.body));
  FieldReader reader(body);
  NpiImportReport report;
  report.rows_read = reader.keep(reader.required_int("rows_read"));
  report.used = reader.keep(reader.required_int("used"));
  report.rejected = reader.keep(reader.required_int("rejected"));
  report.deactivated = reader.keep(reader.required_int("deactivated"));
  report.taxonomy_codes = reader.keep(reader.optional_int("taxonomy_codes", 0));
  const json::object* kinds = reader.keep(reader.optional_object("rejected_by_kind"),
                                          static_cast<const json::object*>(nullptr));
  WL_TRY(reader.finish());
  if (kinds != nullptr) {
    if (kinds->size() > 32) {
      return error(Code::kInvalidArgument, "rejected_by_kind has more than 32 kinds");
    }
    for (const auto& kind : *kinds) {
      if (!kind.value().is_int64() || kind.value().get_int64() < 0) {
        return error(Code::kInvalidArgument,
                     "each count of rejected_by_kind must be a non-negative integer");
      }
      report.rejected_by_kind[std::string(kind.key())] = kind.value().get_int64();
    }
  }
  WL_TRY(services.providers.record_import(call.actor, report));
  return json::value();
}

constexpr RouteOf<ProviderServices> kRoutes[] = {
    {{"GET", "/api/v1/providers", Access::kSession, 0}, &search_providers},
    {{"POST", "/api/v1/threads/{id}/invitations", Access::kSession, kJsonBody}, &invite_provider},
    {{"GET", "/api/v1/threads/{id}/invitations", Access::kSession, 0}, &list_invitations},
    {{"POST", "/api/v1/system/npi/providers", Access::kAdminToken, kNpiChunkBody},
     &write_providers},
    {{"POST", "/api/v1/system/npi/taxonomies", Access::kAdminToken, kNpiChunkBody},
     &write_taxonomies},
    {{"POST", "/api/v1/system/npi/imports", Access::kAdminToken, kJsonBody}, &record_import},
};

}  // namespace

std::span<const RouteOf<ProviderServices>> provider_routes() { return kRoutes; }

}  // namespace wl::api
