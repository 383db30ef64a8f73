// PatientStore on PostgreSQL.
#include "adapters/postgres/postgres_store.hpp"

#include "adapters/postgres/detail/jobs.hpp"
#include "adapters/postgres/detail/mutations.hpp"
#include "adapters/postgres/detail/read_pool.hpp"
#include "adapters/postgres/detail/rows.hpp"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals

// ---- Patients ----

Result<Patient> detail::pg::apply(WriteContext& context, const UpsertPatient& mutation) {
  const Patient& patient = mutation.patient;
  // The (org_id, mrn_token) key makes two stores upserting one patient at once agree.
  const PgResult upserted = WL_TRY(context.connection.query(
      "INSERT INTO patients (org_id, mrn_token, mrn_sealed, name_sealed, dob_sealed, "
      "location_sealed, attending_sealed, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
      "ON CONFLICT (org_id, mrn_token) DO UPDATE SET mrn_sealed = excluded.mrn_sealed, "
      "name_sealed = excluded.name_sealed, dob_sealed = excluded.dob_sealed, "
      "location_sealed = excluded.location_sealed, "
      "attending_sealed = excluded.attending_sealed, updated_at = excluded.updated_at "
      "RETURNING " WL_PG_PATIENT_COLUMNS,
      Params()
          .add(patient.org_id)
          .add_bytes(patient.mrn_token)
          .add_bytes(patient.mrn_sealed)
          .add_bytes(patient.name_sealed)
          .add_bytes(patient.dob_sealed)
          .add_bytes(patient.location_sealed)
          .add_bytes(patient.attending_sealed)
          .add(patient.updated_at),
      "upsert patient"));
  return single_row<Patient>(upserted, read_patient, "patient");
}

Result<Patient> PostgresStore::find_patient(PatientId id) {
  auto lease = read_pool_->acquire();
  const PgResult patient = WL_TRY(lease.connection().query("SELECT " WL_PG_PATIENT_COLUMNS
                                                           " FROM patients WHERE id = $1",
                                                           Params().add(id), "find patient"));
  return single_row<Patient>(patient, read_patient, "patient");
}

Result<std::vector<Patient>> PostgresStore::list_patients(OrgId org) {
  auto lease = read_pool_->acquire();
  const PgResult patients = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_PATIENT_COLUMNS " FROM patients WHERE org_id = $1 ORDER BY id",
      Params().add(org), "list patients"));
  return all_rows<Patient>(patients, read_patient);
}

}  // namespace wl
