// PatientStore on SQLite.
#include "adapters/sqlite/sqlite_store.hpp"

#include "adapters/sqlite/detail/jobs.hpp"
#include "adapters/sqlite/detail/mutations.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/rows.hpp"

namespace wl {

using namespace detail;  // NOLINT: the adapter's own internals

// ---- Patients ----

Result<Patient> detail::apply(WriteContext& context, const UpsertPatient& mutation) {
  const Patient& patient = mutation.patient;
  auto upsert = WL_TRY(context.connection.prepare(
      "INSERT INTO patients (org_id, mrn_token, mrn_sealed, name_sealed, dob_sealed, "
      "location_sealed, attending_sealed, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
      "ON CONFLICT (org_id, mrn_token) DO UPDATE SET mrn_sealed = excluded.mrn_sealed, "
      "name_sealed = excluded.name_sealed, dob_sealed = excluded.dob_sealed, "
      "location_sealed = excluded.location_sealed, "
      "attending_sealed = excluded.attending_sealed, updated_at = excluded.updated_at "
      "RETURNING id",
      "upsert patient"));
  upsert.bind(1, patient.org_id.value())
      .bind_blob(2, patient.mrn_token)
      .bind_blob(3, patient.mrn_sealed)
      .bind_blob(4, patient.name_sealed)
      .bind_blob(5, patient.dob_sealed)
      .bind_blob(6, patient.location_sealed)
      .bind_blob(7, patient.attending_sealed)
      .bind(8, patient.updated_at);
  if (!WL_TRY(upsert.step())) {
    return error(Code::kInternal, "store: upsert patient returned no row");
  }
  Patient stored = patient;
  stored.id = PatientId(upsert.column_int64(0));
  WL_TRY(upsert.run());
  return stored;
}

Result<Patient> SqliteStore::find_patient(PatientId id) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_PATIENT_COLUMNS " FROM patients WHERE id = ?1", "find patient"));
  select.bind(1, id.value());
  return single_row<Patient>(select, read_patient, "patient");
}

Result<std::vector<Patient>> SqliteStore::list_patients(OrgId org) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare("SELECT " WL_PATIENT_COLUMNS
                                                  " FROM patients WHERE org_id = ?1 ORDER BY id",
                                                  "list patients"));
  select.bind(1, org.value());
  return all_rows<Patient>(select, read_patient);
}

}  // namespace wl
