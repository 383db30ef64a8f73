#pragma once

// How both store adapters apply a ChangePatient (ports/patient_store.hpp) inside one job
// of their writer: the expectations first (patients before the rest, the order in which
// PostgreSQL locks their rows), then the subject, the merge, the identifiers, the
// encounter, the search tokens, the message, and a kPatientChanged event in each thread
// about the subject. Internal to the adapters.
//
// The adapter gives the single statements, found by argument-dependent lookup on its
// WriteContext:
//
//   patient_version(context, org, id)        -> Result<std::optional<std::int64_t>>
//   identifier_holder(context, org, token)   -> Result<PatientId> (unset: nobody)
//   visit_taken(context, org, token)         -> Result<bool>
//   encounter_version(context, org, id)      -> Result<std::optional<std::int64_t>>
//   hl7_attempts(context, org, token)        -> Result<std::int64_t> (0: never received)
//   write_patient(context, change)           -> Result<PatientId>
//   merge_patient(context, change, into)     -> Result<void>
//   put_identifier(context, org, identifier, patient) -> Result<bool> (false: held by another)
//   write_encounter(context, change, patient) -> Result<EncounterId>
//   search_tokens_of(context, patient)       -> Result<std::vector<std::string>>
//   remove_search_token(context, patient, token)       -> Result<void>
//   add_search_token(context, org, patient, token)     -> Result<void>
//   write_hl7_message(context, change, patient)        -> Result<std::int64_t>
//   threads_about(context, patient)          -> Result<std::vector<ThreadId>>
//   insert_thread_event(context, event)      -> Result<void>
//
// The search tokens are written as a difference: only tokens the patient gains or loses
// touch the index, whose keys are random and so cost a page each.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "ports/patient_store.hpp"

namespace wl::detail {

inline Result<void> changed_since_read(std::string_view what) {
  return error(Code::kAborted, "store: " + std::string(what) + " changed since it was read");
}

template <typename Context>
Result<void> check_patient_expectations(Context& context, const ChangePatient& change) {
  for (const auto& expected : change.expect_patients) {
    const auto version = WL_TRY(patient_version(context, change.org, PatientId(expected.id)));
    if (version != expected.version) {
      return changed_since_read("a patient");
    }
  }
  for (const auto& expected : change.expect_identifiers) {
    if (WL_TRY(identifier_holder(context, change.org, expected.token)) != expected.patient) {
      return changed_since_read("a patient identifier");
    }
  }
  if (change.expect_no_visit &&
      WL_TRY(visit_taken(context, change.org, change.expect_no_visit->token))) {
    return changed_since_read("an encounter");
  }
  for (const auto& expected : change.expect_encounters) {
    const auto version = WL_TRY(encounter_version(context, change.org, EncounterId(expected.id)));
    if (version != expected.version) {
      return changed_since_read("an encounter");
    }
  }
  if (change.message && WL_TRY(hl7_attempts(context, change.org, change.message->control_token)) !=
                            change.expect_attempts) {
    return changed_since_read("an HL7 message");
  }
  return {};
}

// Makes the patient's search tokens exactly `tokens`.
template <typename Context>
Result<void> replace_search_tokens(Context& context, OrgId org, PatientId patient,
                                   std::vector<std::string> tokens) {
  std::vector<std::string> stored = WL_TRY(search_tokens_of(context, patient));
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  std::sort(stored.begin(), stored.end());
  std::vector<std::string> lost;
  std::set_difference(stored.begin(), stored.end(), tokens.begin(), tokens.end(),
                      std::back_inserter(lost));
  std::vector<std::string> gained;
  std::set_difference(tokens.begin(), tokens.end(), stored.begin(), stored.end(),
                      std::back_inserter(gained));
  for (const std::string& token : lost) {
    WL_TRY(remove_search_token(context, patient, token));
  }
  for (const std::string& token : gained) {
    WL_TRY(add_search_token(context, org, patient, token));
  }
  return {};
}

template <typename Context>
Result<PatientWritten> apply_change_patient(Context& context, const ChangePatient& change) {
  WL_TRY(check_patient_expectations(context, change));
  PatientWritten written;
  if (change.patient) {
    written.patient = WL_TRY(write_patient(context, change));
  }
  auto needs_subject = [&](std::string_view what) -> Result<void> {
    if (!written.patient.is_set()) {
      return error(Code::kInvalidArgument, "store: " + std::string(what));
    }
    return {};
  };
  if (change.merge_from.is_set()) {
    WL_TRY(needs_subject("a merge needs the surviving patient"));
    if (change.merge_from == written.patient) {
      return error(Code::kInvalidArgument, "store: a patient cannot be merged into itself");
    }
    WL_TRY(merge_patient(context, change, written.patient));
  }
  for (const PatientIdentifier& identifier : change.identifiers) {
    WL_TRY(needs_subject("identifiers need their patient"));
    // Never takes an identifier from another patient: that is a merge's job.
    if (!WL_TRY(put_identifier(context, change.org, identifier, written.patient))) {
      WL_TRY(changed_since_read("a patient identifier"));
    }
  }
  if (change.encounter) {
    WL_TRY(needs_subject("an encounter needs its patient"));
    written.encounter = WL_TRY(write_encounter(context, change, written.patient));
  }
  if (change.search_tokens && written.patient.is_set()) {
    WL_TRY(replace_search_tokens(context, change.org, written.patient, *change.search_tokens));
  }
  if (change.message) {
    written.message_id = WL_TRY(write_hl7_message(context, change, written.patient));
  }
  if (written.patient.is_set() && (change.patient || change.encounter)) {
    for (ThreadId thread : WL_TRY(threads_about(context, written.patient))) {
      Event event;
      event.org_id = change.org;
      event.thread_id = thread;
      event.kind = EventKind::kPatientChanged;
      event.created_at = change.at;
      WL_TRY(insert_thread_event(context, event));
      written.events.push_back(std::move(event));
    }
  }
  return written;
}

}  // namespace wl::detail
