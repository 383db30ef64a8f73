#pragma once

#include <vector>

#include "core/status.hpp"
#include "ports/records.hpp"

namespace wl {

/// Inserts the patient, or updates the one with the same org and mrn_token. Result:
/// the stored row. A mutation: written through a WriteBatch.
struct UpsertPatient {
  Patient patient;
};

/// Patients, sealed (services/patients).
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class PatientStore {
 public:
  virtual ~PatientStore() = default;

  virtual Result<Patient> find_patient(PatientId id) = 0;
  virtual Result<std::vector<Patient>> list_patients(OrgId org) = 0;
};

}  // namespace wl
