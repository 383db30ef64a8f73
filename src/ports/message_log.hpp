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
  std::string callback_sealed;          // The call-back number, sealed; empty: none.
  // The blind tokens of the body's words (docs/search.md), written to the search index
  // in the append's transaction; raw bytes, kSearchTokenBytes each, no duplicates.
  // Not kept for a held message: its release computes them again.
  std::vector<std::string> search_tokens;
};

// The length of a message search token: the first 16 bytes of the HMAC (docs/search.md).
inline constexpr std::size_t kSearchTokenBytes = 16;

// What MessageLog::search_messages looks for (docs/search.md).
struct MessageQuery {
  UserId user;  // Whose messages: those of the threads they are, or were, a member of.
  // Each is a search token (kSearchTokenBytes) the message must have: all of them.
  // Empty: every message (patient must then be set).
  std::vector<std::string> tokens;
  PatientId patient;  // Set: only threads about this patient.
  EventId before;     // Set: only messages with a smaller id (the next page).
  std::size_t limit = 20;
};

// Messages of the index backfill (docs/search.md, "Messages sent before search"): each
// message's tokens, and where the backfill stands once they are written.
struct IndexedMessage {
  EventId message;
  ThreadId thread;
  std::vector<std::string> search_tokens;
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

/// Appends a message with the thread's next seq. Result: MessageAppended. A second
/// append with the same (sender, client_token) stores nothing and gives the original
/// with duplicate = true (and no event for the hook). The first message of a thread
/// also appends, just before it, a kMemberAdded for each member whose stream the
/// thread is not in yet (a direct thread's other member), and opens their membership
/// period there. A mutation: written through a WriteBatch.
/// Errors: NotFound for an unknown thread or one not of message.org_id;
/// PermissionDenied if the sender is not a member of it: "you were removed from this
/// thread" if they were once, "you are not a member of this thread" otherwise.
struct AppendMessage {
  NewMessage message;
};

// Whom a message of a role thread reached, and why (Event::reason of its kRouted).
struct RoutedTo {
  UserId user;
  std::string reason;
  // Forwarded: the person whose forwarding sent it to `user` (the kRouted's actor;
  // unset: the message's sender).
  UserId via;
};

// Why a held message waits, and so when it is released (docs/routing.md, "Off duty:
// held messages", "Gatekeepers").
enum class HeldState : std::uint8_t {
  kOffDuty = 1,    // Its recipient was off duty: released when they no longer are.
  kScreening = 2,  // In their gatekeepers' screening list: released when they are available.
  kKept = 3,       // A gatekeeper kept it for them: released when they are available.
};

/// A message held for an off-duty person (docs/routing.md, "Off duty: held messages"),
/// or for a person who is not available, with their gatekeepers ("Gatekeepers"):
/// stored, sealed, as its send would have appended it, and not in its thread until it
/// is released (appended by an AppendMessage of `message`).
struct HeldMessage {
  HeldId id;
  NewMessage message;  // created_at: when it was sent.
  UserId recipient;    // Whom it waits for.
  Timestamp held_at;
  std::optional<Timestamp> until;  // The recipient's off-duty end, as known when held.
  // The reminder the sender asked for, scheduled when the message is released.
  std::optional<std::chrono::minutes> remind_after;
  HeldState state = HeldState::kOffDuty;
  UserId screened_by;  // The gatekeeper who passed it on (held off duty since) or kept it.
};

struct MessageHeld {
  HeldMessage held;        // Empty when `sent` is set.
  bool duplicate = false;  // The client token was held before: `held` is the original.
  // The client token is already a message (sent, or held and released since): that
  // message, and nothing was written.
  std::optional<Event> sent;
};

/// Holds a message for `recipient` instead of appending it. Checked as AppendMessage
/// is, in the write's transaction: a client token the sender already used for a message
/// gives that message (`sent`) and one already held gives the held message
/// (`duplicate`), writing nothing; then the thread must be of the message's org and the
/// sender a member. Result: MessageHeld. Errors: as AppendMessage.
struct HoldMessage {
  NewMessage message;
  UserId recipient;
  std::optional<Timestamp> until;
  std::optional<std::chrono::minutes> remind_after;
  HeldState state = HeldState::kOffDuty;
};

/// Moves held message `id` from state `from` to `to`, recording the gatekeeper who
/// decided (`by`). Result: true if it was held in state `from` (false: nothing written;
/// it was released, withdrawn or decided on meanwhile).
struct ScreenHeld {
  HeldId id;
  HeldState from = HeldState::kScreening;
  HeldState to = HeldState::kKept;
  UserId by;
};

/// Deletes held message `id` (released, dropped or withdrawn); with `sender` set, only
/// if it is theirs, and with `state` set, only if it is held in that state. Result: true
/// if there was one (false: nothing written). Errors: NotFound if there was none and
/// `must_exist` (a release: the batch that would append it fails whole, so a message
/// withdrawn or decided on meanwhile is never appended).
struct DeleteHeld {
  HeldId id;
  UserId sender;
  bool must_exist = false;
  std::optional<HeldState> state;
};

/// Records whom a message of `thread` reached: the one the batch has just appended to
/// it (by an AppendMessage before this mutation), or with `message` set that earlier
/// message (an escalation). Each user of `to` who is not a member yet joins, with their
/// membership period opened at that message (so it is in their stream) and a
/// kMemberAdded by the sender; then one kRouted per user, naming `role` (unset for a
/// person's backup) and the reason. Result: the kRouted events (std::vector<Event>);
/// none, and nothing written, if the batch appended no message to the thread (a resent
/// client id). A mutation: written through a WriteBatch. Errors: NotFound for a user not
/// of the thread's org, or a `message` that is not a message of `thread`.
struct RouteMessage {
  ThreadId thread;
  RoleId role;
  std::vector<RoutedTo> to;
  Timestamp at;
  EventId message;
};

/// Writes the search tokens of messages sent before search existed, and lowers the
/// backfill's position to `below` (every message with id >= below is then indexed).
/// Result: std::monostate. Errors: FailedPrecondition, writing nothing, if the position
/// is already at or below `below` (another node did this part).
struct IndexMessages {
  std::vector<IndexedMessage> messages;
  EventId below;
};

/// Marks the given messages delivered to `recipient` at `at`, for those that exist,
/// are in a thread the recipient belongs to, were sent by someone else and were not
/// delivered to them before, and appends one kDelivered event per newly delivered
/// message. Result: those events (std::vector<Event>, empty if none). Unknown ids are
/// skipped, not errors. A mutation: written through a WriteBatch.
struct RecordDelivered {
  UserId recipient;
  std::vector<EventId> messages;
  Timestamp at;
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

/// Appends an event that is news for one user or for their whole org rather than for a
/// thread: a kind whose scope_of() is kUser (in `user`'s stream) or kOrg (in the
/// stream of every user of `org`). `subject` is whom it is about; `role`, the role a
/// routing kind is about; `ref`, the message a kReminder, kUnanswered or kAlert is about. Result:
/// the Event. Errors: InvalidArgument for a thread kind, or a user event naming no user; NotFound
/// if `user` (a user event's) or `subject` is not a user of `org`. A mutation: written
/// through a WriteBatch, beside the change it announces.
struct AppendScopedEvent {
  EventKind kind = EventKind::kUserChanged;
  OrgId org;
  UserId user;  // User scope: whose stream.
  UserId actor;
  UserId subject;
  Timestamp at;
  RoleId role;
  EventId ref;  // The message a kReminder, kUnanswered or kAlert is about.
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

  /// Errors: NotFound.
  virtual Result<Event> find_event(EventId id) = 0;

  /// The message `sender` sent with this client token (NewMessage::client_token).
  /// Errors: NotFound.
  virtual Result<Event> find_message_by_client_token(UserId sender, std::string_view token) = 0;

  /// The user's stream after `after`, in position order, at most `limit`: each thread's
  /// events while they were a member, from the creation (first members) or their
  /// kMemberAdded to their kMemberRemoved, both included (of the deliveries, those to
  /// or from them: see CommittedEvent); the events scoped to them; and their org's.
  /// These are the events a CommitHook named them a recipient of (org events: every
  /// user of the org). An event becomes readable only once nothing can still commit at
  /// a position before it, so a reader never finds an event behind a position it has
  /// read.
  virtual Result<std::vector<Event>> read_user_events(UserId user, StreamPosition after,
                                                      std::size_t limit) = 0;

  /// The position of the last readable event ({} if none): where a new reader starts.
  virtual Result<StreamPosition> stream_head() = 0;

  /// Messages of a thread with seq < before_seq (0 = from the newest), newest first,
  /// at most `limit`.
  virtual Result<std::vector<Event>> read_thread_messages(ThreadId thread, std::int64_t before_seq,
                                                          std::size_t limit) = 0;

  /// The kRouted events of `thread` about its messages with seq in [from_seq, to_seq]
  /// (whom each reached: role threads), ordered by the message's seq, then id.
  virtual Result<std::vector<Event>> read_thread_routing(ThreadId thread, std::int64_t from_seq,
                                                         std::int64_t to_seq) = 0;

  /// The messages `query.user` may find (docs/search.md, "Who finds what"): in each
  /// thread they are a member of, every message (as its history shows them); in a
  /// thread they left, those of their membership periods, from the event that added
  /// them to the one that removed them. Of those, the ones with every token of the
  /// query, in threads about query.patient if set, with id < query.before if set;
  /// newest (highest id) first, at most query.limit (clamped to 1000).
  virtual Result<std::vector<Event>> search_messages(const MessageQuery& query) = 0;

  /// The backfill's position: every message with id >= it is in the search index;
  /// 1 when every message is.
  virtual Result<EventId> search_backfill_position() = 0;

  /// The messages below the backfill's position, newest first, at most `limit`.
  virtual Result<std::vector<Event>> list_unindexed_messages(std::size_t limit) = 0;

  // ---- Held messages (docs/routing.md, "Off duty: held messages") ----

  /// Errors: NotFound.
  virtual Result<HeldMessage> find_held(HeldId id) = 0;
  /// The message `sender` has held under `client_token` (raw bytes). Errors: NotFound.
  virtual Result<HeldMessage> find_held_by_token(UserId sender, std::string_view client_token) = 0;
  /// The messages held for `recipient` (in `state`, if set), oldest first, at most
  /// `limit`.
  virtual Result<std::vector<HeldMessage>> list_held_for(UserId recipient,
                                                         std::optional<HeldState> state,
                                                         std::size_t limit) = 0;
  /// The messages `sender` has held in `thread`, oldest first, at most `limit`.
  virtual Result<std::vector<HeldMessage>> list_held_in(ThreadId thread, UserId sender,
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
