#include "api/routes/patient_routes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/json_codec.hpp"
#include "services/patients/patient_service.hpp"

namespace wl::api {
namespace {
namespace json = boost::json;

Result<json::value> list_patients(const PatientServices& services, const Call& call) {
  json::array patients;
  for (const PatientView& patient : WL_TRY(services.patients.list(call.actor))) {
    patients.push_back(patient_json(patient));
  }
  return json::object{{"patients", std::move(patients)}};
}

constexpr RouteOf<PatientServices> kRoutes[] = {
    {{"GET", "/api/v1/patients", Access::kSession, 0}, &list_patients},
};

}  // namespace

std::span<const RouteOf<PatientServices>> patient_routes() { return kRoutes; }

}  // namespace wl::api
