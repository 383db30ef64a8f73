#include "services/patients/patient_service.hpp"

#include <fmt/format.h>

#include "core/utf8.hpp"
#include "services/audit/audit_log.hpp"
#include "services/keys/key_ring.hpp"
#include "services/patients/patient_fields.hpp"

namespace wl {
namespace {

namespace fields = patient_fields;

bool acceptable_field(std::string_view value) {
  return value.size() <= 200 && is_valid_utf8(value);
}

// The visit the banner shows: the newest one that was not cancelled.
}  // namespace

std::string_view encounter_state_name(EncounterState state) {
  switch (state) {
    case EncounterState::kPreadmitted:
      return "preadmitted";
    case EncounterState::kAdmitted:
      return "admitted";
    case EncounterState::kRegistered:
      return "registered";
    case EncounterState::kDischarged:
      return "discharged";
    case EncounterState::kCancelled:
      return "cancelled";
  }
  return "";
}

PatientService::PatientService(Committer& committer, PatientStore& store, KeyRing& keys,
                               AuditLog& audit, const Clock& clock)
    : committer_(committer), store_(store), keys_(keys), audit_(audit), clock_(clock) {}

Result<PatientView> PatientService::upsert(const Principal& actor, OrgId org,
                                           const PatientView& view) {
  const bool system = !actor.user.is_set() && actor.is_admin;
  if (!system && !(actor.is_admin && actor.org == org)) {
    return error(Code::kPermissionDenied, "only administrators may edit patient records");
  }
  if (view.mrn.empty() || view.name.empty()) {
    return error(Code::kInvalidArgument, "a patient needs an MRN and a name");
  }
  for (const std::string* value :
       {&view.mrn, &view.name, &view.date_of_birth, &view.location, &view.attending}) {
    if (!acceptable_field(*value)) {
      return error(Code::kInvalidArgument,
                   "patient fields must be valid UTF-8 of at most 200 bytes");
    }
  }
  for (int attempt = 0;; ++attempt) {
    const std::string token = WL_TRY(fields::identifier_token(keys_, org, "", view.mrn));
    const auto holder = WL_TRY(store_.find_identifier(org, token));
    ChangePatient change;
    change.org = org;
    change.at = clock_.now();
    change.expect_identifiers.push_back({token, holder ? holder->patient_id : PatientId()});
    ChangePatient::PatientChange patient;
    if (holder) {
      const Patient stored = WL_TRY(store_.find_patient(holder->patient_id));
      change.expect_patients.push_back({stored.id.value(), stored.version});
      patient.id = stored.id;
      patient.seal_record = stored.seal_record;
    } else {
      patient.seal_record = fields::new_seal_record("patient");
      const std::string record = fields::identifier_record(token);
      change.identifiers.push_back(PatientIdentifier{
          token, PatientId(), WL_TRY(fields::seal(keys_, org, record, "mrn", view.mrn)),
          std::string(), WL_TRY(fields::seal(keys_, org, record, "type", "MR"))});
    }
    auto seal = [&](std::string_view field, std::string_view value) {
      return fields::seal(keys_, org, patient.seal_record, field, value);
    };
    patient.mrn_token = token;
    patient.mrn_sealed = WL_TRY(seal("mrn", view.mrn));
    patient.name_sealed = WL_TRY(seal("name", view.name));
    patient.dob_sealed = WL_TRY(seal("dob", view.date_of_birth));
    patient.location_sealed = WL_TRY(seal("location", view.location));
    patient.attending_sealed = WL_TRY(seal("attending", view.attending));
    change.patient = std::move(patient);
    change.search_tokens =
        WL_TRY(fields::search_tokens(keys_, org, {view.name, view.mrn, view.location}));
    WriteBatch batch;
    const std::size_t changed = batch.add(std::move(change));
    batch.audit(AuditDraft{clock_.now(), org, actor.user, actor.device, "patient.upsert",
                           "patient:new", "ok", ""},
                [changed](AuditDraft& draft, const std::vector<MutationResult>& results) {
                  const auto& written = std::get<PatientWritten>(results.at(changed));
                  draft.target = fmt::format("patient:{}", written.patient.value());
                  return true;
                });
    auto committed = commit_and_wait(committer_, std::move(batch));
    if (!committed && committed.error().code() == Code::kAborted && attempt < 3) {
      continue;  // Changed since it was read (the ADT feed, another admin): read again.
    }
    const BatchResult result = WL_TRY(std::move(committed));
    return open_unaudited(org, result.result<PatientWritten>(changed).patient);
  }
}

Result<std::vector<PatientView>> PatientService::list(const Principal& actor) {
  const auto patients = WL_TRY(store_.list_patients(actor.org));
  std::vector<PatientView> views;
  views.reserve(patients.size());
  for (const Patient& patient : patients) {
    views.push_back(WL_TRY(open(patient)));
  }
  WL_TRY(audit_.record(AuditDraft{clock_.now(), actor.org, actor.user, actor.device, "patient.list",
                                  fmt::format("org:{}", actor.org.value()), "ok",
                                  fmt::format("count={}", views.size())}));
  return views;
}

Result<std::vector<PatientView>> PatientService::search_inpatients(const Principal& actor,
                                                                   std::string_view query,
                                                                   std::size_t limit) {
  if (query.size() > 200 || !is_valid_utf8(query)) {
    return error(Code::kInvalidArgument, "a patient search is at most 200 bytes of UTF-8");
  }
  limit = std::clamp<std::size_t>(limit, 1, 100);
  const auto tokens = WL_TRY(patient_fields::query_tokens(keys_, actor.org, query));
  const auto patients = WL_TRY(store_.search_inpatients(actor.org, tokens, limit));
  std::vector<PatientView> views;
  views.reserve(patients.size());
  for (const Patient& patient : patients) {
    views.push_back(WL_TRY(open(patient)));
  }
  WL_TRY(audit_.record(AuditDraft{clock_.now(), actor.org, actor.user, actor.device,
                                  "patient.search", fmt::format("org:{}", actor.org.value()), "ok",
                                  fmt::format("count={}", views.size())}));
  return views;
}

Result<PatientView> PatientService::get(const Principal& actor, PatientId id) {
  auto view = open_unaudited(actor.org, id);
  const std::string_view outcome = view                                     ? "ok"
                                   : view.error().code() == Code::kNotFound ? "denied"
                                                                            : "failed";
  WL_TRY(audit_.record(AuditDraft{clock_.now(), actor.org, actor.user, actor.device, "patient.read",
                                  fmt::format("patient:{}", id.value()), std::string(outcome),
                                  view ? "" : std::string(code_name(view.error().code()))}));
  return view;
}

Result<PatientView> PatientService::open_unaudited(OrgId org, PatientId id) {
  auto patient = store_.find_patient(id);
  if (!patient || patient->org_id != org || patient->merged_into.is_set()) {
    return error(Code::kNotFound, "no such patient");
  }
  return open(*patient);
}

Result<PatientView> PatientService::open(const Patient& patient) {
  const OrgId org = patient.org_id;
  auto unseal = [&](std::string_view field, std::string_view sealed) {
    return fields::open(keys_, org, patient.seal_record, field, sealed);
  };
  PatientView view;
  view.id = patient.id;
  view.mrn = WL_TRY(unseal("mrn", patient.mrn_sealed));
  view.name = WL_TRY(unseal("name", patient.name_sealed));
  view.date_of_birth = WL_TRY(unseal("dob", patient.dob_sealed));
  view.sex = WL_TRY(unseal("sex", patient.sex_sealed));
  view.location = WL_TRY(unseal("location", patient.location_sealed));
  view.attending = WL_TRY(unseal("attending", patient.attending_sealed));
  view.updated_at = patient.updated_at;
  for (const PatientIdentifier& identifier : WL_TRY(store_.list_identifiers(patient.id))) {
    const std::string record = fields::identifier_record(identifier.token);
    view.identifiers.push_back(PatientIdentifierView{
        WL_TRY(fields::open(keys_, org, record, "mrn", identifier.value_sealed)),
        WL_TRY(fields::open(keys_, org, record, "authority", identifier.authority_sealed)),
        WL_TRY(fields::open(keys_, org, record, "type", identifier.type_sealed))});
  }
  const auto encounters = WL_TRY(store_.list_encounters(patient.id));
  if (const Encounter* encounter = fields::current_encounter(encounters)) {
    auto unseal_visit = [&](std::string_view field, std::string_view sealed) {
      return fields::open(keys_, org, encounter->seal_record, field, sealed);
    };
    view.status = std::string(encounter_state_name(encounter->state));
    const std::string location = WL_TRY(unseal_visit("location", encounter->location_sealed));
    const std::string attending = WL_TRY(unseal_visit("attending", encounter->attending_sealed));
    view.location = location.empty() ? view.location : location;
    view.attending = attending.empty() ? view.attending : attending;
    view.admitted_at = WL_TRY(unseal_visit("admitted_at", encounter->admitted_at_sealed));
    view.discharged_at = WL_TRY(unseal_visit("discharged_at", encounter->discharged_at_sealed));
    view.updated_at = std::max(view.updated_at, encounter->updated_at);
  }
  return view;
}

Result<Hl7Message> PatientService::hl7_message_for(const Principal& actor, std::int64_t id,
                                                   std::string_view action) {
  const std::string target = fmt::format("hl7:{}", id);
  auto deny = [&](Code code, std::string_view why) -> Result<Hl7Message> {
    (void)audit_.record(
        audit_draft(actor, clock_.now(), action, target, "denied", std::string(code_name(code))));
    return error(code, std::string(why));
  };
  if (!actor.is_admin) {
    return deny(Code::kPermissionDenied, "this needs an administrator of the org");
  }
  auto message = store_.get_hl7_message(actor.org, id);
  if (!message && message.error().code() == Code::kNotFound) {
    return deny(Code::kNotFound, "HL7 message not found");
  }
  return message;
}

Result<std::vector<Hl7MessageView>> PatientService::list_hl7_messages(
    const Principal& actor, const Hl7MessageFilter& filter) {
  const std::string target = fmt::format("org:{}", actor.org.value());
  if (!actor.is_admin) {
    (void)audit_.record(audit_draft(actor, clock_.now(), "hl7.list", target, "denied",
                                    std::string(code_name(Code::kPermissionDenied))));
    return error(Code::kPermissionDenied, "this needs an administrator of the org");
  }
  Hl7MessageFilter bounded = filter;
  bounded.org = actor.org;
  bounded.limit = std::clamp<std::size_t>(filter.limit, 1, 200);
  std::vector<Hl7MessageView> views;
  for (const Hl7Message& message : WL_TRY(store_.list_hl7_messages(bounded))) {
    views.push_back(WL_TRY(hl7_view(message)));
  }
  WL_TRY(audit_.record(audit_draft(actor, clock_.now(), "hl7.list", target, "ok",
                                   fmt::format("count={}", views.size()))));
  return views;
}

Result<Hl7MessageView> PatientService::get_hl7_message(const Principal& actor, std::int64_t id) {
  const Hl7Message message = WL_TRY(hl7_message_for(actor, id, "hl7.read"));
  Hl7MessageView view = WL_TRY(hl7_view(message));
  view.raw =
      WL_TRY(fields::open(keys_, message.org_id, message.seal_record, "raw", message.raw_sealed));
  WL_TRY(
      audit_.record(audit_draft(actor, clock_.now(), "hl7.read", fmt::format("hl7:{}", id), "ok")));
  return view;
}

Result<Hl7MessageView> PatientService::hl7_view(const Hl7Message& message) {
  Hl7MessageView view;
  view.id = message.id;
  view.message_type = message.message_type;
  view.outcome = message.outcome;
  view.ack_code = message.ack_code;
  view.detail = WL_TRY(
      fields::open(keys_, message.org_id, message.seal_record, "detail", message.detail_sealed));
  view.patient = message.patient_id;
  view.attempts = message.attempts;
  view.received_at = message.received_at;
  view.updated_at = message.updated_at;
  return view;
}

}  // namespace wl
