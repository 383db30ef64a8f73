#include "adapters/sqlite/detail/schema.hpp"

#include <array>
#include <string_view>

#include <sqlite3.h>

#include "adapters/sqlite/detail/connection.hpp"

namespace wl::detail {
namespace {

// Migration n brings the schema from version n - 1 to n. Never edit a released
// migration: append a new one (docs/storage.md, "Migrations").
constexpr std::array<const char*, kSchemaVersion> kMigrations = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  instance_id TEXT NOT NULL
);
CREATE TABLE orgs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES orgs (id),
  username TEXT NOT NULL,
  display_name TEXT NOT NULL,
  title TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  is_admin INTEGER NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER,
  created_at INTEGER NOT NULL,
  UNIQUE (org_id, username)
);
CREATE TABLE devices (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id),
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX devices_by_user ON devices (user_id, id);
CREATE TABLE sessions (
  token_hash BLOB PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id),
  device_id INTEGER NOT NULL REFERENCES devices (id),
  created_at INTEGER NOT NULL,
  last_used INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX sessions_by_device ON sessions (device_id);
CREATE TABLE patients (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES orgs (id),
  mrn_token BLOB NOT NULL,
  mrn_sealed BLOB NOT NULL,
  name_sealed BLOB NOT NULL,
  dob_sealed BLOB NOT NULL,
  location_sealed BLOB NOT NULL,
  attending_sealed BLOB NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (org_id, mrn_token)
);
CREATE TABLE threads (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES orgs (id),
  kind INTEGER NOT NULL,
  title_sealed BLOB NOT NULL,
  patient_id INTEGER REFERENCES patients (id),
  unique_key TEXT UNIQUE,
  created_by INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_seq INTEGER NOT NULL DEFAULT 0,
  activity_event_id INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE members (
  thread_id INTEGER NOT NULL REFERENCES threads (id),
  user_id INTEGER NOT NULL REFERENCES users (id),
  joined_at INTEGER NOT NULL,
  read_seq INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (thread_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_by_user ON members (user_id, thread_id);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL,
  thread_id INTEGER NOT NULL REFERENCES threads (id),
  kind INTEGER NOT NULL,
  actor INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  seq INTEGER,
  client_id TEXT,
  urgent INTEGER NOT NULL DEFAULT 0,
  body_sealed BLOB,
  ref INTEGER,
  ref_seq INTEGER NOT NULL DEFAULT 0,
  subject INTEGER
);
CREATE INDEX events_by_thread ON events (thread_id, id);
CREATE UNIQUE INDEX messages_by_seq ON events (thread_id, seq) WHERE kind = 1;
CREATE UNIQUE INDEX messages_by_client_id ON events (actor, client_id) WHERE kind = 1;
CREATE INDEX removals_by_subject ON events (subject, id) WHERE kind = 5;
CREATE TABLE receipts (
  message_id INTEGER NOT NULL REFERENCES events (id),
  user_id INTEGER NOT NULL,
  delivered_at INTEGER,
  read_at INTEGER,
  PRIMARY KEY (message_id, user_id)
) WITHOUT ROWID;
CREATE TABLE data_keys (
  org_id INTEGER NOT NULL REFERENCES orgs (id),
  key_id INTEGER NOT NULL,
  wrapped BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  destroyed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, key_id)
) WITHOUT ROWID;
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  org_id INTEGER NOT NULL,
  actor INTEGER NOT NULL,
  device_id INTEGER NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL
);
CREATE TABLE audit_checkpoints (
  seq INTEGER PRIMARY KEY,
  hash BLOB NOT NULL,
  public_key BLOB NOT NULL,
  signature BLOB NOT NULL,
  at INTEGER NOT NULL
);
)sql",
    // 2: membership periods, so a user's replayed stream holds exactly the events
    // that were live-delivered to them: those of the periods they were a member.
    // Backfilled from the member events: each addition opens a period that the
    // subject's next removal from that thread closes; the first members of a
    // thread (added before anything but the creation) also get the creation event.
    R"sql(
CREATE TABLE memberships (
  user_id INTEGER NOT NULL,
  thread_id INTEGER NOT NULL REFERENCES threads (id),
  from_event INTEGER NOT NULL,
  to_event INTEGER,
  PRIMARY KEY (user_id, thread_id, from_event)
) WITHOUT ROWID;
INSERT INTO memberships (user_id, thread_id, from_event, to_event)
SELECT a.subject, a.thread_id,
  CASE WHEN NOT EXISTS (SELECT 1 FROM events x WHERE x.thread_id = a.thread_id AND x.id < a.id
                        AND x.kind NOT IN (4, 6))
       THEN (SELECT min(c.id) FROM events c WHERE c.thread_id = a.thread_id)
       ELSE a.id END,
  (SELECT min(r.id) FROM events r WHERE r.kind = 5 AND r.thread_id = a.thread_id
   AND r.subject = a.subject AND r.id > a.id)
FROM events a WHERE a.kind = 4;
)sql",
    // 3: operators, who may do what affects every org (KEK rotation).
    R"sql(
ALTER TABLE users ADD COLUMN is_operator INTEGER NOT NULL DEFAULT 0;
)sql",
    // 4: what users type besides PHI, sealed. New devices store '' in name and the
    // sealed name in name_sealed. New messages store the client id's blind token in
    // client_id (so messages_by_client_id still makes sends idempotent) and the client
    // id sealed in client_id_sealed. Rows of older versions keep their clear values,
    // with the new column NULL, until the services seal them at start; the two partial
    // indexes find those rows, and are empty once they are sealed.
    R"sql(
ALTER TABLE devices ADD COLUMN name_sealed BLOB;
ALTER TABLE events ADD COLUMN client_id_sealed BLOB;
CREATE INDEX devices_named_in_clear ON devices (id) WHERE name_sealed IS NULL;
CREATE INDEX client_ids_in_clear ON events (id)
  WHERE kind = 1 AND client_id IS NOT NULL AND client_id_sealed IS NULL;
)sql",
    // 5: when a message was written, for one written offline and sent later (microseconds
    // since the epoch; NULL: not given, as for every message of older versions). And the
    // open membership periods by thread: an event's recipients are the users with one
    // (a direct thread reaches its other member with its first message), looked up at
    // every write.
    R"sql(
ALTER TABLE events ADD COLUMN written_at INTEGER;
CREATE INDEX open_memberships_by_thread ON memberships (thread_id, user_id)
  WHERE to_event IS NULL;
)sql",
    // 6: sessions lock after the org's idle time instead of ending, and unlock with the
    // user's PIN or password (docs/security.md, "Automatic logoff").
    R"sql(
ALTER TABLE orgs ADD COLUMN idle_lock_seconds INTEGER NOT NULL DEFAULT 1800;
ALTER TABLE users ADD COLUMN pin_hash TEXT;
ALTER TABLE sessions ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN pin_failures INTEGER NOT NULL DEFAULT 0;
)sql",
    // 7: durable timers (docs/architecture.md, "Timers"). claimed_until is the end of
    // the current claim's lease (NULL: never claimed); `attempt` counts claims. The
    // sessions by expiry, for the purge of expired ones (a timer). And a delivery's
    // `subject` is its message's sender, who alone (with the recipient) is sent it.
    R"sql(
CREATE TABLE timers (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  org_id INTEGER,
  due_at INTEGER NOT NULL,
  payload BLOB NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  claimed_until INTEGER,
  UNIQUE (kind, key)
);
CREATE INDEX timers_by_due ON timers (due_at);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
UPDATE events SET subject = (SELECT m.actor FROM events m WHERE m.id = events.ref)
  WHERE kind = 2 AND subject IS NULL;
)sql",
    // 8: events with an envelope scope (docs/architecture.md, "Event envelope"): thread
    // events keep thread_id; user events (scope 2) name their user in user_id; org
    // events (scope 3) only their org. thread_id becomes nullable, which SQLite can
    // only do by rebuilding the table (migrate() turns foreign keys off around it and
    // checks them before committing). Every event keeps its id.
    R"sql(
CREATE TABLE events_v8 (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL,
  scope INTEGER NOT NULL DEFAULT 1,
  thread_id INTEGER REFERENCES threads (id),
  user_id INTEGER REFERENCES users (id),
  kind INTEGER NOT NULL,
  actor INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  seq INTEGER,
  client_id TEXT,
  urgent INTEGER NOT NULL DEFAULT 0,
  body_sealed BLOB,
  ref INTEGER,
  ref_seq INTEGER NOT NULL DEFAULT 0,
  subject INTEGER,
  client_id_sealed BLOB,
  written_at INTEGER,
  CHECK ((scope = 1 AND thread_id IS NOT NULL AND user_id IS NULL)
      OR (scope = 2 AND thread_id IS NULL AND user_id IS NOT NULL)
      OR (scope = 3 AND thread_id IS NULL AND user_id IS NULL))
);
INSERT INTO events_v8 (id, org_id, scope, thread_id, user_id, kind, actor, created_at, seq,
                       client_id, urgent, body_sealed, ref, ref_seq, subject, client_id_sealed,
                       written_at)
  SELECT id, org_id, 1, thread_id, NULL, kind, actor, created_at, seq, client_id, urgent,
         body_sealed, ref, ref_seq, subject, client_id_sealed, written_at FROM events;
DROP TABLE events;
ALTER TABLE events_v8 RENAME TO events;
CREATE INDEX events_by_thread ON events (thread_id, id);
CREATE UNIQUE INDEX messages_by_seq ON events (thread_id, seq) WHERE kind = 1;
CREATE UNIQUE INDEX messages_by_client_id ON events (actor, client_id) WHERE kind = 1;
CREATE INDEX removals_by_subject ON events (subject, id) WHERE kind = 5;
CREATE INDEX client_ids_in_clear ON events (id)
  WHERE kind = 1 AND client_id IS NOT NULL AND client_id_sealed IS NULL;
CREATE INDEX user_events ON events (user_id, id) WHERE scope = 2;
CREATE INDEX org_events ON events (org_id, id) WHERE scope = 3;
)sql",
    // 9: clinical routing (docs/routing.md): roles, their shifts and sign-ins; role
    // threads; the role and reason routing events carry. name_key is the role's name
    // with ASCII letters lowered, unique per org. A shift lasts at most 7 days, so a
    // holder lookup reads only the shifts that started in the 7 days before.
    // threads.role_id has no REFERENCES: SQLite could not drop such a column again.
    R"sql(
CREATE TABLE roles (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES orgs (id),
  kind INTEGER NOT NULL,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  fallback_role INTEGER REFERENCES roles (id),
  fallback_user INTEGER REFERENCES users (id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX roles_by_name ON roles (org_id, name_key);
CREATE TABLE shifts (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES orgs (id),
  role_id INTEGER NOT NULL REFERENCES roles (id),
  user_id INTEGER NOT NULL REFERENCES users (id),
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  time_zone TEXT NOT NULL,
  source_key TEXT,
  updated_by INTEGER,
  updated_at INTEGER NOT NULL,
  CHECK (ends_at > starts_at)
);
CREATE UNIQUE INDEX shifts_by_source ON shifts (org_id, source_key) WHERE source_key IS NOT NULL;
CREATE INDEX shifts_by_role ON shifts (role_id, starts_at);
CREATE INDEX shifts_by_org ON shifts (org_id, starts_at);
CREATE INDEX shifts_by_user ON shifts (user_id, starts_at);
CREATE TABLE role_sign_ins (
  role_id INTEGER NOT NULL REFERENCES roles (id),
  user_id INTEGER NOT NULL REFERENCES users (id),
  org_id INTEGER NOT NULL REFERENCES orgs (id),
  since INTEGER NOT NULL,
  PRIMARY KEY (role_id, user_id)
);
CREATE INDEX sign_ins_by_user ON role_sign_ins (user_id, role_id);
ALTER TABLE threads ADD COLUMN role_id INTEGER;
ALTER TABLE users ADD COLUMN is_scheduler INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN role_id INTEGER;
ALTER TABLE events ADD COLUMN reason TEXT;
CREATE INDEX routed_by_thread ON events (thread_id, ref_seq) WHERE kind = 13;
)sql",
    // 10: escalation (docs/routing.md, "Escalation"): each person's backup chain, in
    // order, and each org's policy (seconds; 0: never). An org without a row has the
    // defaults.
    R"sql(
CREATE TABLE backups (
  user_id INTEGER NOT NULL REFERENCES users (id),
  position INTEGER NOT NULL,
  backup_user INTEGER REFERENCES users (id),
  backup_role INTEGER REFERENCES roles (id),
  PRIMARY KEY (user_id, position),
  CHECK ((backup_user IS NULL) != (backup_role IS NULL))
);
CREATE TABLE escalation_policies (
  org_id INTEGER PRIMARY KEY REFERENCES orgs (id),
  normal_after INTEGER NOT NULL,
  urgent_after INTEGER NOT NULL,
  realert_every INTEGER NOT NULL,
  updated_by INTEGER REFERENCES users (id),
  updated_at INTEGER NOT NULL
);
)sql",
    // 11: availability (docs/routing.md, "Availability"): each person's periods; ends_at
    // NULL until a later period replaces it.
    R"sql(
CREATE TABLE availability (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES orgs (id),
  user_id INTEGER NOT NULL REFERENCES users (id),
  status INTEGER NOT NULL,
  starts_at INTEGER NOT NULL,
  ends_at INTEGER,
  set_by INTEGER REFERENCES users (id),
  set_at INTEGER NOT NULL,
  CHECK (ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX availability_by_user ON availability (user_id, starts_at);
)sql",
    // 12: held messages (docs/routing.md, "Off duty: held messages"): a message to an
    // off-duty person, sealed as its send would have appended it, until it is released.
    // client_token and the sealed columns are as in events; remind_after in seconds.
    R"sql(
CREATE TABLE held_messages (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES orgs (id),
  thread_id INTEGER NOT NULL REFERENCES threads (id),
  sender INTEGER NOT NULL REFERENCES users (id),
  recipient INTEGER NOT NULL REFERENCES users (id),
  client_token TEXT NOT NULL,
  client_id_sealed BLOB NOT NULL,
  urgent INTEGER NOT NULL,
  body_sealed BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  written_at INTEGER,
  held_at INTEGER NOT NULL,
  until INTEGER,
  remind_after INTEGER
);
CREATE UNIQUE INDEX held_by_token ON held_messages (sender, client_token);
CREATE INDEX held_by_recipient ON held_messages (recipient, id);
CREATE INDEX held_by_thread ON held_messages (thread_id, sender, id);
)sql",
    // 13: forwarding (docs/routing.md, "Forwarding"): at most one per person, to a
    // colleague or a role; ends_at NULL until cleared.
    R"sql(
CREATE TABLE forwarding (
  user_id INTEGER PRIMARY KEY REFERENCES users (id),
  org_id INTEGER NOT NULL REFERENCES orgs (id),
  to_user INTEGER REFERENCES users (id),
  to_role INTEGER REFERENCES roles (id),
  starts_at INTEGER NOT NULL,
  ends_at INTEGER,
  set_by INTEGER REFERENCES users (id),
  set_at INTEGER NOT NULL,
  CHECK ((to_user IS NULL) != (to_role IS NULL)),
  CHECK (ends_at IS NULL OR ends_at > starts_at)
);
)sql",
    // 14: gatekeepers (docs/routing.md, "Gatekeepers"): whom each person names to screen
    // their messages, in order; and why a held message waits (HeldState: 1 off duty,
    // 2 in screening, 3 kept by a gatekeeper) with the gatekeeper who decided.
    R"sql(
CREATE TABLE gatekeepers (
  user_id INTEGER NOT NULL REFERENCES users (id),
  position INTEGER NOT NULL,
  gatekeeper_id INTEGER NOT NULL REFERENCES users (id),
  PRIMARY KEY (user_id, position),
  UNIQUE (user_id, gatekeeper_id)
);
CREATE INDEX gatekeepers_by_gatekeeper ON gatekeepers (gatekeeper_id, user_id);
ALTER TABLE held_messages ADD COLUMN state INTEGER NOT NULL DEFAULT 1;
ALTER TABLE held_messages ADD COLUMN screened_by INTEGER REFERENCES users (id);
)sql",
    // 15: hand-off notes (docs/routing.md, "Hand-off notes"): a message of a role thread
    // from the role's outgoing holder to the incoming one, keyed by the message's event
    // id; accepted_at NULL until they accept it.
    R"sql(
CREATE TABLE handoffs (
  message_id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES orgs (id),
  role_id INTEGER NOT NULL REFERENCES roles (id),
  thread_id INTEGER NOT NULL REFERENCES threads (id),
  message_seq INTEGER NOT NULL,
  from_user INTEGER NOT NULL REFERENCES users (id),
  to_user INTEGER NOT NULL REFERENCES users (id),
  created_at INTEGER NOT NULL,
  accepted_at INTEGER
);
CREATE INDEX handoffs_pending ON handoffs (to_user, message_id) WHERE accepted_at IS NULL;
)sql",
    // 16: the ADT feed (docs/patients.md): a patient's fields are sealed under its
    // seal_record (rows before this version: "mrn:<hex token>", as they were sealed),
    // merged patients point at the survivor, event_at (microseconds) orders the feed;
    // identifiers, encounters with their location history, search tokens, and every HL7
    // message received with its outcome.
    R"sql(
ALTER TABLE patients ADD COLUMN seal_record TEXT NOT NULL DEFAULT '';
UPDATE patients SET seal_record = 'mrn:' || lower(hex(mrn_token));
ALTER TABLE patients ADD COLUMN sex_sealed BLOB NOT NULL DEFAULT x'';
ALTER TABLE patients ADD COLUMN merged_into INTEGER REFERENCES patients (id);
ALTER TABLE patients ADD COLUMN event_at INTEGER;
ALTER TABLE patients ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE TABLE patient_identifiers (
  org_id INTEGER NOT NULL REFERENCES orgs (id),
  token BLOB NOT NULL,
  patient_id INTEGER NOT NULL REFERENCES patients (id),
  value_sealed BLOB NOT NULL,
  authority_sealed BLOB NOT NULL,
  type_sealed BLOB NOT NULL,
  PRIMARY KEY (org_id, token)
);
CREATE INDEX patient_identifiers_by_patient ON patient_identifiers (patient_id);
INSERT INTO patient_identifiers (org_id, token, patient_id, value_sealed, authority_sealed,
                                 type_sealed)
  SELECT org_id, mrn_token, id, mrn_sealed, x'', x'' FROM patients;
CREATE TABLE encounters (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES orgs (id),
  patient_id INTEGER NOT NULL REFERENCES patients (id),
  seal_record TEXT NOT NULL,
  visit_token BLOB,
  state INTEGER NOT NULL,
  state_before_discharge INTEGER NOT NULL,
  visit_sealed BLOB NOT NULL,
  location_sealed BLOB NOT NULL,
  attending_sealed BLOB NOT NULL,
  admitted_at_sealed BLOB NOT NULL,
  discharged_at_sealed BLOB NOT NULL,
  event_at INTEGER,
  version INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX encounters_by_visit ON encounters (org_id, visit_token)
  WHERE visit_token IS NOT NULL;
CREATE INDEX encounters_by_patient ON encounters (patient_id, id);
CREATE INDEX encounters_admitted ON encounters (org_id, patient_id) WHERE state = 2;
CREATE TABLE encounter_locations (
  encounter_id INTEGER NOT NULL REFERENCES encounters (id),
  seq INTEGER NOT NULL,
  location_sealed BLOB NOT NULL,
  at_sealed BLOB NOT NULL,
  PRIMARY KEY (encounter_id, seq)
) WITHOUT ROWID;
CREATE TABLE patient_search (
  org_id INTEGER NOT NULL,
  token BLOB NOT NULL,
  patient_id INTEGER NOT NULL REFERENCES patients (id),
  PRIMARY KEY (org_id, token, patient_id)
) WITHOUT ROWID;
CREATE INDEX patient_search_by_patient ON patient_search (patient_id);
CREATE INDEX threads_by_patient ON threads (patient_id) WHERE patient_id IS NOT NULL;
CREATE TABLE hl7_messages (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES orgs (id),
  control_token BLOB NOT NULL,
  seal_record TEXT NOT NULL,
  message_type TEXT NOT NULL,
  outcome TEXT NOT NULL,
  ack_code TEXT NOT NULL,
  patient_id INTEGER REFERENCES patients (id),
  attempts INTEGER NOT NULL,
  raw_sealed BLOB NOT NULL,
  detail_sealed BLOB NOT NULL,
  received_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (org_id, control_token)
);
CREATE INDEX hl7_messages_by_outcome ON hl7_messages (org_id, outcome, id);
)sql",
    // 17: the provider directory (docs/npi.md): NPPES providers keyed by NPI (public
    // registry data, in the clear), with indexes for the searches (folded name prefix;
    // state and city; primary taxonomy), each over active providers only; the NUCC
    // taxonomy codes; and invitations of providers to threads, keyed by the id of the
    // thread event that announced them (state 1: pending).
    R"sql(
CREATE TABLE providers (
  npi INTEGER PRIMARY KEY,
  entity INTEGER NOT NULL,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL,
  credential TEXT NOT NULL,
  taxonomy TEXT NOT NULL,
  city TEXT NOT NULL,
  city_key TEXT NOT NULL,
  state TEXT NOT NULL,
  postal_code TEXT NOT NULL,
  phone TEXT NOT NULL,
  deactivated INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
CREATE INDEX providers_by_name ON providers (name_key, npi) WHERE deactivated = 0;
CREATE INDEX providers_by_place ON providers (state, city_key, name_key) WHERE deactivated = 0;
CREATE INDEX providers_by_taxonomy ON providers (taxonomy, name_key) WHERE deactivated = 0;
CREATE TABLE taxonomy_codes (
  code TEXT PRIMARY KEY,
  grouping_name TEXT NOT NULL,
  classification TEXT NOT NULL,
  specialization TEXT NOT NULL,
  display_name TEXT NOT NULL,
  section TEXT NOT NULL,
  name_key TEXT NOT NULL
);
CREATE TABLE provider_invitations (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES orgs (id),
  thread_id INTEGER NOT NULL REFERENCES threads (id),
  npi INTEGER NOT NULL REFERENCES providers (npi),
  invited_by INTEGER NOT NULL REFERENCES users (id),
  created_at INTEGER NOT NULL,
  state INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX provider_invitations_pending ON provider_invitations (thread_id, npi)
  WHERE state = 1;
)sql",
    // 18: the directory (docs/directory.md): each user's department; each org's screen,
    // as the directory service's JSON text with a version that counts its saves; and
    // each org's directory version, which goes up with every user or role change (the
    // events that announce them), so that every node's directory cache sees another
    // node's changes.
    R"sql(
ALTER TABLE users ADD COLUMN department TEXT NOT NULL DEFAULT '';
CREATE TABLE org_screens (
  org_id INTEGER PRIMARY KEY REFERENCES orgs (id),
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  updated_by INTEGER REFERENCES users (id),
  updated_at INTEGER NOT NULL
);
CREATE TABLE directory_versions (
  org_id INTEGER PRIMARY KEY REFERENCES orgs (id),
  version INTEGER NOT NULL
);
)sql",
    // 19: message search (docs/search.md): one row per distinct word of a message, as
    // the 16-byte blind token of the word, keyed so that a user's threads are looked up
    // one range each. And where the index backfill of messages sent before this version
    // stands: every message with id >= below_event is indexed (new databases and every
    // message sent from now on); the backfill lowers it, newest messages first.
    R"sql(
CREATE TABLE message_search (
  token BLOB NOT NULL,
  thread_id INTEGER NOT NULL REFERENCES threads (id),
  message_id INTEGER NOT NULL,
  PRIMARY KEY (token, thread_id, message_id)
) WITHOUT ROWID;
CREATE TABLE message_search_backfill (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  below_event INTEGER NOT NULL
);
INSERT INTO message_search_backfill (id, below_event)
  SELECT 1, coalesce(max(id), 0) + 1 FROM events WHERE kind = 1;
)sql",
    // 20: call back and quick notes (docs/callback.md, docs/quick_notes.md): a message's
    // call-back number, sealed (NULL: none), on sent and held messages; users' numbers,
    // one per kind, sealed; quick notes, org-wide (owner_id NULL) or personal, with the
    // title and text sealed.
    R"sql(
ALTER TABLE events ADD COLUMN callback_sealed BLOB;
ALTER TABLE held_messages ADD COLUMN callback_sealed BLOB;
CREATE TABLE user_phones (
  user_id INTEGER NOT NULL REFERENCES users (id),
  kind INTEGER NOT NULL,
  number_sealed BLOB NOT NULL,
  visibility INTEGER NOT NULL,
  preferred INTEGER NOT NULL,
  PRIMARY KEY (user_id, kind)
) WITHOUT ROWID;
CREATE TABLE quick_notes (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES orgs (id),
  owner_id INTEGER REFERENCES users (id),
  title_sealed BLOB NOT NULL,
  text_sealed BLOB NOT NULL,
  created_by INTEGER REFERENCES users (id),
  created_at INTEGER NOT NULL,
  updated_by INTEGER REFERENCES users (id),
  updated_at INTEGER NOT NULL
);
CREATE INDEX quick_notes_by_owner ON quick_notes (org_id, owner_id, id);
)sql",
    // 21: provider searches by a name or a taxonomy within a state read an index in
    // their order (docs/npi.md, "Search"), instead of a name's or a code's whole range.
    R"sql(
CREATE INDEX IF NOT EXISTS providers_by_state_name ON providers (state, name_key, npi)
  WHERE deactivated = 0;
CREATE INDEX IF NOT EXISTS providers_by_taxonomy_state
  ON providers (taxonomy, state, name_key, npi) WHERE deactivated = 0;
)sql",
};

}  // namespace

std::string new_instance_id() {
  std::array<unsigned char, 16> bytes{};
  sqlite3_randomness(static_cast<int>(bytes.size()), bytes.data());
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string id;
  id.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) {
    id.push_back(kHex[byte >> 4]);
    id.push_back(kHex[byte & 0x0f]);
  }
  return id;
}

namespace {

Result<void> apply_migrations(Connection& connection, int from_version) {
  for (int version = from_version + 1; version <= kSchemaVersion; ++version) {
    WL_TRY(
        connection.execute(kMigrations[static_cast<std::size_t>(version - 1)], "migrate schema"));
  }
  if (from_version == 0) {
    auto insert = WL_TRY(
        connection.prepare("INSERT INTO meta (id, instance_id) VALUES (1, ?1)", "create meta"));
    WL_TRY(insert.bind_text(1, new_instance_id()).run());
  }
  // PRAGMA takes no parameters; the version is a compile-time integer.
  const std::string set_version = "PRAGMA user_version = " + std::to_string(kSchemaVersion);
  WL_TRY(connection.execute(set_version.c_str(), "set schema version"));
  return ok();
}

}  // namespace

Result<void> migrate(Connection& connection) {
  // A migration may rebuild a table that others reference (SQLite's way to change a
  // column), which needs foreign keys off; they are checked before the commit
  // instead. The pragma is a no-op inside a transaction, hence out here.
  WL_TRY(connection.execute("PRAGMA foreign_keys = OFF", "begin migration"));
  WL_TRY(connection.execute("BEGIN IMMEDIATE", "begin migration"));
  auto result = [&]() -> Result<void> {
    const int version = WL_TRY(read_schema_version(connection));
    if (version > kSchemaVersion) {
      return error(Code::kFailedPrecondition,
                   "store: the database was written by a newer Wardline (schema version " +
                       std::to_string(version) + ")");
    }
    if (version < kSchemaVersion) {
      WL_TRY(apply_migrations(connection, version));
      auto check = WL_TRY(connection.prepare("PRAGMA foreign_key_check", "check migration"));
      if (WL_TRY(check.step())) {
        return error(Code::kDataLoss, "store: a migration left a dangling reference in table " +
                                          check.column_bytes(0));
      }
    }
    return ok();
  }();
  if (!result) {
    (void)connection.execute("ROLLBACK", "roll back migration");
    (void)connection.execute("PRAGMA foreign_keys = ON", "end migration");
    return result;
  }
  WL_TRY(connection.execute("COMMIT", "commit migration"));
  WL_TRY(connection.execute("PRAGMA foreign_keys = ON", "end migration"));
  return ok();
}

Result<int> read_schema_version(Connection& connection) {
  auto statement = WL_TRY(connection.prepare("PRAGMA user_version", "read schema version"));
  if (!WL_TRY(statement.step())) {
    return error(Code::kInternal, "store: schema version missing");
  }
  return static_cast<int>(statement.column_int64(0));
}

Result<std::string> read_instance_id(Connection& connection) {
  auto statement =
      WL_TRY(connection.prepare("SELECT instance_id FROM meta WHERE id = 1", "read instance id"));
  if (!WL_TRY(statement.step())) {
    return error(Code::kDataLoss, "store: instance id missing");
  }
  return statement.column_bytes(0);
}

}  // namespace wl::detail
