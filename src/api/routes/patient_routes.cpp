#include "api/routes/patient_routes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/json_codec.hpp"
#include "core/time.hpp"
#include "services/patients/adt_service.hpp"
#include "services/patients/patient_service.hpp"

namespace wl::api {
namespace {
namespace json = boost::json;

json::array patients_json(const std::vector<PatientView>& patients) {
  json::array list;
  for (const PatientView& patient : patients) {
    list.push_back(patient_json(patient));
  }
  return list;
}

Result<json::value> list_patients(const PatientServices& services, const Call& call) {
  return json::object{{"patients", patients_json(WL_TRY(services.patients.list(call.actor)))}};
}

Result<json::value> search_patients(const PatientServices& services, const Call& call) {
  const std::string_view query = call.route.param("q").value_or("");
  const auto limit = WL_TRY(int_param(call.route, "limit", 20));
  return json::object{{"patients", patients_json(WL_TRY(services.patients.search_inpatients(
                                       call.actor, query, static_cast<std::size_t>(limit))))}};
}

Result<json::value> get_patient(const PatientServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 3, "patient id"));
  return patient_json(WL_TRY(services.patients.get(call.actor, PatientId(id))));
}

Result<AdtService*> feed(const PatientServices& services) {
  if (services.adt == nullptr) {
    return error(Code::kFailedPrecondition, "this server takes no HL7 feed");
  }
  return services.adt;
}

json::object hl7_message_json(const Hl7MessageView& message) {
  json::object object{{"id", message.id},
                      {"message_type", message.message_type},
                      {"outcome", message.outcome},
                      {"ack_code", message.ack_code},
                      {"detail", message.detail},
                      {"attempts", message.attempts},
                      {"received_at", format_rfc3339(message.received_at)},
                      {"updated_at", format_rfc3339(message.updated_at)}};
  if (message.patient.is_set()) {
    object["patient_id"] = message.patient.value();
  } else {
    object["patient_id"] = nullptr;
  }
  return object;
}

Result<json::value> list_hl7_messages(const PatientServices& services, const Call& call) {
  Hl7MessageFilter filter;
  filter.outcome = std::string(call.route.param("outcome").value_or(""));
  if (!filter.outcome.empty() && filter.outcome != "applied" && filter.outcome != "stale" &&
      filter.outcome != "error" && filter.outcome != "rejected") {
    return error(Code::kInvalidArgument,
                 "outcome must be 'applied', 'stale', 'error' or 'rejected'");
  }
  filter.before_id = WL_TRY(int_param(call.route, "before", 0));
  filter.limit = static_cast<std::size_t>(WL_TRY(int_param(call.route, "limit", 50)));
  json::array messages;
  for (const Hl7MessageView& message :
       WL_TRY(services.patients.list_hl7_messages(call.actor, filter))) {
    messages.push_back(hl7_message_json(message));
  }
  return json::object{{"messages", std::move(messages)}};
}

Result<json::value> get_hl7_message(const PatientServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 4, "message id"));
  const Hl7MessageView message = WL_TRY(services.patients.get_hl7_message(call.actor, id));
  json::object object = hl7_message_json(message);
  object["text"] = message.raw;
  return object;
}

Result<json::value> replay_hl7_message(const PatientServices& services, const Call& call) {
  const auto id = WL_TRY(id_segment(call.route, 4, "message id"));
  WL_TRY(services.patients.hl7_message_for(call.actor, id, "hl7.replay"));
  AdtService* adt = WL_TRY(feed(services));
  const AdtResult result = WL_TRY(adt->replay(call.actor, id));
  json::object object{{"id", id},
                      {"outcome", result.outcome},
                      {"ack_code", result.ack_code},
                      {"detail", result.text}};
  if (result.patient.is_set()) {
    object["patient_id"] = result.patient.value();
  } else {
    object["patient_id"] = nullptr;
  }
  return object;
}

constexpr RouteOf<PatientServices> kRoutes[] = {
    {{"GET", "/api/v1/patients", Access::kSession, 0}, &list_patients},
    {{"GET", "/api/v1/patients/search", Access::kSession, 0}, &search_patients},
    {{"GET", "/api/v1/patients/{id}", Access::kSession, 0}, &get_patient},
    {{"GET", "/api/v1/hl7/messages", Access::kSession, 0}, &list_hl7_messages},
    {{"GET", "/api/v1/hl7/messages/{id}", Access::kSession, 0}, &get_hl7_message},
    {{"POST", "/api/v1/hl7/messages/{id}/replay", Access::kSession, kJsonBody}, &replay_hl7_message},
};

}  // namespace

std::span<const RouteOf<PatientServices>> patient_routes() { return kRoutes; }

}  // namespace wl::api
