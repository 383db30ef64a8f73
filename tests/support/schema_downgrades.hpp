#pragma once

// SQL that turns a database of this build's SQLite schema back into an older
// version's, for the tests of upgrades (docs/storage.md, "Schema"). Run on a closed
// store, through a plain connection (foreign keys off).

#include <string_view>

namespace wl::testing {

// What version 20 changed, undone: call back and quick notes.
inline constexpr std::string_view kDropCallback =
    "DROP TABLE quick_notes; DROP TABLE user_phones; "
    "ALTER TABLE held_messages DROP COLUMN callback_sealed; "
    "ALTER TABLE events DROP COLUMN callback_sealed; ";

// What version 19 changed, undone: message search.
inline constexpr std::string_view kDropMessageSearch =
    "DROP TABLE message_search; DROP TABLE message_search_backfill; ";

// What version 18 changed, undone: the directory.
inline constexpr std::string_view kDropDirectory =
    "DROP TABLE org_screens; DROP TABLE directory_versions; "
    "ALTER TABLE users DROP COLUMN department; ";

// What version 17 changed, undone: the provider directory.
inline constexpr std::string_view kDropProviders =
    "DROP TABLE provider_invitations; DROP TABLE taxonomy_codes; DROP TABLE providers; ";

// What version 16 changed, undone: the ADT feed's tables, and the patients table as
// version 15 had it. Patient threads become groups and patients are deleted: their fields
// are sealed under this version's seal records, which version 15 did not keep.
inline constexpr std::string_view kDropAdtFeed =
    "DROP TABLE hl7_messages; DROP TABLE patient_search; DROP TABLE encounter_locations; "
    "DROP TABLE encounters; DROP TABLE patient_identifiers; DROP INDEX threads_by_patient; "
    "UPDATE threads SET kind = 2, patient_id = NULL WHERE patient_id IS NOT NULL; "
    "DELETE FROM patients; "
    "CREATE TABLE patients_v15 (id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL REFERENCES "
    "orgs (id), mrn_token BLOB NOT NULL, mrn_sealed BLOB NOT NULL, name_sealed BLOB NOT NULL, "
    "dob_sealed BLOB NOT NULL, location_sealed BLOB NOT NULL, attending_sealed BLOB NOT NULL, "
    "updated_at INTEGER NOT NULL, UNIQUE (org_id, mrn_token)); "
    "DROP TABLE patients; ALTER TABLE patients_v15 RENAME TO patients; ";

// What versions 15 to 8 changed, undone (after kDropDirectory, kDropProviders and kDropAdtFeed): hand-off notes (15); gatekeepers (14,
// with the held messages' state); forwarding (13); held messages (12); availability (11);
// escalation's tables (10); routing's tables and the threads' role column (9); the events table as
// version 7 had it (no scope, thread_id required), without the user and org events version 7 could
// not hold. Comes first in a downgrade: later steps drop its columns.
inline constexpr std::string_view kDropEventEnvelope =
    "DROP TABLE handoffs; DROP TABLE gatekeepers; DROP TABLE forwarding; DROP TABLE held_messages; "
    "DROP TABLE availability; DROP TABLE backups; DROP TABLE escalation_policies; "
    "DROP TABLE role_sign_ins; DROP TABLE shifts; DROP TABLE roles; "
    "ALTER TABLE threads DROP COLUMN role_id; ALTER TABLE users DROP COLUMN is_scheduler; "
    "DELETE FROM events WHERE scope != 1 OR kind = 13 OR kind >= 19; CREATE TABLE events_v7 (id "
    "INTEGER PRIMARY "
    "KEY, org_id "
    "INTEGER NOT NULL, "
    "thread_id INTEGER NOT NULL REFERENCES threads (id), kind INTEGER NOT NULL, "
    "actor INTEGER NOT NULL, created_at INTEGER NOT NULL, seq INTEGER, client_id TEXT, "
    "urgent INTEGER NOT NULL DEFAULT 0, body_sealed BLOB, ref INTEGER, "
    "ref_seq INTEGER NOT NULL DEFAULT 0, subject INTEGER, client_id_sealed BLOB, "
    "written_at INTEGER); "
    "INSERT INTO events_v7 SELECT id, org_id, thread_id, kind, actor, created_at, seq, "
    "client_id, urgent, body_sealed, ref, ref_seq, subject, client_id_sealed, written_at "
    "FROM events; DROP TABLE events; ALTER TABLE events_v7 RENAME TO events; "
    "CREATE INDEX events_by_thread ON events (thread_id, id); "
    "CREATE UNIQUE INDEX messages_by_seq ON events (thread_id, seq) WHERE kind = 1; "
    "CREATE UNIQUE INDEX messages_by_client_id ON events (actor, client_id) WHERE kind = 1; "
    "CREATE INDEX removals_by_subject ON events (subject, id) WHERE kind = 5; "
    "CREATE INDEX client_ids_in_clear ON events (id) "
    "WHERE kind = 1 AND client_id IS NOT NULL AND client_id_sealed IS NULL; ";

}  // namespace wl::testing
