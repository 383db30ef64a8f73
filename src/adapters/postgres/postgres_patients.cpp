// PatientStore on PostgreSQL: patients, identifiers, encounters, search tokens and the HL7
// messages received (docs/patients.md). As sqlite_patients.cpp, with row locks where
// several stores may write one patient at once.
#include "adapters/postgres/postgres_store.hpp"

#include "adapters/common/change_patient.hpp"
#include "adapters/common/patient_search.hpp"
#include "adapters/postgres/detail/jobs.hpp"
#include "adapters/postgres/detail/mutations.hpp"
#include "adapters/postgres/detail/read_pool.hpp"
#include "adapters/postgres/detail/rows.hpp"

#define WL_PG_IDENTIFIER_COLUMNS "token, patient_id, value_sealed, authority_sealed, type_sealed"
#define WL_PG_ENCOUNTER_COLUMNS                                                                 \
  "id, org_id, patient_id, seal_record, visit_token, state, state_before_discharge, "           \
  "visit_sealed, location_sealed, attending_sealed, admitted_at_sealed, discharged_at_sealed, " \
  "event_at, version, updated_at"
#define WL_PG_HL7_COLUMNS                                                                 \
  "id, org_id, control_token, seal_record, message_type, outcome, ack_code, patient_id, " \
  "attempts, raw_sealed, detail_sealed, received_at, updated_at"

namespace wl {

using namespace detail::pg;  // NOLINT: the adapter's own internals

namespace {

PatientIdentifier read_identifier(const PgResult& result, int row) {
  PatientIdentifier identifier;
  identifier.token = result.bytes(row, 0);
  identifier.patient_id = PatientId(result.int64(row, 1));
  identifier.value_sealed = result.bytes(row, 2);
  identifier.authority_sealed = result.bytes(row, 3);
  identifier.type_sealed = result.bytes(row, 4);
  return identifier;
}

Encounter read_encounter(const PgResult& result, int row) {
  Encounter encounter;
  encounter.id = EncounterId(result.int64(row, 0));
  encounter.org_id = OrgId(result.int64(row, 1));
  encounter.patient_id = PatientId(result.int64(row, 2));
  encounter.seal_record = result.bytes(row, 3);
  encounter.visit_token = result.bytes(row, 4);
  encounter.state = static_cast<EncounterState>(result.int64(row, 5));
  encounter.state_before_discharge = static_cast<EncounterState>(result.int64(row, 6));
  encounter.visit_sealed = result.bytes(row, 7);
  encounter.location_sealed = result.bytes(row, 8);
  encounter.attending_sealed = result.bytes(row, 9);
  encounter.admitted_at_sealed = result.bytes(row, 10);
  encounter.discharged_at_sealed = result.bytes(row, 11);
  encounter.event_at = result.optional_time(row, 12);
  encounter.version = result.int64(row, 13);
  encounter.updated_at = result.time(row, 14);
  return encounter;
}

Hl7Message read_hl7_message(const PgResult& result, int row) {
  Hl7Message message;
  message.id = result.int64(row, 0);
  message.org_id = OrgId(result.int64(row, 1));
  message.control_token = result.bytes(row, 2);
  message.seal_record = result.bytes(row, 3);
  message.message_type = result.bytes(row, 4);
  message.outcome = result.bytes(row, 5);
  message.ack_code = result.bytes(row, 6);
  message.patient_id = PatientId(result.optional_int64(row, 7).value_or(0));
  message.attempts = result.int64(row, 8);
  message.raw_sealed = result.bytes(row, 9);
  message.detail_sealed = result.bytes(row, 10);
  message.received_at = result.time(row, 11);
  message.updated_at = result.time(row, 12);
  return message;
}

// NULL keeps the stored value (COALESCE); an empty value is written as it is.
Params& add_optional_bytes(Params& params, const std::optional<std::string>& value) {
  return value ? params.add_bytes(*value) : params.add_null(PgType::kBytea);
}

Params& add_optional_state(Params& params, const std::optional<EncounterState>& state) {
  return state ? params.add(static_cast<std::int64_t>(*state)) : params.add_null(PgType::kInt8);
}

}  // namespace

// The statements detail::apply_change_patient (adapters/common/change_patient.hpp) is
// made of. Each check locks the row it reads, so that another store's write of the same
// patient waits for this transaction and then fails its own check.
namespace detail::pg {

Result<std::optional<std::int64_t>> patient_version(WriteContext& context, OrgId org,
                                                    PatientId id) {
  const PgResult row = WL_TRY(context.connection.query(
      "SELECT version FROM patients WHERE id = $1 AND org_id = $2 FOR UPDATE",
      Params().add(id).add(org), "check patient"));
  if (row.rows() == 0) {
    return std::nullopt;
  }
  return row.int64(0, 0);
}

Result<PatientId> identifier_holder(WriteContext& context, OrgId org, const std::string& token) {
  const PgResult row = WL_TRY(context.connection.query(
      "SELECT patient_id FROM patient_identifiers WHERE org_id = $1 AND token = $2 FOR UPDATE",
      Params().add(org).add_bytes(token), "check identifier"));
  return PatientId(row.rows() == 0 ? 0 : row.int64(0, 0));
}

Result<bool> visit_taken(WriteContext& context, OrgId org, const std::string& token) {
  const PgResult row = WL_TRY(
      context.connection.query("SELECT 1 FROM encounters WHERE org_id = $1 AND visit_token = $2",
                               Params().add(org).add_bytes(token), "check visit"));
  return row.rows() != 0;
}

Result<std::optional<std::int64_t>> encounter_version(WriteContext& context, OrgId org,
                                                      EncounterId id) {
  const PgResult row = WL_TRY(context.connection.query(
      "SELECT version FROM encounters WHERE id = $1 AND org_id = $2 FOR UPDATE",
      Params().add(id).add(org), "check encounter"));
  if (row.rows() == 0) {
    return std::nullopt;
  }
  return row.int64(0, 0);
}

Result<std::int64_t> hl7_attempts(WriteContext& context, OrgId org,
                                  const std::string& control_token) {
  const PgResult row = WL_TRY(context.connection.query(
      "SELECT attempts FROM hl7_messages WHERE org_id = $1 AND control_token = $2 FOR UPDATE",
      Params().add(org).add_bytes(control_token), "check message"));
  return row.rows() == 0 ? 0 : row.int64(0, 0);
}

Result<PatientId> write_patient(WriteContext& context, const ChangePatient& change) {
  const ChangePatient::PatientChange& patient = *change.patient;
  if (!patient.id.is_set()) {
    const PgResult inserted = WL_TRY(context.connection.query(
        "INSERT INTO patients (org_id, mrn_token, mrn_sealed, name_sealed, dob_sealed, "
        "location_sealed, attending_sealed, updated_at, seal_record, sex_sealed, event_at, "
        "version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1) "
        "ON CONFLICT (org_id, mrn_token) DO NOTHING RETURNING id",
        Params()
            .add(change.org)
            .add_bytes(patient.mrn_token.value_or(""))
            .add_bytes(patient.mrn_sealed.value_or(""))
            .add_bytes(patient.name_sealed.value_or(""))
            .add_bytes(patient.dob_sealed.value_or(""))
            .add_bytes(patient.location_sealed.value_or(""))
            .add_bytes(patient.attending_sealed.value_or(""))
            .add(change.at)
            .add_text(patient.seal_record)
            .add_bytes(patient.sex_sealed.value_or(""))
            .add(patient.event_at),
        "insert patient"));
    if (inserted.rows() == 0) {
      WL_TRY(
          changed_since_read("a patient identifier"));  // Another store created the patient first.
    }
    return PatientId(inserted.int64(0, 0));
  }
  Params params;
  params.add(patient.id).add(change.org);
  add_optional_bytes(params, patient.mrn_token);
  add_optional_bytes(params, patient.mrn_sealed);
  add_optional_bytes(params, patient.name_sealed);
  add_optional_bytes(params, patient.dob_sealed);
  add_optional_bytes(params, patient.sex_sealed);
  add_optional_bytes(params, patient.location_sealed);
  add_optional_bytes(params, patient.attending_sealed);
  params.add(patient.event_at).add(change.at);
  const PgResult updated = WL_TRY(context.connection.query(
      "UPDATE patients SET mrn_token = COALESCE($3, mrn_token), "
      "mrn_sealed = COALESCE($4, mrn_sealed), name_sealed = COALESCE($5, name_sealed), "
      "dob_sealed = COALESCE($6, dob_sealed), sex_sealed = COALESCE($7, sex_sealed), "
      "location_sealed = COALESCE($8, location_sealed), "
      "attending_sealed = COALESCE($9, attending_sealed), "
      "event_at = COALESCE($10, event_at), version = version + 1, updated_at = $11 "
      "WHERE id = $1 AND org_id = $2",
      params, "update patient"));
  if (updated.affected() != 1) {
    return error(Code::kNotFound, "no such patient");
  }
  return patient.id;
}

Result<void> merge_patient(WriteContext& context, const ChangePatient& change, PatientId into) {
  constexpr const char* kMoves[] = {
      "UPDATE patient_identifiers SET patient_id = $2 WHERE patient_id = $1",
      "UPDATE encounters SET patient_id = $2 WHERE patient_id = $1",
      "UPDATE threads SET patient_id = $2 WHERE patient_id = $1",
      "UPDATE patients SET merged_into = $2 WHERE merged_into = $1",
  };
  for (const char* sql : kMoves) {
    WL_TRY(
        context.connection.query(sql, Params().add(change.merge_from).add(into), "merge patient"));
  }
  WL_TRY(context.connection.query("DELETE FROM patient_search WHERE patient_id = $1",
                                  Params().add(change.merge_from), "merge patient"));
  // The merged row gives up its MRN token (unique per org) for its own seal record.
  const PgResult marked = WL_TRY(context.connection.query(
      "UPDATE patients SET merged_into = $2, mrn_token = convert_to(seal_record, 'UTF8'), "
      "version = version + 1, updated_at = $4 WHERE id = $1 AND org_id = $3",
      Params().add(change.merge_from).add(into).add(change.org).add(change.at),
      "mark merged patient"));
  if (marked.affected() != 1) {
    return error(Code::kNotFound, "no such patient");
  }
  return {};
}

Result<EncounterId> write_encounter(WriteContext& context, const ChangePatient& change,
                                    PatientId patient) {
  const ChangePatient::EncounterChange& encounter = *change.encounter;
  EncounterId id = encounter.id;
  if (!id.is_set()) {
    const auto state = encounter.state.value_or(EncounterState::kAdmitted);
    const PgResult inserted = WL_TRY(context.connection.query(
        "INSERT INTO encounters (org_id, patient_id, seal_record, visit_token, state, "
        "state_before_discharge, visit_sealed, location_sealed, attending_sealed, "
        "admitted_at_sealed, discharged_at_sealed, event_at, version, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13) "
        "ON CONFLICT DO NOTHING RETURNING id",
        Params()
            .add(change.org)
            .add(patient)
            .add_text(encounter.seal_record)
            .add_bytes_or_null(encounter.visit_token)
            .add(static_cast<std::int64_t>(state))
            .add(static_cast<std::int64_t>(encounter.state_before_discharge.value_or(state)))
            .add_bytes(encounter.visit_sealed.value_or(""))
            .add_bytes(encounter.location_sealed.value_or(""))
            .add_bytes(encounter.attending_sealed.value_or(""))
            .add_bytes(encounter.admitted_at_sealed.value_or(""))
            .add_bytes(encounter.discharged_at_sealed.value_or(""))
            .add(encounter.event_at)
            .add(change.at),
        "insert encounter"));
    if (inserted.rows() == 0) {
      WL_TRY(changed_since_read("an encounter"));  // Another store opened the visit first.
    }
    id = EncounterId(inserted.int64(0, 0));
  } else {
    Params params;
    params.add(id).add(change.org);
    add_optional_state(params, encounter.state);
    add_optional_state(params, encounter.state_before_discharge);
    add_optional_bytes(params, encounter.visit_sealed);
    add_optional_bytes(params, encounter.location_sealed);
    add_optional_bytes(params, encounter.attending_sealed);
    add_optional_bytes(params, encounter.admitted_at_sealed);
    add_optional_bytes(params, encounter.discharged_at_sealed);
    params.add(encounter.event_at).add(patient).add(change.at);
    const PgResult updated = WL_TRY(context.connection.query(
        "UPDATE encounters SET state = COALESCE($3, state), "
        "state_before_discharge = COALESCE($4, state_before_discharge), "
        "visit_sealed = COALESCE($5, visit_sealed), "
        "location_sealed = COALESCE($6, location_sealed), "
        "attending_sealed = COALESCE($7, attending_sealed), "
        "admitted_at_sealed = COALESCE($8, admitted_at_sealed), "
        "discharged_at_sealed = COALESCE($9, discharged_at_sealed), "
        "event_at = COALESCE($10, event_at), patient_id = $11, version = version + 1, "
        "updated_at = $12 WHERE id = $1 AND org_id = $2",
        params, "update encounter"));
    if (updated.affected() != 1) {
      return error(Code::kNotFound, "no such encounter");
    }
  }
  if (encounter.moved_to) {
    WL_TRY(context.connection.query(
        "INSERT INTO encounter_locations (encounter_id, seq, location_sealed, at_sealed) "
        "VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM encounter_locations "
        "WHERE encounter_id = $1), $2, $3)",
        Params()
            .add(id)
            .add_bytes(encounter.moved_to->location_sealed)
            .add_bytes(encounter.moved_to->at_sealed),
        "append location"));
  }
  return id;
}

Result<std::int64_t> write_hl7_message(WriteContext& context, const ChangePatient& change,
                                       PatientId patient) {
  const Hl7Message& message = *change.message;
  const PatientId about = message.patient_id.is_set() ? message.patient_id : patient;
  if (change.expect_attempts == 0) {
    const PgResult inserted = WL_TRY(context.connection.query(
        "INSERT INTO hl7_messages (org_id, control_token, seal_record, message_type, outcome, "
        "ack_code, patient_id, attempts, raw_sealed, detail_sealed, received_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10, $11) "
        "ON CONFLICT (org_id, control_token) DO NOTHING RETURNING id",
        Params()
            .add(change.org)
            .add_bytes(message.control_token)
            .add_text(message.seal_record)
            .add_text(message.message_type)
            .add_text(message.outcome)
            .add_text(message.ack_code)
            .add_id_or_null(about)
            .add_bytes(message.raw_sealed)
            .add_bytes(message.detail_sealed)
            .add(message.received_at)
            .add(change.at),
        "insert hl7 message"));
    if (inserted.rows() == 0) {
      WL_TRY(changed_since_read("an HL7 message"));  // Another store received it first.
    }
    return inserted.int64(0, 0);
  }
  const PgResult updated = WL_TRY(context.connection.query(
      "UPDATE hl7_messages SET outcome = $3, ack_code = $4, patient_id = COALESCE($5, "
      "patient_id), detail_sealed = $6, attempts = attempts + 1, updated_at = $7 "
      "WHERE org_id = $1 AND control_token = $2 RETURNING id",
      Params()
          .add(change.org)
          .add_bytes(message.control_token)
          .add_text(message.outcome)
          .add_text(message.ack_code)
          .add_id_or_null(about)
          .add_bytes(message.detail_sealed)
          .add(change.at),
      "update hl7 message"));
  if (updated.rows() == 0) {
    return error(Code::kInternal, "store: the HL7 message to update is gone");
  }
  return updated.int64(0, 0);
}

Result<bool> put_identifier(WriteContext& context, OrgId org, const PatientIdentifier& identifier,
                            PatientId patient) {
  const PgResult put = WL_TRY(context.connection.query(
      "INSERT INTO patient_identifiers (org_id, token, patient_id, value_sealed, "
      "authority_sealed, type_sealed) VALUES ($1, $2, $3, $4, $5, $6) "
      "ON CONFLICT (org_id, token) DO UPDATE SET value_sealed = excluded.value_sealed, "
      "authority_sealed = excluded.authority_sealed, type_sealed = excluded.type_sealed "
      "WHERE patient_identifiers.patient_id = excluded.patient_id",
      Params()
          .add(org)
          .add_bytes(identifier.token)
          .add(patient)
          .add_bytes(identifier.value_sealed)
          .add_bytes(identifier.authority_sealed)
          .add_bytes(identifier.type_sealed),
      "put identifier"));
  return put.affected() == 1;
}

Result<std::vector<std::string>> search_tokens_of(WriteContext& context, PatientId patient) {
  const PgResult rows =
      WL_TRY(context.connection.query("SELECT token FROM patient_search WHERE patient_id = $1",
                                      Params().add(patient), "read search tokens"));
  std::vector<std::string> tokens;
  for (int row = 0; row < rows.rows(); ++row) {
    tokens.push_back(rows.bytes(row, 0));
  }
  WL_TRY(rows.check());
  return tokens;
}

Result<void> remove_search_token(WriteContext& context, PatientId patient,
                                 const std::string& token) {
  WL_TRY(context.connection.query("DELETE FROM patient_search WHERE patient_id = $1 AND token = $2",
                                  Params().add(patient).add_bytes(token), "remove search token"));
  return {};
}

Result<void> add_search_token(WriteContext& context, OrgId org, PatientId patient,
                              const std::string& token) {
  WL_TRY(context.connection.query(
      "INSERT INTO patient_search (org_id, token, patient_id) VALUES ($1, $2, $3) "
      "ON CONFLICT DO NOTHING",
      Params().add(org).add_bytes(token).add(patient), "put search token"));
  return {};
}

Result<std::vector<ThreadId>> threads_about(WriteContext& context, PatientId patient) {
  const PgResult threads =
      WL_TRY(context.connection.query("SELECT id FROM threads WHERE patient_id = $1 ORDER BY id",
                                      Params().add(patient), "threads of patient"));
  std::vector<ThreadId> ids;
  for (int row = 0; row < threads.rows(); ++row) {
    ids.emplace_back(threads.int64(row, 0));
  }
  WL_TRY(threads.check());
  return ids;
}

Result<void> insert_thread_event(WriteContext& context, Event& event) {
  WL_TRY(lock_thread(context, event.thread_id));
  return insert_event(context, event);
}

}  // namespace detail::pg

// ---- Patients ----

Result<PatientWritten> detail::pg::apply(WriteContext& context, const ChangePatient& change) {
  return apply_change_patient(context, change);
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
      "SELECT " WL_PG_PATIENT_COLUMNS
      " FROM patients WHERE org_id = $1 AND merged_into IS NULL ORDER BY id",
      Params().add(org), "list patients"));
  return all_rows<Patient>(patients, read_patient);
}

Result<std::optional<PatientIdentifier>> PostgresStore::find_identifier(OrgId org,
                                                                        const std::string& token) {
  auto lease = read_pool_->acquire();
  const PgResult found =
      WL_TRY(lease.connection().query("SELECT " WL_PG_IDENTIFIER_COLUMNS
                                      " FROM patient_identifiers WHERE org_id = $1 AND token = $2",
                                      Params().add(org).add_bytes(token), "find identifier"));
  if (found.rows() == 0) {
    return std::nullopt;
  }
  return single_row<PatientIdentifier>(found, read_identifier, "identifier");
}

Result<std::vector<PatientIdentifier>> PostgresStore::list_identifiers(PatientId patient) {
  auto lease = read_pool_->acquire();
  const PgResult found = WL_TRY(
      lease.connection().query("SELECT " WL_PG_IDENTIFIER_COLUMNS
                               " FROM patient_identifiers WHERE patient_id = $1 ORDER BY position",
                               Params().add(patient), "list identifiers"));
  return all_rows<PatientIdentifier>(found, read_identifier);
}

Result<std::optional<Encounter>> PostgresStore::find_encounter_by_visit(OrgId org,
                                                                        const std::string& token) {
  auto lease = read_pool_->acquire();
  const PgResult found = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_ENCOUNTER_COLUMNS " FROM encounters WHERE org_id = $1 AND visit_token = $2",
      Params().add(org).add_bytes(token), "find encounter"));
  if (found.rows() == 0) {
    return std::nullopt;
  }
  return single_row<Encounter>(found, read_encounter, "encounter");
}

Result<std::vector<Encounter>> PostgresStore::list_encounters(PatientId patient) {
  auto lease = read_pool_->acquire();
  const PgResult found = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_ENCOUNTER_COLUMNS " FROM encounters WHERE patient_id = $1 ORDER BY id DESC",
      Params().add(patient), "list encounters"));
  return all_rows<Encounter>(found, read_encounter);
}

Result<std::vector<EncounterLocation>> PostgresStore::list_locations(EncounterId encounter) {
  auto lease = read_pool_->acquire();
  const PgResult found = WL_TRY(lease.connection().query(
      "SELECT seq, location_sealed, at_sealed FROM encounter_locations WHERE encounter_id = $1 "
      "ORDER BY seq",
      Params().add(encounter), "list locations"));
  return all_rows<EncounterLocation>(found, [](const PgResult& result, int row) {
    return EncounterLocation{result.int64(row, 0), result.bytes(row, 1), result.bytes(row, 2)};
  });
}

Result<std::vector<Patient>> PostgresStore::search_inpatients(
    OrgId org, const std::vector<std::string>& tokens, std::size_t limit) {
  auto lease = read_pool_->acquire();
  if (tokens.size() > detail::kMaxInpatientSearchTokens) {
    return error(Code::kInvalidArgument, "store: too many search tokens");
  }
  Params params;
  params.add(org).add(static_cast<std::int64_t>(std::min<std::size_t>(limit, 1000)));
  for (const std::string& token : tokens) {
    params.add_bytes(token);
  }
  const PgResult found = WL_TRY(
      lease.connection().query(detail::inpatient_search_sql(WL_PG_PATIENT_COLUMNS, tokens.size(),
                                                            detail::SqlDialect::kPostgres),
                               params, "search inpatients"));
  return all_rows<Patient>(found, read_patient);
}

Result<std::optional<Hl7Message>> PostgresStore::find_hl7_message(
    OrgId org, const std::string& control_token) {
  auto lease = read_pool_->acquire();
  const PgResult found = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_HL7_COLUMNS " FROM hl7_messages WHERE org_id = $1 AND control_token = $2",
      Params().add(org).add_bytes(control_token), "find hl7 message"));
  if (found.rows() == 0) {
    return std::nullopt;
  }
  return single_row<Hl7Message>(found, read_hl7_message, "HL7 message");
}

Result<Hl7Message> PostgresStore::get_hl7_message(OrgId org, std::int64_t id) {
  auto lease = read_pool_->acquire();
  const PgResult found = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_HL7_COLUMNS " FROM hl7_messages WHERE org_id = $1 AND id = $2",
      Params().add(org).add(id), "get hl7 message"));
  return single_row<Hl7Message>(found, read_hl7_message, "HL7 message");
}

Result<std::vector<Hl7Message>> PostgresStore::list_hl7_messages(const Hl7MessageFilter& filter) {
  auto lease = read_pool_->acquire();
  const PgResult found = WL_TRY(lease.connection().query(
      "SELECT " WL_PG_HL7_COLUMNS
      " FROM hl7_messages WHERE org_id = $1 AND ($2 = '' OR outcome = $2) AND "
      "($3 = 0 OR id < $3) ORDER BY id DESC LIMIT $4",
      Params()
          .add(filter.org)
          .add_text(filter.outcome)
          .add(filter.before_id)
          .add(static_cast<std::int64_t>(std::min<std::size_t>(filter.limit, 1000))),
      "list hl7 messages"));
  return all_rows<Hl7Message>(found, read_hl7_message);
}

}  // namespace wl
