#pragma once

#include <vector>

#include "core/status.hpp"
#include "ports/records.hpp"

namespace wl {

/// Patients, sealed (services/patients).
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class PatientStore {
 public:
  virtual ~PatientStore() = default;

  /// Inserts, or updates the patient with the same org and mrn_token. Returns the row.
  virtual Result<Patient> upsert_patient(const Patient& patient) = 0;
  virtual Result<Patient> find_patient(PatientId id) = 0;
  virtual Result<std::vector<Patient>> list_patients(OrgId org) = 0;
};

}  // namespace wl
