#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "ports/records.hpp"

namespace wl {

/// What one change of a patient writes (an ADT message, or an administrator's edit),
/// decided by services/patients from what it read (docs/patients.md, "Applying a
/// message"). A mutation: written through a WriteBatch. The expectations are checked
/// first: when another write changed what the change was decided from, it fails with
/// Aborted and writes nothing, and the service decides again.
struct ChangePatient {
  OrgId org;

  // Expectations.
  struct IdentifierHolder {
    std::string token;
    PatientId patient;  // Unset: no patient holds the identifier.
  };
  struct Version {
    std::int64_t id = 0;  // A patient or an encounter.
    std::int64_t version = 0;
  };
  std::vector<IdentifierHolder> expect_identifiers;
  std::vector<Version> expect_patients;
  std::optional<IdentifierHolder> expect_no_visit;  // token: no encounter has this visit yet.
  std::vector<Version> expect_encounters;
  // How many times the message with `message->control_token` was received (0: never).
  std::int64_t expect_attempts = 0;

  // The subject: the patient the message is about. Inserted when `patient->id` is unset,
  // otherwise updated: each sealed field that is not std::nullopt replaces the stored one.
  struct PatientChange {
    PatientId id;
    std::string seal_record;  // New patients.
    std::optional<std::string> mrn_token, mrn_sealed, name_sealed, dob_sealed, sex_sealed;
    std::optional<std::string> location_sealed, attending_sealed;  // Administrators' edits.
    std::optional<Timestamp> event_at;
  };
  std::optional<PatientChange> patient;
  // Identifiers the subject holds from now on (inserted, or moved from another patient).
  std::vector<PatientIdentifier> identifiers;
  // Merged into the subject (A40): its identifiers, encounters and threads move to the
  // subject, and it is marked merged_into the subject.
  PatientId merge_from;

  // The subject's encounter: inserted when `encounter->id` is unset, otherwise updated
  // (fields not std::nullopt replace the stored ones).
  struct EncounterChange {
    EncounterId id;
    std::string seal_record;  // New encounters.
    std::string visit_token;  // New encounters.
    std::optional<EncounterState> state;
    std::optional<EncounterState> state_before_discharge;
    std::optional<std::string> visit_sealed, location_sealed, attending_sealed, admitted_at_sealed,
        discharged_at_sealed;
    std::optional<Timestamp> event_at;
    std::optional<EncounterLocation> moved_to;  // Appended to its location history (seq ignored).
  };
  std::optional<EncounterChange> encounter;

  // Replaces the subject's search tokens (blind tokens of name, MRN and location words).
  std::optional<std::vector<std::string>> search_tokens;

  // The message: inserted, or, when one with its control_token exists, updated (outcome,
  // ack_code, patient_id, detail_sealed, updated_at; attempts + 1). Its patient_id, when
  // unset and a subject is written, is the subject's.
  std::optional<Hl7Message> message;

  Timestamp at;
};

/// What ChangePatient wrote: the subject's id (unset without one), its encounter's, the
/// stored message's id (0 without one), and a kPatientChanged event in each thread about
/// the subject (after the merge), when the subject or its encounter was written.
struct PatientWritten {
  PatientId patient;
  EncounterId encounter;
  std::int64_t message_id = 0;
  std::vector<Event> events;
};

/// Which stored HL7 messages to list, newest first.
struct Hl7MessageFilter {
  OrgId org;
  std::string outcome;         // "" = any.
  std::int64_t before_id = 0;  // 0 = from the newest.
  std::size_t limit = 50;
};

/// Patients, their identifiers and encounters, and the HL7 messages received
/// (services/patients). Every PHI field is sealed; lookups go by blind tokens.
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class PatientStore {
 public:
  virtual ~PatientStore() = default;

  /// NotFound if there is no such patient.
  virtual Result<Patient> find_patient(PatientId id) = 0;
  /// The org's patients that were not merged into another, by id.
  virtual Result<std::vector<Patient>> list_patients(OrgId org) = 0;
  /// The holder of the identifier with this token, or nullopt.
  virtual Result<std::optional<PatientIdentifier>> find_identifier(OrgId org,
                                                                   const std::string& token) = 0;
  virtual Result<std::vector<PatientIdentifier>> list_identifiers(PatientId patient) = 0;
  /// The encounter with this visit token, or nullopt.
  virtual Result<std::optional<Encounter>> find_encounter_by_visit(OrgId org,
                                                                   const std::string& token) = 0;
  /// The patient's encounters, newest first.
  virtual Result<std::vector<Encounter>> list_encounters(PatientId patient) = 0;
  virtual Result<std::vector<EncounterLocation>> list_locations(EncounterId encounter) = 0;
  /// The org's patients with an encounter in state kAdmitted that hold every one of
  /// `tokens` (all of them when empty), by id, at most `limit`.
  virtual Result<std::vector<Patient>> search_inpatients(OrgId org,
                                                         const std::vector<std::string>& tokens,
                                                         std::size_t limit) = 0;
  /// The message with this control token, or nullopt.
  virtual Result<std::optional<Hl7Message>> find_hl7_message(OrgId org,
                                                             const std::string& control_token) = 0;
  /// NotFound if there is no such message in the org.
  virtual Result<Hl7Message> get_hl7_message(OrgId org, std::int64_t id) = 0;
  virtual Result<std::vector<Hl7Message>> list_hl7_messages(const Hl7MessageFilter& filter) = 0;
};

}  // namespace wl
