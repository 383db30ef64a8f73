#pragma once

#include <string>
#include <vector>

#include "core/status.hpp"
#include "ports/clock.hpp"
#include "ports/patient_store.hpp"
#include "ports/write_batch.hpp"
#include "services/identity/principal.hpp"

namespace wl {

class AuditLog;
class KeyRing;

// A patient's banner fields in the clear. Only services hold this form; at rest each
// field is sealed (kind "patient", record "mrn:<blind token>").
struct PatientView {
  PatientId id;
  std::string mrn;
  std::string name;
  std::string date_of_birth;  // YYYY-MM-DD.
  std::string location;       // "4 West, room 12".
  std::string attending;
  Timestamp updated_at;
};

// Patient records (today: created by admins and the demo; later: the ADT feed).
// Thread-safe; blocks on the store. Every read of patient fields is audited.
class PatientService {
 public:
  PatientService(Committer& committer, PatientStore& store, KeyRing& keys, AuditLog& audit,
                 const Clock& clock);

  // Creates or updates the patient with this MRN in the org. Admins only (or the
  // system principal). Errors: InvalidArgument for a missing MRN or name, or fields
  // that are not UTF-8 or too long; PermissionDenied.
  Result<PatientView> upsert(const Principal& actor, OrgId org, const PatientView& fields);

  // The org's patients (banner fields). Audited as one PHI read.
  Result<std::vector<PatientView>> list(const Principal& actor);

  // One patient of the actor's org. Audited. Errors: NotFound (also for another org's).
  Result<PatientView> get(const Principal& actor, PatientId id);

  // As get(), without an audit entry: for callers that audit the surrounding read.
  Result<PatientView> open_unaudited(OrgId org, PatientId id);

 private:
  Result<PatientView> open(const Patient& patient);

  Committer& committer_;
  PatientStore& store_;
  KeyRing& keys_;
  AuditLog& audit_;
  const Clock& clock_;
};

}  // namespace wl
