#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "ports/records.hpp"

namespace wl {

/// Computes an audit entry's hash from the entry with seq and prev_hash filled in.
/// Supplied by services/audit (the chain format is a product rule); the store calls it
/// inside the transaction that appends the entry, so the chain has no forks.
using AuditChainer = std::function<std::string(const AuditEntry& entry)>;

/// An event as committed, with the users whose streams it belongs to: the members of
/// its thread at commit time, plus the removed user for kMemberRemoved. The store
/// decides this inside the write's transaction, so a live fan-out never disagrees
/// with what a later replay (read_user_events) returns.
struct CommittedEvent {
  Event event;
  std::vector<UserId> recipients;
};

/// Receives an asynchronous write's result, once, on the store's commit thread (or on
/// the calling thread if the write could not be queued). It must not block: it hands
/// the result to the caller's thread.
template <typename T>
using WriteDone = std::function<void(Result<T>)>;

/// Called with the events a write created, after they are durable, in commit order
/// (a later call never carries smaller event ids than an earlier one), on the
/// store's commit thread. It must not block: it hands events to the Bus.
using CommitHook = std::function<void(std::span<const CommittedEvent> events)>;

struct NewUser {
  OrgId org_id;
  std::string username;
  std::string display_name;
  std::string title;
  std::string password_hash;
  bool is_admin = false;
  bool is_operator = false;
  Timestamp created_at;
};

struct NewThread {
  OrgId org_id;
  ThreadKind kind = ThreadKind::kGroup;
  std::string title_sealed;
  PatientId patient_id;
  std::string unique_key;  // Empty: always create. Otherwise return the existing one.
  // With no unique_key: return the newest thread of the org of this kind and patient
  // whose current members are exactly `members` (and created_by), if there is one,
  // instead of creating another.
  bool reuse_same_members = false;
  UserId created_by;
  Timestamp created_at;
  std::vector<UserId> members;  // Includes created_by.
};

struct ThreadCreated {
  Thread thread;
  bool created = false;  // False: an existing thread matched (unique_key or members).
  // Created: kThreadCreated and kMemberAdded events. Existing: the kMemberAdded that
  // brought it into created_by's stream, if it was not there yet (see create_thread).
  std::vector<Event> events;
};

struct NewMessage {
  OrgId org_id;
  ThreadId thread_id;
  UserId sender;
  std::string client_token;      // The client id's blind token: the idempotency key.
  std::string client_id_sealed;  // The client id itself, sealed.
  bool urgent = false;
  std::string body_sealed;
  Timestamp created_at;
  std::optional<Timestamp> written_at;  // Checked by the service; stored as given.
};

struct MessageAppended {
  Event event;
  bool duplicate = false;  // The client token was seen before; event is the original.
};

// A device name that a version before schema 4 stored in clear, with what sealing it
// needs: the owner's org, and the owner and creation instant that are its record.
struct DeviceNameInClear {
  DeviceId id;
  OrgId org_id;
  UserId user_id;
  Timestamp created_at;
  std::string name;
};

struct SealedDeviceName {
  DeviceId id;
  std::string name_sealed;
};

// A message client id that a version before schema 4 stored in clear, with what
// tokenising and sealing it needs.
struct ClientIdInClear {
  EventId id;
  OrgId org_id;
  ThreadId thread_id;
  UserId sender;
  std::string client_id;
};

struct SealedClientId {
  EventId id;
  std::string client_token;
  std::string client_id_sealed;
};

struct ThreadSummary {
  Thread thread;
  std::vector<UserId> members;
  std::int64_t read_seq = 0;  // The asking user's read position.
  std::optional<Event> last_message;
  std::int64_t unread_count = 0;  // Messages from others with seq > read_seq.
  bool has_unread_urgent = false;
};

/// The durable state of Wardline: two adapters (SQLite, PostgreSQL), one contract
/// test suite (tests/contract). Every method may block (disk, network, group commit):
/// never call one on an io_context thread. All methods are thread-safe.
///
/// A write returns only after it is durable (committed and fsync'd). Writes that take
/// a CommitHook call it before returning, on the commit thread.
///
/// Adapters take an AuditChainer at construction and use it for every audit entry.
///
/// The contract does not assume one writer or one node: sequence assignment, client-id
/// idempotency and uniqueness keys hold when several processes write at once.
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class Store {
 public:
  virtual ~Store() = default;

  /// A random id fixed when the database was created. Cursors carry it so that a
  /// client never resumes against a different (e.g. restored) database.
  virtual std::string instance_id() const = 0;

  // ---- Orgs and users ----

  /// Errors: AlreadyExists if an org with this name exists.
  virtual Result<Org> create_org(std::string_view name, Timestamp now) = 0;
  /// Errors: NotFound.
  virtual Result<Org> find_org(OrgId id) = 0;
  virtual Result<Org> find_org_by_name(std::string_view name) = 0;
  virtual Result<std::vector<Org>> list_orgs() = 0;
  /// Sets how long a session of the org may go without a user action before it locks.
  /// Errors: NotFound.
  virtual Result<void> set_org_idle_lock(OrgId id, std::chrono::seconds idle_lock) = 0;

  /// Errors: AlreadyExists if the username is taken in the org; NotFound for no org.
  virtual Result<User> create_user(const NewUser& user) = 0;
  virtual Result<User> find_user(UserId id) = 0;
  virtual Result<User> find_user_by_name(OrgId org, std::string_view username) = 0;
  /// Users of an org ordered by username.
  virtual Result<std::vector<User>> list_users(OrgId org) = 0;
  /// Sets a new password hash and clears failed logins and lockout. Errors: NotFound.
  virtual Result<void> set_password_hash(UserId id, std::string_view password_hash) = 0;
  /// Records the failure count and lockout decided by the identity service.
  virtual Result<void> set_login_failures(UserId id, int failed_logins,
                                          std::optional<Timestamp> locked_until) = 0;
  virtual Result<void> set_user_disabled(UserId id, bool disabled) = 0;
  /// Sets the unlock PIN's hash (empty: no PIN). Errors: NotFound.
  virtual Result<void> set_pin_hash(UserId id, std::string_view pin_hash) = 0;
  /// Grants or withdraws the operator permission (server-wide operations). Errors:
  /// NotFound.
  virtual Result<void> set_user_operator(UserId id, bool is_operator) = 0;

  // ---- Devices and sessions ----

  /// Errors: NotFound for an unknown user.
  virtual Result<Device> create_device(UserId user, std::string_view name_sealed,
                                       Timestamp now) = 0;
  virtual Result<Device> find_device(DeviceId id) = 0;
  virtual Result<std::vector<Device>> list_devices(UserId user) = 0;
  /// Revokes the device and every session on it. Errors: NotFound.
  virtual Result<void> revoke_device(DeviceId id, Timestamp now) = 0;

  virtual Result<void> create_session(const Session& session) = 0;
  /// Errors: NotFound for an unknown token hash.
  virtual Result<Session> find_session(std::string_view token_hash) = 0;
  /// Sets last_used (and the device's last_seen).
  virtual Result<void> touch_session(std::string_view token_hash, Timestamp now) = 0;
  virtual Result<void> revoke_session(std::string_view token_hash) = 0;
  /// Locks the session. Errors: NotFound.
  virtual Result<void> lock_session(std::string_view token_hash) = 0;
  /// Unlocks the session: clears the lock and the PIN failures, and sets last_used (and
  /// the device's last_seen) to now. Errors: NotFound.
  virtual Result<void> unlock_session(std::string_view token_hash, Timestamp now) = 0;
  /// Records the wrong PINs since the session's last unlock. Errors: NotFound.
  virtual Result<void> set_session_pin_failures(std::string_view token_hash, int failures) = 0;

  // ---- Patients ----

  /// Inserts, or updates the patient with the same org and mrn_token. Returns the row.
  virtual Result<Patient> upsert_patient(const Patient& patient) = 0;
  virtual Result<Patient> find_patient(PatientId id) = 0;
  virtual Result<std::vector<Patient>> list_patients(OrgId org) = 0;

  // ---- Threads and members ----

  /// Creates a thread with its members, atomically with its kThreadCreated and
  /// kMemberAdded events. If unique_key is set and a thread with it exists, or
  /// reuse_same_members is set and one matches, returns that thread (created = false).
  ///
  /// A direct thread enters only its creator's stream and thread list: the other
  /// member's kMemberAdded is appended, and their membership period opened, by the
  /// first message (append_message) or when they open the thread themselves (this
  /// call returning it to them). Until then they are a member (list_members,
  /// is_member) whose stream holds none of it.
  virtual Result<ThreadCreated> create_thread(const NewThread& thread, const CommitHook& hook) = 0;
  /// Errors: NotFound.
  virtual Result<Thread> find_thread(ThreadId id) = 0;
  /// The user's threads with their members and unread state, most recent activity first:
  /// those whose stream they are in (see create_thread), not a direct thread that was
  /// opened with them and has no message yet.
  virtual Result<std::vector<ThreadSummary>> list_threads_for_user(UserId user) = 0;
  /// Current members ordered by user id. Errors: NotFound for an unknown thread.
  virtual Result<std::vector<Member>> list_members(ThreadId thread) = 0;
  virtual Result<bool> is_member(ThreadId thread, UserId user) = 0;
  /// Adds a member and appends kMemberAdded. Errors: AlreadyExists if a member.
  virtual Result<Event> add_member(ThreadId thread, UserId user, UserId actor, Timestamp now,
                                   const CommitHook& hook) = 0;
  /// Removes a member and appends kMemberRemoved. Errors: NotFound if not a member.
  virtual Result<Event> remove_member(ThreadId thread, UserId user, UserId actor, Timestamp now,
                                      const CommitHook& hook) = 0;
  /// Replaces the thread's sealed title and appends a kThreadRenamed event whose
  /// body_sealed is the same sealed title. Errors: NotFound for an unknown thread.
  virtual Result<Event> rename_thread(ThreadId thread, std::string_view title_sealed, UserId actor,
                                      Timestamp now, const CommitHook& hook) = 0;

  // ---- Messages and receipts ----

  /// Appends a message with the thread's next seq, and `audit` in the same transaction.
  /// A second append with the same (sender, client_token) stores nothing and returns the
  /// original with duplicate = true (the hook is not called for it).
  /// The first message of a thread also appends, just before it, a kMemberAdded for
  /// each member whose stream the thread is not in yet (a direct thread's other
  /// member), and opens their membership period there.
  /// Errors: NotFound for an unknown thread or one not of message.org_id;
  /// PermissionDenied if the sender is not a member of it: "you were removed from this
  /// thread" if they were once, "you are not a member of this thread" otherwise.
  virtual Result<MessageAppended> append_message(const NewMessage& message, const AuditDraft& audit,
                                                 const CommitHook& hook) = 0;

  /// As append_message, but returns at once: `done` gets the result once the write is
  /// durable (after the hook ran) or failed. No thread waits for the commit, so the
  /// number of writes in flight is not bounded by the caller's threads. The default
  /// runs the blocking form on the calling thread; adapters override it.
  virtual void append_message_async(NewMessage message, AuditDraft audit, CommitHook hook,
                                    WriteDone<MessageAppended> done) {
    done(append_message(message, audit, hook));
  }

  /// Marks the given messages delivered to `recipient` at `now`, for those that exist,
  /// are in a thread the recipient belongs to, were sent by someone else and were not
  /// delivered to them before. Appends one kDelivered event per newly delivered message
  /// and returns those events (empty if none). Unknown ids are skipped, not errors.
  virtual Result<std::vector<Event>> record_delivered(UserId recipient,
                                                      std::span<const EventId> messages,
                                                      Timestamp now, const CommitHook& hook) = 0;

  /// Builds the audit entry of a delivery from the receipts it created (nullopt: none
  /// to write). Supplied by services (the entry's wording is a product rule); the store
  /// calls it inside the write's transaction.
  using DeliveredAudit = std::function<std::optional<AuditDraft>(std::span<const Event>)>;

  /// As record_delivered, returning at once (see append_message_async), and appending
  /// audit(receipts), if any, in the same transaction.
  virtual void record_delivered_async(UserId recipient, std::vector<EventId> messages,
                                      Timestamp now, CommitHook hook, DeliveredAudit audit,
                                      WriteDone<std::vector<Event>> done) {
    auto delivered = record_delivered(recipient, messages, now, hook);
    if (delivered && audit) {
      if (auto draft = audit(*delivered)) {
        if (auto appended = append_audit(*draft); !appended) {
          done(std::unexpected(appended.error()));
          return;
        }
      }
    }
    done(std::move(delivered));
  }

  /// Moves the reader's read position in a thread up to `up_to_seq` (clamped to the
  /// thread's last seq), marks messages from others in between read (and delivered, if
  /// they were not) at `now`, and appends a kRead event. Returns nullopt and writes
  /// nothing if the position would not move forward. Errors: NotFound if not a member.
  virtual Result<std::optional<Event>> record_read(ThreadId thread, UserId reader,
                                                   std::int64_t up_to_seq, Timestamp now,
                                                   const CommitHook& hook) = 0;

  /// Errors: NotFound.
  virtual Result<Event> find_event(EventId id) = 0;

  /// The user's stream after `after`, in id order, at most `limit`: the events that
  /// the CommitHook named them a recipient of. That is, each thread's events while
  /// they were a member, from the creation (first members) or their kMemberAdded to
  /// their kMemberRemoved, both included.
  virtual Result<std::vector<Event>> read_user_events(UserId user, EventId after,
                                                      std::size_t limit) = 0;

  /// The highest event id committed so far (0 if none).
  virtual Result<EventId> last_event_id() = 0;

  /// Messages of a thread with seq < before_seq (0 = from the newest), newest first,
  /// at most `limit`.
  virtual Result<std::vector<Event>> read_thread_messages(ThreadId thread, std::int64_t before_seq,
                                                          std::size_t limit) = 0;

  /// Per-recipient status of a message: one row per current member other than the
  /// sender, ordered by user id. Errors: NotFound.
  virtual Result<std::vector<Receipt>> list_receipts(EventId message) = 0;

  /// Every current member's read position in the thread, and the receipts of messages
  /// sent by `sender` with seq in [from_seq, to_seq] that are delivered and not read,
  /// read in one transaction. An unknown thread gives empty lists.
  virtual Result<HistoryReceipts> read_history_receipts(ThreadId thread, UserId sender,
                                                        std::int64_t from_seq,
                                                        std::int64_t to_seq) = 0;

  // ---- Keys ----

  virtual Result<void> put_data_key(const DataKeyRecord& key) = 0;
  /// All data keys of all orgs.
  virtual Result<std::vector<DataKeyRecord>> list_data_keys() = 0;
  /// Replaces the wrapped form of existing keys (KEK rotation), atomically.
  virtual Result<void> rewrap_data_keys(std::span<const DataKeyRecord> keys) = 0;

  // ---- Values that versions before schema 4 stored in clear ----
  //
  // Services seal these once, at start (docs/storage.md, "Values older versions
  // stored in clear"). Rows written through this interface are never in clear.

  /// Devices whose name is stored in clear, with id > after, in id order, at most
  /// `limit`.
  virtual Result<std::vector<DeviceNameInClear>> list_device_names_in_clear(DeviceId after,
                                                                            std::size_t limit) = 0;
  /// Replaces each device's clear name by its sealed form, atomically. Before it
  /// returns, the clear bytes are erased from the store's files, not just unlinked, as
  /// far as the adapter can (SQLite: fully). Errors: NotFound, changing nothing, if a
  /// device does not exist or its name is not in clear; Unavailable if the erasing
  /// could not finish after the names were sealed (their old bytes then go with a
  /// later checkpoint).
  virtual Result<void> seal_device_names(std::span<const SealedDeviceName> names) = 0;

  /// Messages whose client id is stored in clear, with id > after, in id order, at
  /// most `limit`.
  virtual Result<std::vector<ClientIdInClear>> list_client_ids_in_clear(EventId after,
                                                                        std::size_t limit) = 0;
  /// Replaces each message's clear client id by its token and sealed form, atomically,
  /// erasing the clear bytes as seal_device_names does. Errors: NotFound, changing
  /// nothing, if a message does not exist or its client id is not in clear;
  /// AlreadyExists if a token is already another message's of the same sender.
  virtual Result<void> seal_client_ids(std::span<const SealedClientId> ids) = 0;

  // ---- Audit ----

  /// Appends an entry at the end of the chain: seq = last seq + 1, prev_hash = the last
  /// entry's hash, hash = chainer(entry). Returns the stored entry.
  virtual Result<AuditEntry> append_audit(const AuditDraft& draft) = 0;
  /// As append_audit, returning at once; see append_message_async.
  virtual void append_audit_async(AuditDraft draft, WriteDone<AuditEntry> done) {
    done(append_audit(draft));
  }
  /// Entries with seq > after in seq order, at most `limit`.
  virtual Result<std::vector<AuditEntry>> read_audit(std::int64_t after, std::size_t limit) = 0;
  /// Stores a signed checkpoint. If one with the same seq and hash is stored already,
  /// the new one replaces it when its time is later and is dropped otherwise: re-signing
  /// an idle head moves its signed time forward without adding a row each time.
  /// Errors: AlreadyExists if the checkpoint stored at that seq has a different hash.
  virtual Result<void> put_audit_checkpoint(const AuditCheckpoint& checkpoint) = 0;
  /// Every stored checkpoint, in seq order.
  virtual Result<std::vector<AuditCheckpoint>> list_audit_checkpoints() = 0;
};

}  // namespace wl
