#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/time.hpp"

// Plain records exchanged between services and the Store. Fields named *_sealed hold
// AES-256-GCM sealed bytes (services/keys); the store never sees their plaintext.
namespace wl {

struct Org {
  OrgId id;
  std::string name;
  Timestamp created_at;
  // A session with no user action for this long locks (docs/security.md, "Automatic
  // logoff"). Bounded by the identity service.
  std::chrono::seconds idle_lock{std::chrono::minutes(30)};
};

struct User {
  UserId id;
  OrgId org_id;
  std::string username;       // Unique within the org, lower case.
  std::string display_name;   // Staff names are directory data, not PHI.
  std::string title;          // "RN, 4 West", "Cardiology attending".
  std::string department;     // "Cardiology", "4 West": how the directory groups staff.
  std::string password_hash;  // libsodium Argon2id string.
  std::string pin_hash;       // Argon2id string of the unlock PIN; empty: no PIN set.
  bool is_admin = false;      // Administers its org.
  bool is_operator = false;   // Runs the server: operations that affect every org.
  bool is_scheduler = false;  // Builds and imports its org's on-call schedules.
  bool disabled = false;
  int failed_logins = 0;
  std::optional<Timestamp> locked_until;
  Timestamp created_at;
};

struct Device {
  DeviceId id;
  UserId user_id;
  std::string name_sealed;  // The name given at login (services/identity seals it).
  Timestamp created_at;
  Timestamp last_seen;
  bool revoked = false;
};

// A login session. The token itself is never stored, only its SHA-256.
struct Session {
  std::string token_hash;
  UserId user_id;
  DeviceId device_id;
  Timestamp created_at;
  Timestamp last_used;
  Timestamp expires_at;  // Absolute expiry.
  bool revoked = false;
  // Locked by the user; a session is also locked once last_used + the org's idle_lock
  // has passed. Only an unlock (PIN or password) opens it again.
  bool locked = false;
  int pin_failures = 0;  // Wrong PINs since the last unlock.
};

// A patient of an org (docs/patients.md). Created by an administrator or by the ADT feed.
// Every field is sealed under `seal_record`, a key fixed when the row is created, so that
// a change of identifier or a merge never re-seals anything.
struct Patient {
  PatientId id;
  OrgId org_id;
  std::string seal_record;  // "patient:<32 hex>"; rows of schema 14 and older: "mrn:<hex token>".
  std::string mrn_token;    // Keyed blind token of the MRN shown in the banner.
  std::string mrn_sealed;
  std::string name_sealed;
  std::string dob_sealed;
  std::string sex_sealed;
  // Set by an administrator only; the ADT feed keeps these on the encounter.
  std::string location_sealed;
  std::string attending_sealed;
  PatientId merged_into;  // Set once an A40 merged this patient into another.
  // The HL7 event time of the last demographics applied: an older message does not roll
  // them back. Unset: never written by the feed.
  std::optional<Timestamp> event_at;
  std::int64_t version = 1;  // Incremented by every change (optimistic checks).
  Timestamp updated_at;
};

// One identifier of a patient (PID-3: value, assigning authority, type). Looked up by its
// keyed blind token; the three parts are sealed under the identifier's own record
// ("mrn:<hex token>"), so they move with it in a merge.
struct PatientIdentifier {
  std::string token;
  PatientId patient_id;
  std::string value_sealed;
  std::string authority_sealed;
  std::string type_sealed;
};

enum class EncounterState : std::uint8_t {
  kPreadmitted = 1,  // A05.
  kAdmitted = 2,     // A01: an inpatient.
  kRegistered = 3,   // A04: an outpatient or emergency visit.
  kDischarged = 4,   // A03.
  kCancelled = 5,    // A11.
};

// One visit (PV1). Sealed fields under the encounter's own `seal_record`.
struct Encounter {
  EncounterId id;
  OrgId org_id;
  PatientId patient_id;
  std::string seal_record;  // "encounter:<32 hex>".
  std::string visit_token;  // Blind token of PV1-19; empty when the feed sent none.
  EncounterState state = EncounterState::kAdmitted;
  EncounterState state_before_discharge = EncounterState::kAdmitted;  // For an A13.
  std::string visit_sealed;
  std::string location_sealed;
  std::string attending_sealed;
  std::string admitted_at_sealed;    // RFC 3339 text.
  std::string discharged_at_sealed;  // RFC 3339 text; "" sealed while not discharged.
  std::optional<Timestamp> event_at;
  std::int64_t version = 1;
  Timestamp updated_at;
};

// A place an encounter was in: one per location change, oldest first.
struct EncounterLocation {
  std::int64_t seq = 0;
  std::string location_sealed;
  std::string at_sealed;  // RFC 3339 text of the event.
};

// One HL7 message as received, sealed, with what became of it (docs/hl7.md, "Stored
// messages"). Its outcome is not PHI: "applied", "duplicate", "stale", "error" (answered
// AE), "rejected" (answered AR).
struct Hl7Message {
  std::int64_t id = 0;
  OrgId org_id;
  std::string control_token;  // Blind token of sending application, facility and MSH-10.
  std::string seal_record;    // "hl7:<32 hex>".
  std::string message_type;   // "ADT^A01" (the code and event, never PHI), or "".
  std::string outcome;
  std::string ack_code;  // "AA", "AE" or "AR".
  PatientId patient_id;  // The patient it applied to, if any.
  std::int64_t attempts = 1;
  std::string raw_sealed;
  std::string detail_sealed;  // Why it failed (may quote the message), or "".
  Timestamp received_at;
  Timestamp updated_at;
};

// kRole: one sender's conversation with a role ("Cardiology On Call"): each message goes
// to whoever holds the role when it is sent (services/routing), who joins the thread.
enum class ThreadKind : std::uint8_t { kDirect = 1, kGroup = 2, kPatient = 3, kRole = 4 };

struct Thread {
  ThreadId id;
  OrgId org_id;
  ThreadKind kind = ThreadKind::kGroup;
  std::string title_sealed;  // Empty for direct threads.
  PatientId patient_id;      // Set for patient threads.
  RoleId role_id;            // Set for role threads.
  // Direct and two-person patient threads are unique per key (see ThreadService);
  // empty for groups.
  std::string unique_key;
  UserId created_by;
  Timestamp created_at;
  std::int64_t last_seq = 0;  // Highest message sequence in the thread.
};

struct Member {
  ThreadId thread_id;
  UserId user_id;
  Timestamp joined_at;
  std::int64_t read_seq = 0;  // The member has read messages up to this sequence.
};

enum class EventKind : std::uint8_t {
  // Thread scope.
  kMessage = 1,        // A message: seq, client_token, client_id_sealed, urgent, body_sealed.
  kDelivered = 2,      // actor's device received message `ref` of `subject`; only the
                       // two of them have it in their streams.
  kRead = 3,           // actor read the thread up to `ref_seq`.
  kMemberAdded = 4,    // `subject` joined (actor added them).
  kMemberRemoved = 5,  // `subject` left or was removed.
  kThreadCreated = 6,  // The thread was created by actor.
  kThreadRenamed = 7,  // actor renamed the thread: body_sealed is the new title (see
                       // MessagingService), sealed as the thread's title is.
  // Org scope: news for everyone in the org. They say what changed, never how: readers
  // fetch the resource (and are authorised for it) as usual.
  kUserChanged = 8,  // `subject`'s directory entry was created or changed (name,
                     // title, department, disabled, admin).
  kOrgChanged = 9,   // The org's settings changed (the idle lock) or its org screen.
  // User scope: news for one user's devices.
  kDevicesChanged = 10,  // A device of `subject` signed in or was revoked.
  // Org scope (routing).
  kRoleChanged = 11,    // Role `role` was created or its directory entry changed.
  kOnCallChanged = 12,  // Who holds role `role` changed: its shifts were edited, or
                        // someone signed in to it or out of it.
  // Thread scope (routing).
  kRouted = 13,  // Message `ref` (seq `ref_seq`) of a role thread reached `subject`
                 // through role `role`, for `reason` (docs/routing.md, "Reasons").
  // User scope (routing).
  kReminder = 14,    // Message `ref`, which `subject` sent asking to be reminded, is
                     // still unread by anyone it was sent to.
  kUnanswered = 15,  // Message `ref`, which `subject` sent, went through every step of
                     // its escalation and nobody has read it (docs/routing.md).
  kAlert = 16,       // Message `ref`, urgent and sent to `subject`, is still unread:
                     // alert their devices again.
  // Org scope (routing).
  kAvailabilityChanged = 17,  // `subject`'s availability periods, forwarding or
                              // gatekeepers changed.
  // User scope (routing).
  kScreening = 18,  // The screening of `subject`'s messages changed (docs/routing.md,
                    // "Gatekeepers"): one was screened, or `actor` passed it on,
                    // answered or kept it. For their gatekeepers and the sender.
  // Thread scope (patients).
  kPatientChanged = 19,  // The thread's patient changed (an ADT event: demographics, a
                         // move, a discharge, a merge): fetch the thread's banner again.
  // Thread scope (provider directory).
  kProviderInvited = 20,  // actor invited the provider whose NPI is `reason` to the thread
                          // (ports/provider_store.hpp); the invitation's id is the event's.
};

// Whose streams an event is in.
enum class EventScope : std::uint8_t {
  kThread = 1,  // The thread's members, over their membership periods.
  kUser = 2,    // One user (`Event::user_id`).
  kOrg = 3,     // Every user of the org.
};

// The scope each kind is written with.
constexpr EventScope scope_of(EventKind kind) {
  switch (kind) {
    case EventKind::kUserChanged:
    case EventKind::kOrgChanged:
    case EventKind::kRoleChanged:
    case EventKind::kOnCallChanged:
    case EventKind::kAvailabilityChanged:
      return EventScope::kOrg;
    case EventKind::kDevicesChanged:
    case EventKind::kReminder:
    case EventKind::kUnanswered:
    case EventKind::kAlert:
    case EventKind::kScreening:
      return EventScope::kUser;
    default:
      return EventScope::kThread;
  }
}

// Where an event stands in the one order every stream is read in, and what a cursor
// holds (docs/architecture.md, "Stream positions become readable in commit order").
// SQLite: (0, id), as ids are taken in commit order. PostgreSQL: (the writing
// transaction's id, id).
struct StreamPosition {
  std::int64_t epoch = 0;
  EventId id;
  constexpr auto operator<=>(const StreamPosition&) const = default;
};

// One entry of a user's event stream: an envelope (position, org, scope, kind, actor,
// time) and the payload of its kind (see EventKind). A user's stream is the events of
// their threads while they were members, their own user-scoped events and their org's
// events, in position order.
struct Event {
  EventId id;
  std::int64_t epoch = 0;  // See StreamPosition.
  OrgId org_id;
  EventScope scope = EventScope::kThread;
  ThreadId thread_id;  // Thread scope.
  UserId user_id;      // User scope: whose stream it is in.
  EventKind kind = EventKind::kMessage;
  UserId actor;
  Timestamp created_at;
  std::int64_t seq = 0;  // Messages: the per-thread sequence (1, 2, 3, ...).
  // Messages: the sender's idempotency key (the client_id) as a keyed blind token,
  // unique per sender, and sealed, so that it can be given back.
  std::string client_token;
  std::string client_id_sealed;
  bool urgent = false;
  std::string body_sealed;
  // Messages: when the sender's client says the message was written, if it was
  // written before it was sent (offline); checked against created_at when sent.
  std::optional<Timestamp> written_at;
  // Messages: the number the sender asks to be called back on, sealed; empty: none.
  std::string callback_sealed;
  EventId ref;               // Delivered: the message.
  std::int64_t ref_seq = 0;  // Delivered: the message's seq. Read: read up to this seq.
  // Member added/removed: who. Delivered: the message's sender. User changed, devices
  // changed: whose. Routed: whom the message reached.
  UserId subject;
  RoleId role;         // Role changed, on-call changed, routed: which role.
  std::string reason;  // Routed: why it reached subject ("on_call", "signed_in", ...).
                       // Provider invited: the NPI.

  StreamPosition position() const { return StreamPosition{epoch, id}; }
};

// Per recipient status of one message.
struct Receipt {
  EventId message_id;
  UserId user_id;
  std::optional<Timestamp> delivered_at;
  std::optional<Timestamp> read_at;
};

// Where a member has read a thread up to: messages with seq <= read_seq are read
// (and delivered) for them.
struct ReadPosition {
  UserId user_id;
  std::int64_t read_seq = 0;
};

// The receipts behind a page of history, from one snapshot: every member's read
// position, and the receipts of the page's messages that were delivered but not yet
// read. Together they give each message's delivered and read recipients.
struct HistoryReceipts {
  std::vector<ReadPosition> read;         // Ordered by user id.
  std::vector<Receipt> delivered_unread;  // Ordered by message id, then user id.
};

// A data key of an org, wrapped by a KEK. Sealed values name their data key's id.
struct DataKeyRecord {
  OrgId org_id;
  std::uint32_t key_id = 0;  // Unique per org, increasing; the newest active one seals.
  std::string wrapped;       // KeyProvider::wrap output.
  Timestamp created_at;
  bool destroyed = false;  // Crypto-shredded: wrapped is empty.
};

// An audit entry before it is chained.
struct AuditDraft {
  Timestamp at;
  OrgId org_id;
  UserId actor;  // 0 for the system or an unknown user.
  DeviceId device;
  std::string action;   // "login", "login_failed", "message.send", "thread.read", ...
  std::string target;   // Ids only: "thread:12", "message:9001", "user:4".
  std::string outcome;  // "ok", "denied", "failed".
  std::string detail;   // Non-PHI detail: error code, remote address, counts.
};

// An appended audit entry. hash = SHA-256 over prev_hash and the entry's canonical
// encoding (docs/audit_chain.md); the first entry's prev_hash is 32 zero bytes.
struct AuditEntry {
  // The chain the entry belongs to: one per writing store (docs/audit_chain.md,
  // "Chains"); seq, prev_hash and hash are within it.
  std::int64_t chain = 1;
  std::int64_t seq = 0;
  AuditDraft draft;
  std::string prev_hash;  // 32 raw bytes.
  std::string hash;       // 32 raw bytes.
};

// A signed statement that chain `chain` up to seq has hash `hash`, made when the log
// had `chains` chains.
struct AuditCheckpoint {
  std::int64_t chain = 1;
  std::int64_t chains = 1;
  std::int64_t seq = 0;
  std::string hash;
  std::string public_key;  // Raw Ed25519 public key (32 bytes).
  std::string signature;   // Ed25519 over docs/audit_chain.md's checkpoint encoding.
  Timestamp at;
};

}  // namespace wl
