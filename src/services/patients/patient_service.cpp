#include "services/patients/patient_service.hpp"

#include <fmt/format.h>

#include "core/crypto/encoding.hpp"
#include "core/utf8.hpp"
#include "services/audit/audit_log.hpp"
#include "services/keys/key_ring.hpp"

namespace wl {
namespace {

constexpr std::string_view kKind = "patient";

std::string record_key(std::string_view mrn_token) {
  return "mrn:" + crypto::hex_encode(mrn_token);
}

bool acceptable_field(std::string_view value) {
  return value.size() <= 200 && is_valid_utf8(value);
}

}  // namespace

PatientService::PatientService(Committer& committer, PatientStore& store, KeyRing& keys,
                               AuditLog& audit, const Clock& clock)
    : committer_(committer), store_(store), keys_(keys), audit_(audit), clock_(clock) {}

Result<PatientView> PatientService::upsert(const Principal& actor, OrgId org,
                                           const PatientView& fields) {
  const bool system = !actor.user.is_set() && actor.is_admin;
  if (!system && !(actor.is_admin && actor.org == org)) {
    return error(Code::kPermissionDenied, "only administrators may edit patient records");
  }
  if (fields.mrn.empty() || fields.name.empty()) {
    return error(Code::kInvalidArgument, "a patient needs an MRN and a name");
  }
  for (const std::string* value :
       {&fields.mrn, &fields.name, &fields.date_of_birth, &fields.location, &fields.attending}) {
    if (!acceptable_field(*value)) {
      return error(Code::kInvalidArgument,
                   "patient fields must be valid UTF-8 of at most 200 bytes");
    }
  }
  Patient patient;
  patient.org_id = org;
  patient.mrn_token = WL_TRY(keys_.blind_token(org, fields.mrn));
  const std::string record = record_key(patient.mrn_token);
  auto seal = [&](std::string_view field, std::string_view value) {
    return keys_.seal(SealContext{org, kKind, record, field}, value);
  };
  patient.mrn_sealed = WL_TRY(seal("mrn", fields.mrn));
  patient.name_sealed = WL_TRY(seal("name", fields.name));
  patient.dob_sealed = WL_TRY(seal("dob", fields.date_of_birth));
  patient.location_sealed = WL_TRY(seal("location", fields.location));
  patient.attending_sealed = WL_TRY(seal("attending", fields.attending));
  patient.updated_at = clock_.now();
  WriteBatch batch;
  const std::size_t upserted = batch.add(UpsertPatient{patient});
  batch.audit(AuditDraft{patient.updated_at, org, actor.user, actor.device, "patient.upsert",
                         "patient:new", "ok", ""},
              [upserted](AuditDraft& draft, const std::vector<MutationResult>& results) {
                const auto& stored = std::get<Patient>(results.at(upserted));
                draft.target = fmt::format("patient:{}", stored.id.value());
                return true;
              });
  const BatchResult committed = WL_TRY(commit_and_wait(committer_, std::move(batch)));
  return open(committed.result<Patient>(upserted));
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

Result<PatientView> PatientService::get(const Principal& actor, PatientId id) {
  auto view = open_unaudited(actor.org, id);
  WL_TRY(audit_.record(AuditDraft{clock_.now(), actor.org, actor.user, actor.device, "patient.read",
                                  fmt::format("patient:{}", id.value()), view ? "ok" : "failed",
                                  view ? "" : std::string(code_name(view.error().code()))}));
  return view;
}

Result<PatientView> PatientService::open_unaudited(OrgId org, PatientId id) {
  auto patient = store_.find_patient(id);
  if (!patient || patient->org_id != org) {
    return error(Code::kNotFound, "no such patient");
  }
  return open(*patient);
}

Result<PatientView> PatientService::open(const Patient& patient) {
  const std::string record = record_key(patient.mrn_token);
  auto unseal = [&](std::string_view field, std::string_view sealed) {
    return keys_.open(SealContext{patient.org_id, kKind, record, field}, sealed);
  };
  PatientView view;
  view.id = patient.id;
  view.mrn = WL_TRY(unseal("mrn", patient.mrn_sealed));
  view.name = WL_TRY(unseal("name", patient.name_sealed));
  view.date_of_birth = WL_TRY(unseal("dob", patient.dob_sealed));
  view.location = WL_TRY(unseal("location", patient.location_sealed));
  view.attending = WL_TRY(unseal("attending", patient.attending_sealed));
  view.updated_at = patient.updated_at;
  return view;
}

}  // namespace wl
