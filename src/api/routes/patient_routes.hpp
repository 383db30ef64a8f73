#pragma once

#include <span>

#include "api/routes/route_table.hpp"

namespace wl {
class PatientService;
}  // namespace wl

namespace wl::api {

// What the patient routes use; owned by the server's composition root, outlives the
// route table.
struct PatientServices {
  PatientService& patients;
};

// The org's patients: /patients.
std::span<const RouteOf<PatientServices>> patient_routes();

}  // namespace wl::api
