// PatientStore on SQLite: patients, identifiers, encounters, search tokens and the HL7
// messages received (docs/patients.md).
#include "adapters/sqlite/sqlite_store.hpp"

#include "adapters/common/change_patient.hpp"
#include "adapters/common/patient_search.hpp"
#include "adapters/sqlite/detail/jobs.hpp"
#include "adapters/sqlite/detail/mutations.hpp"
#include "adapters/sqlite/detail/read_pool.hpp"
#include "adapters/sqlite/detail/rows.hpp"

#define WL_IDENTIFIER_COLUMNS "token, patient_id, value_sealed, authority_sealed, type_sealed"
#define WL_ENCOUNTER_COLUMNS                                                                    \
  "id, org_id, patient_id, seal_record, visit_token, state, state_before_discharge, "           \
  "visit_sealed, location_sealed, attending_sealed, admitted_at_sealed, discharged_at_sealed, " \
  "event_at, version, updated_at"
#define WL_HL7_COLUMNS                                                                    \
  "id, org_id, control_token, seal_record, message_type, outcome, ack_code, patient_id, " \
  "attempts, raw_sealed, detail_sealed, received_at, updated_at"

namespace wl {

using namespace detail;  // NOLINT: the adapter's own internals

namespace {

PatientIdentifier read_identifier(const Statement& row) {
  PatientIdentifier identifier;
  identifier.token = row.column_bytes(0);
  identifier.patient_id = PatientId(row.column_int64(1));
  identifier.value_sealed = row.column_bytes(2);
  identifier.authority_sealed = row.column_bytes(3);
  identifier.type_sealed = row.column_bytes(4);
  return identifier;
}

Encounter read_encounter(const Statement& row) {
  Encounter encounter;
  encounter.id = EncounterId(row.column_int64(0));
  encounter.org_id = OrgId(row.column_int64(1));
  encounter.patient_id = PatientId(row.column_int64(2));
  encounter.seal_record = row.column_bytes(3);
  encounter.visit_token = row.column_is_null(4) ? std::string() : row.column_bytes(4);
  encounter.state = static_cast<EncounterState>(row.column_int64(5));
  encounter.state_before_discharge = static_cast<EncounterState>(row.column_int64(6));
  encounter.visit_sealed = row.column_bytes(7);
  encounter.location_sealed = row.column_bytes(8);
  encounter.attending_sealed = row.column_bytes(9);
  encounter.admitted_at_sealed = row.column_bytes(10);
  encounter.discharged_at_sealed = row.column_bytes(11);
  encounter.event_at = row.column_optional_time(12);
  encounter.version = row.column_int64(13);
  encounter.updated_at = row.column_time(14);
  return encounter;
}

Hl7Message read_hl7_message(const Statement& row) {
  Hl7Message message;
  message.id = row.column_int64(0);
  message.org_id = OrgId(row.column_int64(1));
  message.control_token = row.column_bytes(2);
  message.seal_record = row.column_bytes(3);
  message.message_type = row.column_bytes(4);
  message.outcome = row.column_bytes(5);
  message.ack_code = row.column_bytes(6);
  message.patient_id = PatientId(row.column_is_null(7) ? 0 : row.column_int64(7));
  message.attempts = row.column_int64(8);
  message.raw_sealed = row.column_bytes(9);
  message.detail_sealed = row.column_bytes(10);
  message.received_at = row.column_time(11);
  message.updated_at = row.column_time(12);
  return message;
}

// Binds an optional sealed value: NULL keeps the stored one (COALESCE).
void bind_optional_blob(Statement& statement, int index, const std::optional<std::string>& value) {
  if (value) {
    statement.bind_blob(index, *value);
  } else {
    statement.bind_null(index);
  }
}

}  // namespace

// The statements detail::apply_change_patient (adapters/common/change_patient.hpp) is
// made of.
namespace detail {

Result<std::optional<std::int64_t>> patient_version(WriteContext& context, OrgId org,
                                                    PatientId id) {
  auto select = WL_TRY(context.connection.prepare(
      "SELECT version FROM patients WHERE id = ?1 AND org_id = ?2", "check patient"));
  select.bind(1, id.value()).bind(2, org.value());
  if (!WL_TRY(select.step())) {
    return std::nullopt;
  }
  return select.column_int64(0);
}

Result<PatientId> identifier_holder(WriteContext& context, OrgId org, const std::string& token) {
  auto select = WL_TRY(context.connection.prepare(
      "SELECT patient_id FROM patient_identifiers WHERE org_id = ?1 AND token = ?2",
      "check identifier"));
  select.bind(1, org.value()).bind_blob(2, token);
  return PatientId(WL_TRY(select.step()) ? select.column_int64(0) : 0);
}

Result<bool> visit_taken(WriteContext& context, OrgId org, const std::string& token) {
  auto select = WL_TRY(context.connection.prepare(
      "SELECT 1 FROM encounters WHERE org_id = ?1 AND visit_token = ?2", "check visit"));
  select.bind(1, org.value()).bind_blob(2, token);
  return select.step();
}

Result<std::optional<std::int64_t>> encounter_version(WriteContext& context, OrgId org,
                                                      EncounterId id) {
  auto select = WL_TRY(context.connection.prepare(
      "SELECT version FROM encounters WHERE id = ?1 AND org_id = ?2", "check encounter"));
  select.bind(1, id.value()).bind(2, org.value());
  if (!WL_TRY(select.step())) {
    return std::nullopt;
  }
  return select.column_int64(0);
}

Result<std::int64_t> hl7_attempts(WriteContext& context, OrgId org,
                                  const std::string& control_token) {
  auto select = WL_TRY(context.connection.prepare(
      "SELECT attempts FROM hl7_messages WHERE org_id = ?1 AND control_token = ?2",
      "check message"));
  select.bind(1, org.value()).bind_blob(2, control_token);
  return WL_TRY(select.step()) ? select.column_int64(0) : 0;
}

Result<PatientId> write_patient(WriteContext& context, const ChangePatient& change) {
  const ChangePatient::PatientChange& patient = *change.patient;
  if (!patient.id.is_set()) {
    auto insert = WL_TRY(context.connection.prepare(
        "INSERT INTO patients (org_id, mrn_token, mrn_sealed, name_sealed, dob_sealed, "
        "location_sealed, attending_sealed, updated_at, seal_record, sex_sealed, event_at, "
        "version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1)",
        "insert patient"));
    insert.bind(1, change.org.value())
        .bind_blob(2, patient.mrn_token.value_or(""))
        .bind_blob(3, patient.mrn_sealed.value_or(""))
        .bind_blob(4, patient.name_sealed.value_or(""))
        .bind_blob(5, patient.dob_sealed.value_or(""))
        .bind_blob(6, patient.location_sealed.value_or(""))
        .bind_blob(7, patient.attending_sealed.value_or(""))
        .bind(8, change.at)
        .bind_text(9, patient.seal_record)
        .bind_blob(10, patient.sex_sealed.value_or(""))
        .bind(11, patient.event_at);
    WL_TRY(insert.run());
    return PatientId(context.connection.last_insert_id());
  }
  auto update = WL_TRY(context.connection.prepare(
      "UPDATE patients SET mrn_token = COALESCE(?3, mrn_token), "
      "mrn_sealed = COALESCE(?4, mrn_sealed), name_sealed = COALESCE(?5, name_sealed), "
      "dob_sealed = COALESCE(?6, dob_sealed), sex_sealed = COALESCE(?7, sex_sealed), "
      "location_sealed = COALESCE(?8, location_sealed), "
      "attending_sealed = COALESCE(?9, attending_sealed), "
      "event_at = COALESCE(?10, event_at), version = version + 1, updated_at = ?11 "
      "WHERE id = ?1 AND org_id = ?2",
      "update patient"));
  update.bind(1, patient.id.value()).bind(2, change.org.value());
  bind_optional_blob(update, 3, patient.mrn_token);
  bind_optional_blob(update, 4, patient.mrn_sealed);
  bind_optional_blob(update, 5, patient.name_sealed);
  bind_optional_blob(update, 6, patient.dob_sealed);
  bind_optional_blob(update, 7, patient.sex_sealed);
  bind_optional_blob(update, 8, patient.location_sealed);
  bind_optional_blob(update, 9, patient.attending_sealed);
  update.bind(10, patient.event_at).bind(11, change.at);
  WL_TRY(update.run());
  if (context.connection.changes() != 1) {
    return error(Code::kNotFound, "no such patient");
  }
  return patient.id;
}

Result<void> merge_patient(WriteContext& context, const ChangePatient& change, PatientId into) {
  const std::int64_t from = change.merge_from.value();
  constexpr const char* kMoves[] = {
      "UPDATE patient_identifiers SET patient_id = ?2 WHERE patient_id = ?1",
      "UPDATE encounters SET patient_id = ?2 WHERE patient_id = ?1",
      "UPDATE threads SET patient_id = ?2 WHERE patient_id = ?1",
      "UPDATE patients SET merged_into = ?2 WHERE merged_into = ?1",
  };
  for (const char* sql : kMoves) {
    auto move = WL_TRY(context.connection.prepare(sql, "merge patient"));
    WL_TRY(move.bind(1, from).bind(2, into.value()).run());
  }
  auto unsearchable = WL_TRY(context.connection.prepare(
      "DELETE FROM patient_search WHERE patient_id = ?1", "merge patient"));
  WL_TRY(unsearchable.bind(1, from).run());
  // The merged row gives up its MRN token (unique per org) for its own seal record.
  auto mark = WL_TRY(context.connection.prepare(
      "UPDATE patients SET merged_into = ?2, mrn_token = CAST(seal_record AS BLOB), "
      "version = version + 1, updated_at = ?4 WHERE id = ?1 AND org_id = ?3",
      "mark merged patient"));
  WL_TRY(mark.bind(1, from)
             .bind(2, into.value())
             .bind(3, change.org.value())
             .bind(4, change.at)
             .run());
  if (context.connection.changes() != 1) {
    return error(Code::kNotFound, "no such patient");
  }
  return {};
}

Result<EncounterId> write_encounter(WriteContext& context, const ChangePatient& change,
                                    PatientId patient) {
  const ChangePatient::EncounterChange& encounter = *change.encounter;
  EncounterId id = encounter.id;
  if (!id.is_set()) {
    auto insert = WL_TRY(context.connection.prepare(
        "INSERT INTO encounters (org_id, patient_id, seal_record, visit_token, state, "
        "state_before_discharge, visit_sealed, location_sealed, attending_sealed, "
        "admitted_at_sealed, discharged_at_sealed, event_at, version, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 1, ?13)",
        "insert encounter"));
    const auto state = encounter.state.value_or(EncounterState::kAdmitted);
    insert.bind(1, change.org.value())
        .bind(2, patient.value())
        .bind_text(3, encounter.seal_record)
        .bind(5, static_cast<std::int64_t>(state))
        .bind(6, static_cast<std::int64_t>(encounter.state_before_discharge.value_or(state)))
        .bind_blob(7, encounter.visit_sealed.value_or(""))
        .bind_blob(8, encounter.location_sealed.value_or(""))
        .bind_blob(9, encounter.attending_sealed.value_or(""))
        .bind_blob(10, encounter.admitted_at_sealed.value_or(""))
        .bind_blob(11, encounter.discharged_at_sealed.value_or(""))
        .bind(12, encounter.event_at)
        .bind(13, change.at);
    if (encounter.visit_token.empty()) {
      insert.bind_null(4);
    } else {
      insert.bind_blob(4, encounter.visit_token);
    }
    WL_TRY(insert.run());
    id = EncounterId(context.connection.last_insert_id());
  } else {
    auto update = WL_TRY(context.connection.prepare(
        "UPDATE encounters SET state = COALESCE(?3, state), "
        "state_before_discharge = COALESCE(?4, state_before_discharge), "
        "visit_sealed = COALESCE(?5, visit_sealed), "
        "location_sealed = COALESCE(?6, location_sealed), "
        "attending_sealed = COALESCE(?7, attending_sealed), "
        "admitted_at_sealed = COALESCE(?8, admitted_at_sealed), "
        "discharged_at_sealed = COALESCE(?9, discharged_at_sealed), "
        "event_at = COALESCE(?10, event_at), patient_id = ?11, version = version + 1, "
        "updated_at = ?12 WHERE id = ?1 AND org_id = ?2",
        "update encounter"));
    update.bind(1, id.value()).bind(2, change.org.value());
    if (encounter.state) {
      update.bind(3, static_cast<std::int64_t>(*encounter.state));
    } else {
      update.bind_null(3);
    }
    if (encounter.state_before_discharge) {
      update.bind(4, static_cast<std::int64_t>(*encounter.state_before_discharge));
    } else {
      update.bind_null(4);
    }
    bind_optional_blob(update, 5, encounter.visit_sealed);
    bind_optional_blob(update, 6, encounter.location_sealed);
    bind_optional_blob(update, 7, encounter.attending_sealed);
    bind_optional_blob(update, 8, encounter.admitted_at_sealed);
    bind_optional_blob(update, 9, encounter.discharged_at_sealed);
    update.bind(10, encounter.event_at).bind(11, patient.value()).bind(12, change.at);
    WL_TRY(update.run());
    if (context.connection.changes() != 1) {
      return error(Code::kNotFound, "no such encounter");
    }
  }
  if (encounter.moved_to) {
    auto append = WL_TRY(context.connection.prepare(
        "INSERT INTO encounter_locations (encounter_id, seq, location_sealed, at_sealed) "
        "VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM encounter_locations "
        "WHERE encounter_id = ?1), ?2, ?3)",
        "append location"));
    WL_TRY(append.bind(1, id.value())
               .bind_blob(2, encounter.moved_to->location_sealed)
               .bind_blob(3, encounter.moved_to->at_sealed)
               .run());
  }
  return id;
}

Result<std::int64_t> write_hl7_message(WriteContext& context, const ChangePatient& change,
                                       PatientId patient) {
  const Hl7Message& message = *change.message;
  const PatientId about = message.patient_id.is_set() ? message.patient_id : patient;
  if (change.expect_attempts == 0) {
    auto insert = WL_TRY(context.connection.prepare(
        "INSERT INTO hl7_messages (org_id, control_token, seal_record, message_type, outcome, "
        "ack_code, patient_id, attempts, raw_sealed, detail_sealed, received_at, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?10, ?11)",
        "insert hl7 message"));
    insert.bind(1, change.org.value())
        .bind_blob(2, message.control_token)
        .bind_text(3, message.seal_record)
        .bind_text(4, message.message_type)
        .bind_text(5, message.outcome)
        .bind_text(6, message.ack_code)
        .bind_blob(8, message.raw_sealed)
        .bind_blob(9, message.detail_sealed)
        .bind(10, message.received_at)
        .bind(11, change.at);
    bind_optional_id(insert, 7, about);
    WL_TRY(insert.run());
    return context.connection.last_insert_id();
  }
  auto update = WL_TRY(context.connection.prepare(
      "UPDATE hl7_messages SET outcome = ?3, ack_code = ?4, patient_id = COALESCE(?5, "
      "patient_id), detail_sealed = ?6, attempts = attempts + 1, updated_at = ?7 "
      "WHERE org_id = ?1 AND control_token = ?2 RETURNING id",
      "update hl7 message"));
  update.bind(1, change.org.value())
      .bind_blob(2, message.control_token)
      .bind_text(3, message.outcome)
      .bind_text(4, message.ack_code)
      .bind_blob(6, message.detail_sealed)
      .bind(7, change.at);
  bind_optional_id(update, 5, about);
  if (!WL_TRY(update.step())) {
    return error(Code::kInternal, "store: the HL7 message to update is gone");
  }
  const std::int64_t id = update.column_int64(0);
  WL_TRY(update.run());
  return id;
}

Result<bool> put_identifier(WriteContext& context, OrgId org, const PatientIdentifier& identifier,
                            PatientId patient) {
  auto put = WL_TRY(context.connection.prepare(
      "INSERT INTO patient_identifiers (org_id, token, patient_id, value_sealed, "
      "authority_sealed, type_sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
      "ON CONFLICT (org_id, token) DO UPDATE SET value_sealed = excluded.value_sealed, "
      "authority_sealed = excluded.authority_sealed, type_sealed = excluded.type_sealed "
      "WHERE patient_identifiers.patient_id = excluded.patient_id",
      "put identifier"));
  WL_TRY(put.bind(1, org.value())
             .bind_blob(2, identifier.token)
             .bind(3, patient.value())
             .bind_blob(4, identifier.value_sealed)
             .bind_blob(5, identifier.authority_sealed)
             .bind_blob(6, identifier.type_sealed)
             .run());
  return context.connection.changes() == 1;
}

Result<std::vector<std::string>> search_tokens_of(WriteContext& context, PatientId patient) {
  auto select = WL_TRY(context.connection.prepare(
      "SELECT token FROM patient_search WHERE patient_id = ?1", "read search tokens"));
  select.bind(1, patient.value());
  std::vector<std::string> tokens;
  while (WL_TRY(select.step())) {
    tokens.push_back(select.column_bytes(0));
  }
  return tokens;
}

Result<void> remove_search_token(WriteContext& context, PatientId patient,
                                 const std::string& token) {
  auto remove = WL_TRY(context.connection.prepare(
      "DELETE FROM patient_search WHERE patient_id = ?1 AND token = ?2", "remove search token"));
  return remove.bind(1, patient.value()).bind_blob(2, token).run();
}

Result<void> add_search_token(WriteContext& context, OrgId org, PatientId patient,
                              const std::string& token) {
  auto insert = WL_TRY(context.connection.prepare(
      "INSERT OR IGNORE INTO patient_search (org_id, token, patient_id) VALUES (?1, ?2, ?3)",
      "put search token"));
  return insert.bind(1, org.value()).bind_blob(2, token).bind(3, patient.value()).run();
}

Result<std::vector<ThreadId>> threads_about(WriteContext& context, PatientId patient) {
  auto threads = WL_TRY(context.connection.prepare(
      "SELECT id FROM threads WHERE patient_id = ?1 ORDER BY id", "threads of patient"));
  threads.bind(1, patient.value());
  std::vector<ThreadId> ids;
  while (WL_TRY(threads.step())) {
    ids.emplace_back(threads.column_int64(0));
  }
  return ids;
}

Result<void> insert_thread_event(WriteContext& context, Event& event) {
  return insert_event(context, event);
}

}  // namespace detail

// ---- Patients ----

Result<PatientWritten> detail::apply(WriteContext& context, const ChangePatient& change) {
  return apply_change_patient(context, change);
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
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_PATIENT_COLUMNS
      " FROM patients WHERE org_id = ?1 AND merged_into IS NULL ORDER BY id",
      "list patients"));
  select.bind(1, org.value());
  return all_rows<Patient>(select, read_patient);
}

Result<std::optional<PatientIdentifier>> SqliteStore::find_identifier(OrgId org,
                                                                      const std::string& token) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_IDENTIFIER_COLUMNS " FROM patient_identifiers WHERE org_id = ?1 AND token = ?2",
      "find identifier"));
  select.bind(1, org.value()).bind_blob(2, token);
  if (!WL_TRY(select.step())) {
    return std::nullopt;
  }
  return read_identifier(select);
}

Result<std::vector<PatientIdentifier>> SqliteStore::list_identifiers(PatientId patient) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(
      lease.connection().prepare("SELECT " WL_IDENTIFIER_COLUMNS
                                 " FROM patient_identifiers WHERE patient_id = ?1 ORDER BY rowid",
                                 "list identifiers"));
  select.bind(1, patient.value());
  return all_rows<PatientIdentifier>(select, read_identifier);
}

Result<std::optional<Encounter>> SqliteStore::find_encounter_by_visit(OrgId org,
                                                                      const std::string& token) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_ENCOUNTER_COLUMNS " FROM encounters WHERE org_id = ?1 AND visit_token = ?2",
      "find encounter"));
  select.bind(1, org.value()).bind_blob(2, token);
  if (!WL_TRY(select.step())) {
    return std::nullopt;
  }
  return read_encounter(select);
}

Result<std::vector<Encounter>> SqliteStore::list_encounters(PatientId patient) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_ENCOUNTER_COLUMNS " FROM encounters WHERE patient_id = ?1 ORDER BY id DESC",
      "list encounters"));
  select.bind(1, patient.value());
  return all_rows<Encounter>(select, read_encounter);
}

Result<std::vector<EncounterLocation>> SqliteStore::list_locations(EncounterId encounter) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT seq, location_sealed, at_sealed FROM encounter_locations WHERE encounter_id = ?1 "
      "ORDER BY seq",
      "list locations"));
  select.bind(1, encounter.value());
  return all_rows<EncounterLocation>(select, [](const Statement& row) {
    return EncounterLocation{row.column_int64(0), row.column_bytes(1), row.column_bytes(2)};
  });
}

Result<std::vector<Patient>> SqliteStore::search_inpatients(OrgId org,
                                                            const std::vector<std::string>& tokens,
                                                            std::size_t limit) {
  auto lease = read_pool_->acquire();
  if (tokens.size() > kMaxInpatientSearchTokens) {
    return error(Code::kInvalidArgument, "store: too many search tokens");
  }
  // Each token narrows the admitted patients.
  auto select = WL_TRY(lease.connection().prepare(
      inpatient_search_sql(WL_PATIENT_COLUMNS, tokens.size(), SqlDialect::kSqlite),
      "search inpatients"));
  select.bind(1, org.value()).bind(2, clamp_limit(limit));
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    select.bind_blob(static_cast<int>(i + 3), tokens[i]);
  }
  return all_rows<Patient>(select, read_patient);
}

Result<std::optional<Hl7Message>> SqliteStore::find_hl7_message(OrgId org,
                                                                const std::string& control_token) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_HL7_COLUMNS " FROM hl7_messages WHERE org_id = ?1 AND control_token = ?2",
      "find hl7 message"));
  select.bind(1, org.value()).bind_blob(2, control_token);
  if (!WL_TRY(select.step())) {
    return std::nullopt;
  }
  return read_hl7_message(select);
}

Result<Hl7Message> SqliteStore::get_hl7_message(OrgId org, std::int64_t id) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_HL7_COLUMNS " FROM hl7_messages WHERE org_id = ?1 AND id = ?2",
      "get hl7 message"));
  select.bind(1, org.value()).bind(2, id);
  return single_row<Hl7Message>(select, read_hl7_message, "HL7 message");
}

Result<std::vector<Hl7Message>> SqliteStore::list_hl7_messages(const Hl7MessageFilter& filter) {
  auto lease = read_pool_->acquire();
  auto select = WL_TRY(lease.connection().prepare(
      "SELECT " WL_HL7_COLUMNS
      " FROM hl7_messages WHERE org_id = ?1 AND (?2 = '' OR outcome = ?2) AND "
      "(?3 = 0 OR id < ?3) ORDER BY id DESC LIMIT ?4",
      "list hl7 messages"));
  select.bind(1, filter.org.value())
      .bind_text(2, filter.outcome)
      .bind(3, filter.before_id)
      .bind(4, clamp_limit(filter.limit));
  return all_rows<Hl7Message>(select, read_hl7_message);
}

}  // namespace wl
