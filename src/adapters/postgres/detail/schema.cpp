#include "adapters/postgres/detail/schema.hpp"

#include <array>
#include <random>
#include <string_view>

#include "adapters/postgres/detail/connection.hpp"

namespace wl::detail::pg {
namespace {

// The advisory lock that serialises migrations of one database ("wardline" in ASCII).
constexpr std::int64_t kMigrationLock = 0x77617264'6c696e65;

// Migration n brings the schema from version n - 1 to n. Never edit a released
// migration: append a new one (docs/storage.md, "PostgreSQL").
constexpr std::array<const char*, kPostgresSchemaVersion> kMigrations = {
    // 1: the initial schema: SQLite's version 8 without the columns that held values in
    // clear, plus each event's writing transaction (its stream position), each thread's
    // last writing transaction, and the audit chain's head row (locked by every append).
    R"sql(
CREATE TABLE meta (
  id bigint PRIMARY KEY CHECK (id = 1),
  instance_id text NOT NULL
);
CREATE TABLE orgs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  created_at bigint NOT NULL,
  idle_lock_seconds bigint NOT NULL DEFAULT 1800
);
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id bigint NOT NULL REFERENCES orgs (id),
  username text NOT NULL,
  display_name text NOT NULL,
  title text NOT NULL,
  password_hash text NOT NULL,
  is_admin boolean NOT NULL,
  disabled boolean NOT NULL DEFAULT false,
  failed_logins bigint NOT NULL DEFAULT 0,
  locked_until bigint,
  created_at bigint NOT NULL,
  is_operator boolean NOT NULL DEFAULT false,
  pin_hash text,
  UNIQUE (org_id, username)
);
CREATE TABLE devices (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  name_sealed bytea NOT NULL,
  created_at bigint NOT NULL,
  last_seen bigint NOT NULL,
  revoked_at bigint
);
CREATE INDEX devices_by_user ON devices (user_id, id);
CREATE TABLE sessions (
  token_hash bytea PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  device_id bigint NOT NULL REFERENCES devices (id),
  created_at bigint NOT NULL,
  last_used bigint NOT NULL,
  expires_at bigint NOT NULL,
  revoked boolean NOT NULL DEFAULT false,
  locked boolean NOT NULL DEFAULT false,
  pin_failures bigint NOT NULL DEFAULT 0
);
CREATE INDEX sessions_by_device ON sessions (device_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE TABLE patients (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id bigint NOT NULL REFERENCES orgs (id),
  mrn_token bytea NOT NULL,
  mrn_sealed bytea NOT NULL,
  name_sealed bytea NOT NULL,
  dob_sealed bytea NOT NULL,
  location_sealed bytea NOT NULL,
  attending_sealed bytea NOT NULL,
  updated_at bigint NOT NULL,
  UNIQUE (org_id, mrn_token)
);
CREATE TABLE threads (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id bigint NOT NULL REFERENCES orgs (id),
  kind bigint NOT NULL,
  title_sealed bytea NOT NULL,
  patient_id bigint REFERENCES patients (id),
  unique_key text UNIQUE,
  created_by bigint NOT NULL,
  created_at bigint NOT NULL,
  last_seq bigint NOT NULL DEFAULT 0,
  activity_event_id bigint NOT NULL DEFAULT 0,
  last_xact bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint)
);
CREATE TABLE members (
  thread_id bigint NOT NULL REFERENCES threads (id),
  user_id bigint NOT NULL REFERENCES users (id),
  joined_at bigint NOT NULL,
  read_seq bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (thread_id, user_id)
);
CREATE INDEX members_by_user ON members (user_id, thread_id);
CREATE TABLE memberships (
  user_id bigint NOT NULL,
  thread_id bigint NOT NULL REFERENCES threads (id),
  from_event bigint NOT NULL,
  to_event bigint,
  PRIMARY KEY (user_id, thread_id, from_event)
);
CREATE INDEX open_memberships_by_thread ON memberships (thread_id, user_id)
  WHERE to_event IS NULL;
CREATE TABLE events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  xact bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
  org_id bigint NOT NULL,
  scope bigint NOT NULL DEFAULT 1,
  thread_id bigint REFERENCES threads (id),
  user_id bigint REFERENCES users (id),
  kind bigint NOT NULL,
  actor bigint NOT NULL,
  created_at bigint NOT NULL,
  seq bigint,
  client_token bytea,
  client_id_sealed bytea,
  urgent boolean NOT NULL DEFAULT false,
  body_sealed bytea,
  written_at bigint,
  ref bigint,
  ref_seq bigint NOT NULL DEFAULT 0,
  subject bigint,
  CHECK ((scope = 1 AND thread_id IS NOT NULL AND user_id IS NULL)
      OR (scope = 2 AND thread_id IS NULL AND user_id IS NOT NULL)
      OR (scope = 3 AND thread_id IS NULL AND user_id IS NULL))
);
CREATE INDEX events_by_thread ON events (thread_id, id);
CREATE INDEX events_by_position ON events (xact, id);
CREATE UNIQUE INDEX messages_by_seq ON events (thread_id, seq) WHERE kind = 1;
CREATE UNIQUE INDEX messages_by_client_token ON events (actor, client_token) WHERE kind = 1;
CREATE INDEX removals_by_subject ON events (subject, thread_id) WHERE kind = 5;
CREATE INDEX user_events ON events (user_id, xact, id) WHERE scope = 2;
CREATE INDEX org_events ON events (org_id, xact, id) WHERE scope = 3;
CREATE TABLE receipts (
  message_id bigint NOT NULL REFERENCES events (id),
  user_id bigint NOT NULL,
  delivered_at bigint,
  read_at bigint,
  PRIMARY KEY (message_id, user_id)
);
CREATE TABLE data_keys (
  org_id bigint NOT NULL REFERENCES orgs (id),
  key_id bigint NOT NULL,
  wrapped bytea NOT NULL,
  created_at bigint NOT NULL,
  destroyed boolean NOT NULL DEFAULT false,
  PRIMARY KEY (org_id, key_id)
);
CREATE TABLE audit (
  seq bigint PRIMARY KEY,
  at bigint NOT NULL,
  org_id bigint NOT NULL,
  actor bigint NOT NULL,
  device_id bigint NOT NULL,
  action text NOT NULL,
  target text NOT NULL,
  outcome text NOT NULL,
  detail text NOT NULL,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL
);
CREATE TABLE audit_head (
  id bigint PRIMARY KEY CHECK (id = 1),
  seq bigint NOT NULL,
  hash bytea NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));
CREATE TABLE audit_checkpoints (
  seq bigint PRIMARY KEY,
  hash bytea NOT NULL,
  public_key bytea NOT NULL,
  signature bytea NOT NULL,
  at bigint NOT NULL
);
CREATE TABLE timers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL,
  key text NOT NULL,
  org_id bigint,
  due_at bigint NOT NULL,
  payload bytea NOT NULL,
  attempt bigint NOT NULL DEFAULT 0,
  claimed_until bigint,
  UNIQUE (kind, key)
);
CREATE INDEX timers_by_due ON timers (due_at);
)sql",
    // 2: one audit chain per writing store (docs/audit_chain.md, "Chains"): entries and
    // checkpoints name their chain, audit_head holds a row per chain, and a checkpoint
    // records how many chains had entries when it was signed. What was written before
    // is chain 1.
    R"sql(
ALTER TABLE audit ADD COLUMN chain bigint NOT NULL DEFAULT 1;
ALTER TABLE audit DROP CONSTRAINT audit_pkey;
ALTER TABLE audit ADD PRIMARY KEY (chain, seq);
ALTER TABLE audit_head DROP CONSTRAINT audit_head_id_check;
ALTER TABLE audit_head ADD CHECK (id > 0);
ALTER TABLE audit_checkpoints ADD COLUMN chain bigint NOT NULL DEFAULT 1;
ALTER TABLE audit_checkpoints ADD COLUMN chains bigint NOT NULL DEFAULT 1;
ALTER TABLE audit_checkpoints DROP CONSTRAINT audit_checkpoints_pkey;
ALTER TABLE audit_checkpoints ADD PRIMARY KEY (chain, seq);
)sql",
    // 3: clinical routing (docs/routing.md), as SQLite's version 9: roles, their shifts
    // and sign-ins; role threads; the role and reason routing events carry.
    R"sql(
CREATE TABLE roles (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id bigint NOT NULL REFERENCES orgs (id),
  kind bigint NOT NULL,
  name text NOT NULL,
  name_key text NOT NULL,
  description text NOT NULL DEFAULT '',
  fallback_role bigint REFERENCES roles (id),
  fallback_user bigint REFERENCES users (id),
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE UNIQUE INDEX roles_by_name ON roles (org_id, name_key);
CREATE TABLE shifts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id bigint NOT NULL REFERENCES orgs (id),
  role_id bigint NOT NULL REFERENCES roles (id),
  user_id bigint NOT NULL REFERENCES users (id),
  starts_at bigint NOT NULL,
  ends_at bigint NOT NULL,
  time_zone text NOT NULL,
  source_key text,
  updated_by bigint,
  updated_at bigint NOT NULL,
  CHECK (ends_at > starts_at)
);
CREATE UNIQUE INDEX shifts_by_source ON shifts (org_id, source_key) WHERE source_key IS NOT NULL;
CREATE INDEX shifts_by_role ON shifts (role_id, starts_at);
CREATE INDEX shifts_by_org ON shifts (org_id, starts_at);
CREATE INDEX shifts_by_user ON shifts (user_id, starts_at);
CREATE TABLE role_sign_ins (
  role_id bigint NOT NULL REFERENCES roles (id),
  user_id bigint NOT NULL REFERENCES users (id),
  org_id bigint NOT NULL REFERENCES orgs (id),
  since bigint NOT NULL,
  PRIMARY KEY (role_id, user_id)
);
CREATE INDEX sign_ins_by_user ON role_sign_ins (user_id, role_id);
ALTER TABLE threads ADD COLUMN role_id bigint REFERENCES roles (id);
ALTER TABLE users ADD COLUMN is_scheduler boolean NOT NULL DEFAULT false;
ALTER TABLE events ADD COLUMN role_id bigint;
ALTER TABLE events ADD COLUMN reason text;
CREATE INDEX routed_by_thread ON events (thread_id, ref_seq) WHERE kind = 13;
)sql",
    // 4: escalation (docs/routing.md, "Escalation"): backup chains and org policies
    // (seconds; 0: never).
    R"sql(
CREATE TABLE backups (
  user_id bigint NOT NULL REFERENCES users (id),
  position bigint NOT NULL,
  backup_user bigint REFERENCES users (id),
  backup_role bigint REFERENCES roles (id),
  PRIMARY KEY (user_id, position),
  CHECK ((backup_user IS NULL) <> (backup_role IS NULL))
);
CREATE TABLE escalation_policies (
  org_id bigint PRIMARY KEY REFERENCES orgs (id),
  normal_after bigint NOT NULL,
  urgent_after bigint NOT NULL,
  realert_every bigint NOT NULL,
  updated_by bigint REFERENCES users (id),
  updated_at bigint NOT NULL
);
)sql",
    // 5: availability (docs/routing.md, "Availability").
    R"sql(
CREATE TABLE availability (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id bigint NOT NULL REFERENCES orgs (id),
  user_id bigint NOT NULL REFERENCES users (id),
  status bigint NOT NULL,
  starts_at bigint NOT NULL,
  ends_at bigint,
  set_by bigint REFERENCES users (id),
  set_at bigint NOT NULL,
  CHECK (ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX availability_by_user ON availability (user_id, starts_at);
)sql",
    // 6: held messages (docs/routing.md, "Off duty: held messages"), as SQLite's 12.
    R"sql(
CREATE TABLE held_messages (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id bigint NOT NULL REFERENCES orgs (id),
  thread_id bigint NOT NULL REFERENCES threads (id),
  sender bigint NOT NULL REFERENCES users (id),
  recipient bigint NOT NULL REFERENCES users (id),
  client_token bytea NOT NULL,
  client_id_sealed bytea NOT NULL,
  urgent boolean NOT NULL,
  body_sealed bytea NOT NULL,
  created_at bigint NOT NULL,
  written_at bigint,
  held_at bigint NOT NULL,
  until bigint,
  remind_after bigint
);
CREATE UNIQUE INDEX held_by_token ON held_messages (sender, client_token);
CREATE INDEX held_by_recipient ON held_messages (recipient, id);
CREATE INDEX held_by_thread ON held_messages (thread_id, sender, id);
)sql",
    // 7: forwarding (docs/routing.md, "Forwarding"), as SQLite's 13.
    R"sql(
CREATE TABLE forwarding (
  user_id bigint PRIMARY KEY REFERENCES users (id),
  org_id bigint NOT NULL REFERENCES orgs (id),
  to_user bigint REFERENCES users (id),
  to_role bigint REFERENCES roles (id),
  starts_at bigint NOT NULL,
  ends_at bigint,
  set_by bigint REFERENCES users (id),
  set_at bigint NOT NULL,
  CHECK ((to_user IS NULL) != (to_role IS NULL)),
  CHECK (ends_at IS NULL OR ends_at > starts_at)
);
)sql",
    // 8: gatekeepers (docs/routing.md, "Gatekeepers") and held messages' state, as
    // SQLite's 14.
    R"sql(
CREATE TABLE gatekeepers (
  user_id bigint NOT NULL REFERENCES users (id),
  position bigint NOT NULL,
  gatekeeper_id bigint NOT NULL REFERENCES users (id),
  PRIMARY KEY (user_id, position),
  UNIQUE (user_id, gatekeeper_id)
);
CREATE INDEX gatekeepers_by_gatekeeper ON gatekeepers (gatekeeper_id, user_id);
ALTER TABLE held_messages ADD COLUMN state bigint NOT NULL DEFAULT 1;
ALTER TABLE held_messages ADD COLUMN screened_by bigint REFERENCES users (id);
)sql",
    // 9: hand-off notes (docs/routing.md, "Hand-off notes"), as SQLite's 15.
    R"sql(
CREATE TABLE handoffs (
  message_id bigint PRIMARY KEY,
  org_id bigint NOT NULL REFERENCES orgs (id),
  role_id bigint NOT NULL REFERENCES roles (id),
  thread_id bigint NOT NULL REFERENCES threads (id),
  message_seq bigint NOT NULL,
  from_user bigint NOT NULL REFERENCES users (id),
  to_user bigint NOT NULL REFERENCES users (id),
  created_at bigint NOT NULL,
  accepted_at bigint
);
CREATE INDEX handoffs_pending ON handoffs (to_user, message_id) WHERE accepted_at IS NULL;
)sql",
    // 10: the ADT feed (docs/patients.md), as SQLite's 16.
    R"sql(
ALTER TABLE patients ADD COLUMN seal_record text NOT NULL DEFAULT '';
UPDATE patients SET seal_record = 'mrn:' || encode(mrn_token, 'hex');
ALTER TABLE patients ADD COLUMN sex_sealed bytea NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN merged_into bigint REFERENCES patients (id);
ALTER TABLE patients ADD COLUMN event_at bigint;
ALTER TABLE patients ADD COLUMN version bigint NOT NULL DEFAULT 1;
CREATE TABLE patient_identifiers (
  org_id bigint NOT NULL REFERENCES orgs (id),
  token bytea NOT NULL,
  patient_id bigint NOT NULL REFERENCES patients (id),
  value_sealed bytea NOT NULL,
  authority_sealed bytea NOT NULL,
  type_sealed bytea NOT NULL,
  position bigint GENERATED ALWAYS AS IDENTITY,
  PRIMARY KEY (org_id, token)
);
CREATE INDEX patient_identifiers_by_patient ON patient_identifiers (patient_id, position);
INSERT INTO patient_identifiers (org_id, token, patient_id, value_sealed, authority_sealed,
                                 type_sealed)
  SELECT org_id, mrn_token, id, mrn_sealed, '', '' FROM patients ORDER BY id;
CREATE TABLE encounters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id bigint NOT NULL REFERENCES orgs (id),
  patient_id bigint NOT NULL REFERENCES patients (id),
  seal_record text NOT NULL,
  visit_token bytea,
  state bigint NOT NULL,
  state_before_discharge bigint NOT NULL,
  visit_sealed bytea NOT NULL,
  location_sealed bytea NOT NULL,
  attending_sealed bytea NOT NULL,
  admitted_at_sealed bytea NOT NULL,
  discharged_at_sealed bytea NOT NULL,
  event_at bigint,
  version bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE UNIQUE INDEX encounters_by_visit ON encounters (org_id, visit_token)
  WHERE visit_token IS NOT NULL;
CREATE INDEX encounters_by_patient ON encounters (patient_id, id);
CREATE INDEX encounters_admitted ON encounters (org_id, patient_id) WHERE state = 2;
CREATE TABLE encounter_locations (
  encounter_id bigint NOT NULL REFERENCES encounters (id),
  seq bigint NOT NULL,
  location_sealed bytea NOT NULL,
  at_sealed bytea NOT NULL,
  PRIMARY KEY (encounter_id, seq)
);
CREATE TABLE patient_search (
  org_id bigint NOT NULL,
  token bytea NOT NULL,
  patient_id bigint NOT NULL REFERENCES patients (id),
  PRIMARY KEY (org_id, token, patient_id)
);
CREATE INDEX patient_search_by_patient ON patient_search (patient_id);
CREATE INDEX threads_by_patient ON threads (patient_id) WHERE patient_id IS NOT NULL;
CREATE TABLE hl7_messages (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id bigint NOT NULL REFERENCES orgs (id),
  control_token bytea NOT NULL,
  seal_record text NOT NULL,
  message_type text NOT NULL,
  outcome text NOT NULL,
  ack_code text NOT NULL,
  patient_id bigint REFERENCES patients (id),
  attempts bigint NOT NULL,
  raw_sealed bytea NOT NULL,
  detail_sealed bytea NOT NULL,
  received_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  UNIQUE (org_id, control_token)
);
CREATE INDEX hl7_messages_by_outcome ON hl7_messages (org_id, outcome, id);
)sql",
    // 11: the provider directory (docs/npi.md), as SQLite's 17. Folded keys compare
    // byte by byte (COLLATE "C"), so that a prefix is a range of the index.
    R"sql(
CREATE TABLE providers (
  npi bigint PRIMARY KEY,
  entity bigint NOT NULL,
  name text NOT NULL,
  name_key text COLLATE "C" NOT NULL,
  credential text NOT NULL,
  taxonomy text COLLATE "C" NOT NULL,
  city text NOT NULL,
  city_key text COLLATE "C" NOT NULL,
  state text COLLATE "C" NOT NULL,
  postal_code text NOT NULL,
  phone text NOT NULL,
  deactivated boolean NOT NULL DEFAULT false,
  updated_at bigint NOT NULL
);
CREATE INDEX providers_by_name ON providers (name_key, npi) WHERE NOT deactivated;
CREATE INDEX providers_by_place ON providers (state, city_key, name_key) WHERE NOT deactivated;
CREATE INDEX providers_by_taxonomy ON providers (taxonomy, name_key) WHERE NOT deactivated;
CREATE TABLE taxonomy_codes (
  code text PRIMARY KEY,
  grouping_name text NOT NULL,
  classification text NOT NULL,
  specialization text NOT NULL,
  display_name text NOT NULL,
  section text NOT NULL,
  name_key text NOT NULL
);
CREATE TABLE provider_invitations (
  id bigint PRIMARY KEY,
  org_id bigint NOT NULL REFERENCES orgs (id),
  thread_id bigint NOT NULL REFERENCES threads (id),
  npi bigint NOT NULL REFERENCES providers (npi),
  invited_by bigint NOT NULL REFERENCES users (id),
  created_at bigint NOT NULL,
  state bigint NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX provider_invitations_pending ON provider_invitations (thread_id, npi)
  WHERE state = 1;
)sql",
    // 12: the directory (docs/directory.md): departments, org screens and directory
    // versions, as SQLite's 16.
    R"sql(
ALTER TABLE users ADD COLUMN department text NOT NULL DEFAULT '';
CREATE TABLE org_screens (
  org_id bigint PRIMARY KEY REFERENCES orgs (id),
  version bigint NOT NULL,
  body text NOT NULL,
  updated_by bigint REFERENCES users (id),
  updated_at bigint NOT NULL
);
CREATE TABLE directory_versions (
  org_id bigint PRIMARY KEY REFERENCES orgs (id),
  version bigint NOT NULL
);
)sql",
    // 13: message search (docs/search.md), as SQLite's 19.
    R"sql(
CREATE TABLE message_search (
  token bytea NOT NULL,
  thread_id bigint NOT NULL REFERENCES threads (id),
  message_id bigint NOT NULL,
  PRIMARY KEY (token, thread_id, message_id)
);
CREATE TABLE message_search_backfill (
  id bigint PRIMARY KEY CHECK (id = 1),
  below_event bigint NOT NULL
);
INSERT INTO message_search_backfill (id, below_event)
  SELECT 1, coalesce(max(id), 0) + 1 FROM events WHERE kind = 1;
)sql",
    // 14: call back and quick notes (docs/callback.md, docs/quick_notes.md), as SQLite's
    // 20.
    R"sql(
ALTER TABLE events ADD COLUMN callback_sealed bytea;
ALTER TABLE held_messages ADD COLUMN callback_sealed bytea;
CREATE TABLE user_phones (
  user_id bigint NOT NULL REFERENCES users (id),
  kind bigint NOT NULL,
  number_sealed bytea NOT NULL,
  visibility bigint NOT NULL,
  preferred boolean NOT NULL,
  PRIMARY KEY (user_id, kind)
);
CREATE TABLE quick_notes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id bigint NOT NULL REFERENCES orgs (id),
  owner_id bigint REFERENCES users (id),
  title_sealed bytea NOT NULL,
  text_sealed bytea NOT NULL,
  created_by bigint REFERENCES users (id),
  created_at bigint NOT NULL,
  updated_by bigint REFERENCES users (id),
  updated_at bigint NOT NULL
);
CREATE INDEX quick_notes_by_owner ON quick_notes (org_id, owner_id, id);
)sql",
    // 15: provider searches by a name or a taxonomy within a state, as SQLite's 21.
    R"sql(
CREATE INDEX IF NOT EXISTS providers_by_state_name ON providers (state, name_key, npi)
  WHERE NOT deactivated;
CREATE INDEX IF NOT EXISTS providers_by_taxonomy_state
  ON providers (taxonomy, state, name_key, npi) WHERE NOT deactivated;
)sql",
};

}  // namespace

std::string new_instance_id() {
  std::random_device random;  // /dev/urandom on Linux.
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string id;
  id.reserve(32);
  for (int word = 0; word < 4; ++word) {
    std::uint32_t bits = random();
    for (int nibble = 0; nibble < 8; ++nibble) {
      id.push_back(kHex[bits & 0x0f]);
      bits >>= 4;
    }
  }
  return id;
}

namespace {

Result<void> migrate_locked(PgConnection& connection) {
  WL_TRY(connection.query("SELECT pg_advisory_xact_lock($1)", Params().add(kMigrationLock),
                          "lock schema"));
  WL_TRY(
      connection.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                         "id bigint PRIMARY KEY CHECK (id = 1), version bigint NOT NULL)",
                         "create schema version"));
  const int version = WL_TRY(read_schema_version(connection));
  if (version > kPostgresSchemaVersion) {
    return error(Code::kFailedPrecondition,
                 "store: the database was written by a newer Wardline (schema version " +
                     std::to_string(version) + ")");
  }
  if (version < 0) {
    return error(Code::kDataLoss, "store: the schema version is invalid");
  }
  for (int next = version + 1; next <= kPostgresSchemaVersion; ++next) {
    WL_TRY(connection.execute(kMigrations[static_cast<std::size_t>(next - 1)], "migrate schema"));
  }
  if (version == 0) {
    WL_TRY(connection.query("INSERT INTO meta (id, instance_id) VALUES (1, $1)",
                            Params().add_text(new_instance_id()), "create meta"));
  }
  if (version < kPostgresSchemaVersion) {
    WL_TRY(
        connection.query("INSERT INTO schema_version (id, version) VALUES (1, $1) "
                         "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                         Params().add(std::int64_t{kPostgresSchemaVersion}), "set schema version"));
  }
  return ok();
}

}  // namespace

Result<void> migrate(PgConnection& connection) {
  WL_TRY(connection.execute("BEGIN", "begin migration"));
  const Result<void> result = migrate_locked(connection);
  if (!result) {
    (void)connection.execute("ROLLBACK", "roll back migration");
    return result;
  }
  WL_TRY(connection.execute("COMMIT", "commit migration"));
  return ok();
}

Result<int> read_schema_version(PgConnection& connection) {
  const PgResult exists = WL_TRY(
      connection.query("SELECT to_regclass('schema_version') IS NOT NULL", "read schema version"));
  const bool has_table = exists.rows() == 1 && exists.boolean(0, 0);
  WL_TRY(exists.check());
  if (!has_table) {
    return 0;
  }
  const PgResult version = WL_TRY(
      connection.query("SELECT version FROM schema_version WHERE id = 1", "read schema version"));
  if (version.rows() == 0) {
    return 0;
  }
  const std::int64_t value = version.int64(0, 0);
  WL_TRY(version.check());
  if (value < 0 || value > 1'000'000) {
    return error(Code::kDataLoss, "store: the schema version is invalid");
  }
  return static_cast<int>(value);
}

Result<std::string> read_instance_id(PgConnection& connection) {
  const PgResult meta =
      WL_TRY(connection.query("SELECT instance_id FROM meta WHERE id = 1", "read instance id"));
  if (meta.rows() != 1) {
    return error(Code::kDataLoss, "store: instance id missing");
  }
  std::string id = meta.bytes(0, 0);
  WL_TRY(meta.check());
  if (id.size() != 32) {
    return error(Code::kDataLoss, "store: instance id invalid");
  }
  return id;
}

}  // namespace wl::detail::pg
