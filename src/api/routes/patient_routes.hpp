#pragma once

#include <span>

#include "api/routes/route_table.hpp"

namespace wl {
class AdtService;
class PatientService;
}  // namespace wl

namespace wl::api {

// What the patient routes use; owned by the server's composition root, outlives the
// route table.
struct PatientServices {
  PatientService& patients;
  AdtService* adt;  // The HL7 ADT feed, when the server takes one; else nullptr.
};

// The org's patients (/patients) and the HL7 messages of its ADT feed (/hl7/messages).
std::span<const RouteOf<PatientServices>> patient_routes();

}  // namespace wl::api
