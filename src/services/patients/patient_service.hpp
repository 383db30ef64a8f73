#pragma once

#include <optional>
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

struct PatientIdentifierView {
  std::string value;
  std::string authority;  // "" when the sender gave none.
  std::string type;       // "MR", "PI", ...; "" when none.
};

// One stored HL7 message as an integration engineer sees it.
struct Hl7MessageView {
  std::int64_t id = 0;
  std::string message_type;
  std::string outcome;
  std::string ack_code;
  std::string detail;
  PatientId patient;
  std::int64_t attempts = 0;
  Timestamp received_at;
  Timestamp updated_at;
  std::string raw;  // Only from get_hl7_message (a PHI read).
};

// A patient's banner in the clear. Only services hold this form; at rest each field is
// sealed (docs/patients.md, "At rest").
struct PatientView {
  PatientId id;
  std::string mrn;
  std::string name;
  std::string date_of_birth;  // YYYY-MM-DD, or "" when unknown.
  std::string sex;            // HL7 table 0001: "F", "M", "O", "U", "A", "N", "X"; or "".
  std::string location;       // "4 West, room 12".
  std::string attending;
  // The current visit: "preadmitted", "admitted", "registered", "discharged", or "" when
  // the patient has none (cancelled visits do not count).
  std::string status;
  std::string admitted_at;    // RFC 3339, or "".
  std::string discharged_at;  // RFC 3339, or "".
  std::vector<PatientIdentifierView> identifiers;
  Timestamp updated_at;
};

// Patient records: created by administrators and by the ADT feed (services/patients/
// adt_service.hpp). Thread-safe; blocks on the store. Every read of patient fields is
// audited.
class PatientService {
 public:
  PatientService(Committer& committer, PatientStore& store, KeyRing& keys, AuditLog& audit,
                 const Clock& clock);

  // Creates or updates the patient with MRN `fields.mrn` (no assigning authority) in the
  // org, with its name, date_of_birth, location and attending (the rest of `fields` is not
  // read). Admins only (or the system principal). Errors: InvalidArgument for a missing
  // MRN or name, or fields that are not UTF-8 or too long; PermissionDenied.
  Result<PatientView> upsert(const Principal& actor, OrgId org, const PatientView& fields);

  // The org's patients (banner fields). Audited as one PHI read.
  Result<std::vector<PatientView>> list(const Principal& actor);

  // The org's current inpatients whose name, MRN or location has words starting with each
  // word of `query` (all of them for an empty query), at most `limit` (1 to 100). Audited.
  // Errors: InvalidArgument for a query over 200 bytes or not UTF-8.
  Result<std::vector<PatientView>> search_inpatients(const Principal& actor, std::string_view query,
                                                     std::size_t limit);

  // One patient of the actor's org. Audited. Errors: NotFound (also for another org's).
  Result<PatientView> get(const Principal& actor, PatientId id);

  // As get(), without an audit entry: for callers that audit the surrounding read.
  Result<PatientView> open_unaudited(OrgId org, PatientId id);

  // The banner of a stored row.
  Result<PatientView> open(const Patient& patient);

  // The HL7 messages the ADT feed stored for the actor's org, newest first (admins).
  // Audited. Errors: PermissionDenied (audited as denied).
  Result<std::vector<Hl7MessageView>> list_hl7_messages(const Principal& actor,
                                                        const Hl7MessageFilter& filter);
  // One, with its text (admins). Audited as a PHI read. Errors: PermissionDenied;
  // NotFound (also another org's); both audited as denied.
  Result<Hl7MessageView> get_hl7_message(const Principal& actor, std::int64_t id);
  // The stored message an admin may act on with `action` ("hl7.replay"), without its
  // text; a refusal is audited as denied. Errors: as get_hl7_message.
  Result<Hl7Message> hl7_message_for(const Principal& actor, std::int64_t id,
                                     std::string_view action);

 private:
  Result<Hl7MessageView> hl7_view(const Hl7Message& message);

  Committer& committer_;
  PatientStore& store_;
  KeyRing& keys_;
  AuditLog& audit_;
  const Clock& clock_;
};

// The name of an encounter state in the protocol ("admitted", ...).
std::string_view encounter_state_name(EncounterState state);

}  // namespace wl
