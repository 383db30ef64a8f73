#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "ports/records.hpp"
#include "ports/write.hpp"

namespace wl {

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

/// Moves the reader's read position in a thread up to `up_to_seq` (clamped to the
/// thread's last seq), marks messages from others in between read (and delivered, if
/// they were not) at `at`, and appends a kRead event. Result: the event, or nullopt
/// when the position would not move forward (nothing is written then).
/// Errors: NotFound if not a member. A mutation: written through a WriteBatch.
struct RecordRead {
  ThreadId thread;
  UserId reader;
  std::int64_t up_to_seq = 0;
  Timestamp at;
};

/// The message log: messages, their receipts, and every user's event stream, read
/// from a cursor (services/messaging).
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class MessageLog {
 public:
  virtual ~MessageLog() = default;

  /// A random id fixed when the database was created. Cursors carry it so that a
  /// client never resumes against a different (e.g. restored) database.
  virtual std::string instance_id() const = 0;

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
  /// number of writes in flight is not bounded by the caller's threads.
  virtual void append_message_async(NewMessage message, AuditDraft audit, CommitHook hook,
                                    WriteDone<MessageAppended> done) = 0;

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
                                      WriteDone<std::vector<Event>> done) = 0;

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

  // ---- Client ids that versions before schema 4 stored in clear ----
  //
  // Sealed once, at start (docs/storage.md, "Values older versions stored in clear").

  /// Messages whose client id is stored in clear, with id > after, in id order, at
  /// most `limit`.
  virtual Result<std::vector<ClientIdInClear>> list_client_ids_in_clear(EventId after,
                                                                        std::size_t limit) = 0;
  /// Replaces each message's clear client id by its token and sealed form, atomically,
  /// erasing the clear bytes as seal_device_names does. Errors: NotFound, changing
  /// nothing, if a message does not exist or its client id is not in clear;
  /// AlreadyExists if a token is already another message's of the same sender.
  virtual Result<void> seal_client_ids(std::span<const SealedClientId> ids) = 0;
};

}  // namespace wl
