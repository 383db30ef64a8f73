#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.hpp"
#include "ports/bus.hpp"
#include "ports/clock.hpp"
#include "ports/message_log.hpp"
#include "ports/thread_store.hpp"
#include "ports/timer_store.hpp"
#include "ports/user_store.hpp"
#include "ports/write_batch.hpp"
#include "services/directory/directory_service.hpp"
#include "services/identity/principal.hpp"
#include "services/messaging/send_router.hpp"
#include "services/patients/patient_service.hpp"

namespace wl {

class AuditLog;
class KeyRing;

struct MessagingLimits {
  std::size_t max_body_bytes = 4096;
  std::size_t max_client_id_bytes = 64;
  std::size_t max_title_bytes = 100;
  std::size_t max_group_members = 500;
  std::size_t max_history_page = 200;
  std::size_t max_event_page = 500;
  std::size_t max_ack_batch = 256;
  // A send's written_at may be this far ahead of the server's clock (clients' clocks
  // drift) and at most max_written_age behind it (an outbox kept offline that long).
  std::chrono::seconds max_written_ahead{300};
  std::chrono::hours max_written_age{24 * 7};
  // How long a delivery receipt may wait to commit with the next write rather than in
  // a commit of its own (WriteBatch::may_wait; `serve --receipt-wait-ms`). The sender's
  // `delivered` event is at most this much later; nobody else waits on it.
  std::chrono::milliseconds receipt_wait{kReceiptWait};
  static constexpr std::chrono::milliseconds kReceiptWait{50};
  std::chrono::minutes max_remind_after{24 * 60};
  std::size_t max_release_batch = 200;  // Held messages one release appends.
  std::size_t max_held_listed = 500;    // Held messages one thread's list shows.
  // Message search (docs/search.md): the longest query text, the most words in it, the
  // largest page, and how many searches a user may start at once and per second after.
  std::size_t max_search_query_bytes = 256;
  std::size_t max_search_words = 8;
  std::size_t max_search_page = 50;
  double search_burst = 20;
  double searches_per_second = 2;
  // Messages the search backfill indexes per write.
  std::size_t search_backfill_batch = 500;
};

// An event with its message's client id and body opened. client_token,
// client_id_sealed and body_sealed are cleared.
struct OpenedEvent {
  Event event;
  std::string client_id;
  std::string body;  // A message's body; a kThreadRenamed's new title.
  std::string callback;  // A message's call-back number; "" for none.
};

// A page of history with what the caller needs to show their own messages' status:
// the other members' read positions, and which recipients have received but not read
// the caller's messages on the page.
struct HistoryPage {
  std::vector<OpenedEvent> messages;  // Newest first.
  HistoryReceipts receipts;           // read excludes the caller.
  std::vector<OpenedEvent> routed;    // Role and direct threads: whom each message reached.
};

// A search of the caller's messages (docs/search.md). `text` or `patient` must be set.
struct MessageSearchRequest {
  std::string text;   // Words that must all be in the message (whole words, folded).
  PatientId patient;  // Set: only threads about this patient.
  EventId before;     // Set: the page after the one that ended with this message.
  std::size_t limit = 20;
};

struct MessageSearchPage {
  std::vector<OpenedEvent> hits;   // Newest first.
  std::vector<std::string> words;  // The query's words as compared (folded), to highlight.
  EventId next_before;             // Set when there may be more: the next page's `before`.
};

struct ThreadView {
  Thread thread;      // title_sealed cleared.
  std::string title;  // Groups and patient groups.
  std::vector<UserId> members;
  std::optional<PatientView> patient;  // Patient threads: the banner.
  std::int64_t read_seq = 0;
  std::int64_t unread_count = 0;
  bool has_unread_urgent = false;
  std::optional<OpenedEvent> last_message;
  // Answers of open_direct and open_patient_thread: the thread existed before the call.
  bool existing = false;
};

struct SendRequest {
  ThreadId thread;
  std::string client_id;
  std::string body;
  bool urgent = false;
  std::optional<Timestamp> written_at;  // When the client says it was written.
  // Remind the sender if nobody has read it this long after it is sent (a durable
  // timer, kReminderTimer): 1 to max_remind_after.
  std::optional<std::chrono::minutes> remind_after;
  // An emergency override (urgent messages only): delivered to an off-duty addressee at
  // once instead of held (docs/routing.md, "Off duty: held messages").
  bool override_availability = false;
  // A hand-off note (docs/routing.md, "Hand-off notes"), in a role thread only: it goes
  // to this person, the role's incoming holder, instead of to the role's holders. For
  // RoutingService, which checks that the sender holds the role.
  UserId hand_off_to;
  // The number to call the sender back on (docs/callback.md), as typed: checked by
  // normalize_phone_number and stored normalised and sealed. "": none.
  std::string callback;
};

// The durable timer that releases the messages held for one person (its key is theirs).
inline constexpr std::string_view kReleaseTimer = "message.release";
// The durable timer that sends an urgent screened message on to its addressee if no
// gatekeeper decided by the org's urgent deadline (its key: the send's, send_timer_key,
// then "@" and the moment it was held).
inline constexpr std::string_view kUnscreenedTimer = "message.unscreened";

// A held message as its sender sees it.
struct OpenedHeld {
  HeldMessage held;  // client_token, client_id_sealed and body_sealed cleared.
  std::string client_id;
  std::string body;
  std::string callback;  // "" for none.
};

// A send that was held: for whom, how they are and until when; screened, by whom.
struct HeldNotice {
  HeldId id;
  UserId user;
  Availability status = Availability::kOffDuty;
  std::optional<Timestamp> until;
  HeldState state = HeldState::kOffDuty;
  std::vector<UserId> gatekeepers;  // kScreening: who screens it.
};

// What a gatekeeper does with a message in their screening list (docs/routing.md,
// "Gatekeepers").
enum class ScreeningAction : std::uint8_t {
  kPass = 1,    // On to its addressee: now, or held until they are back on duty.
  kAnswer = 2,  // Answered by the gatekeeper, who joins the thread at it.
  kKeep = 3,    // Kept for the addressee until they are available.
};

struct ScreeningDecision {
  ScreeningAction action = ScreeningAction::kPass;
  std::string client_id;  // kAnswer: the answer's, as a send's.
  std::string body;       // kAnswer: the answer.
};

// A gatekeeper's screening list: whom they screen for, and what waits for a decision.
struct ScreeningList {
  std::vector<UserId> screens_for;
  std::vector<OpenedHeld> messages;
};

// What became of a screened message.
struct ScreeningResult {
  enum class Outcome : std::uint8_t { kDelivered, kHeld, kKept, kAnswered };
  Outcome outcome = Outcome::kDelivered;
  std::optional<Event> message;  // kDelivered: the message; kAnswered: the answer. Cleared
                                 // of client_token and sealed fields.
};

// The durable timer of a send's reminder (MessagingService::remind).
inline constexpr std::string_view kReminderTimer = "message.reminder";
// The durable timer of a message's escalation and urgent re-alerts (services/routing,
// docs/routing.md "Escalation"), scheduled in the send's batch for messages to a person
// (direct and two-person patient threads) and to a role, from the org's policy
// (SendRouter::cached_policy).
inline constexpr std::string_view kEscalationTimer = "message.escalation";

// What a send needs to know of a thread, which never changes: its kind, and whether it
// is between two people (a direct thread, or a two-person patient thread).
struct ThreadTraits {
  ThreadKind kind = ThreadKind::kGroup;
  bool pair = false;
  UserId first, second;  // A pair thread's two people (from its unique key).
  // Whether its messages escalate (docs/routing.md, "Escalation"): to a person or a role.
  bool escalates() const { return pair || kind == ThreadKind::kRole; }
  // Whom `sender`'s message is addressed to: in a pair thread, the other of the two;
  // unset for anyone else (someone a message was escalated to) and other threads.
  UserId addressee(UserId sender) const {
    if (!pair) {
      return UserId();
    }
    return sender == first ? second : sender == second ? first : UserId();
  }
};
ThreadTraits traits_of(const Thread& thread);

// The key of a send's timers, and their payload: "<sender id>:<client token, hex>", the
// message's idempotency key (a resend of it replaces them).
std::string send_timer_key(UserId sender, std::string_view client_token);
struct SendTimerKey {
  UserId sender;
  std::string client_token;  // Raw bytes.
};
// Reads send_timer_key()'s text back. Errors: InvalidArgument for any other text.
Result<SendTimerKey> parse_send_timer_key(std::string_view key);

struct SendResult {
  Event message;          // client_token, client_id_sealed and body_sealed cleared.
  std::string client_id;  // The request's; a duplicate's original has the same.
  bool duplicate = false;
  // A role thread's message: whom it reached and why (none for a duplicate).
  std::vector<RoutedTo> routed;
  // Set when the message was held instead (message then has only thread_id and
  // created_at: it is in no thread yet).
  std::optional<HeldNotice> held;
  // The addressee's forwarding came back to someone already in its chain (or went on
  // too far): it was not followed.
  bool forward_loop = false;
};

// Threads, messages and receipts: the product rules of who may read and write what.
// Thread-safe; every method but acknowledge_delivered_async blocks on the store, so
// call them from worker threads.
// Committed events are published on the Bus in commit order.
// All collaborators must outlive the service.
class RateLimiter;

class MessagingService {
 public:
  MessagingService(Committer& committer, ThreadStore& threads, MessageLog& log, UserStore& users,
                   KeyRing& keys, AuditLog& audit, Bus& bus, const Clock& clock,
                   PatientService& patients, MessagingLimits limits = {});
  ~MessagingService();

  // The one direct thread between the caller and `other` (created on first use).
  // Errors: InvalidArgument for oneself; NotFound for a user outside the org.
  Result<ThreadView> open_direct(const Principal& actor, UserId other);

  // A new named group with the caller and `members`. Errors: InvalidArgument for a
  // bad title or too many members; NotFound for a member outside the org.
  Result<ThreadView> create_group(const Principal& actor, std::string_view title,
                                  std::span<const UserId> members);

  // A thread about one patient. With one other member it is the unique thread of
  // that pair about that patient (created on first use); with more, the patient group
  // of the same patient whose members are exactly these people, or else a new one
  // titled `title` (an existing one keeps its title). Errors: NotFound for an unknown
  // patient or user.
  Result<ThreadView> open_patient_thread(const Principal& actor, PatientId patient,
                                         std::span<const UserId> members, std::string_view title);

  // The caller's conversation with role `role` (created on first use), titled
  // `role_name`: each message sent there goes to whoever holds the role then (the
  // SendRouter), who joins it. For routing, which has checked the role.
  Result<ThreadView> open_role_thread(const Principal& actor, RoleId role,
                                      std::string_view role_name);

  // Plugs routing into sending (see SendRouter); set once, before serving.
  void set_router(SendRouter* router) { router_ = router; }

  // The caller's threads, most recent activity first (patient banners included;
  // audited as one PHI read when any patient thread is listed).
  Result<std::vector<ThreadView>> list_threads(const Principal& actor);

  // Errors: PermissionDenied for a non-member (audited); NotFound.
  Result<ThreadView> get_thread(const Principal& actor, ThreadId thread);

  // The group threads the caller is a member of, with their titles opened, for directory
  // search (DirectoryService::set_group_lister; the directory audits what it shows).
  // Errors: as the store and KeyRing::open.
  Result<std::vector<DirectoryGroup>> list_groups(const Principal& actor);

  // Group and patient-group threads only. Members (or org admins) may add anyone of
  // the org and remove anyone; removing oneself is leaving.
  // Errors: FailedPrecondition on a direct or two-person patient thread.
  Result<void> add_member(const Principal& actor, ThreadId thread, UserId user);
  Result<void> remove_member(const Principal& actor, ThreadId thread, UserId user);

  // Renames a group (1 to max_title_bytes of UTF-8) or patient group (0 to
  // max_title_bytes: empty shows the patient), for its members and org admins; every
  // member's stream gets a kThreadRenamed. Audited (thread.rename). Errors:
  // InvalidArgument for a bad title; FailedPrecondition on a direct or two-person
  // patient thread; PermissionDenied for a non-member (audited); NotFound.
  Result<ThreadView> rename_thread(const Principal& actor, ThreadId thread, std::string_view title);

  // Appends a message once per (sender, client_id); returns after it is durable. The
  // client id is stored as a blind token (the idempotency key) and sealed, like the
  // body. A written_at later than now is stored as now. Errors: InvalidArgument (empty or
  // oversized body, invalid UTF-8, bad client id, written_at more than max_written_ahead
  // ahead or max_written_age behind); PermissionDenied for a non-member (audited), with
  // "you were removed from this thread" for a former member; NotFound for an unknown
  // thread.
  Result<SendResult> send(const Principal& actor, const SendRequest& request);
  // As send, but returns once the message is queued for commit: `done` gets the
  // result on the store's commit thread (or at once for an error before the write)
  // and must not block. The checks and sealing run on the calling thread and do not
  // block once the org's key is prepared (KeyRing::prepare), so an io thread may call
  // it. Only for a thread sends_without_reads() says yes to: a role thread's send
  // reads who holds the role, so it goes through send_routed_async() on a worker.
  void send_async(const Principal& actor, SendRequest request, WriteDone<SendResult> done);
  // As send_async, for any thread: it first reads what routing needs (a role thread's
  // holders, through the SendRouter), which blocks, then queues the write and returns
  // without waiting for it. For worker threads: a worker is held for the reads only.
  void send_routed_async(const Principal& actor, SendRequest request, WriteDone<SendResult> done);

  // Whether a send to `thread` by a user of `org` needs no read before its write: the
  // thread is known on this node (its kind never changes), is not a role thread, and
  // for a direct thread the org's escalation policy is cached fresh. Never blocks.
  // And a message to a person is known not to be held: their availability is cached
  // fresh and they are not off duty.
  bool sends_without_reads(OrgId org, UserId sender, ThreadId thread) const;

  // Messages with seq < before_seq (0: newest), newest first, and their receipts.
  // Audited PHI read.
  Result<HistoryPage> history(const Principal& actor, ThreadId thread, std::int64_t before_seq,
                              std::size_t limit);

  // One message. Audited PHI read. Errors: NotFound, PermissionDenied.
  Result<OpenedEvent> get_message(const Principal& actor, EventId message);

  // The key with which the caller's client seals the messages it keeps on the device
  // (32 raw bytes; KeyRing::client_storage_key). Audited.
  Result<std::string> client_storage_key(const Principal& actor);

  // Per-recipient status of a message. Errors: NotFound, PermissionDenied.
  Result<std::vector<Receipt>> message_status(const Principal& actor, EventId message);

  // The caller's device received these messages. Unknown or foreign ids are skipped.
  // Records the receipts and their audit entry in one write and returns at once,
  // without blocking (so it may be called from an io thread): `done` gets the count
  // newly delivered on the store's commit thread (or at once for an error before the
  // write) and must not block.
  // Errors: InvalidArgument for more than max_ack_batch ids.
  void acknowledge_delivered_async(const Principal& actor, std::vector<EventId> messages,
                                   WriteDone<std::size_t> done);

  // The caller read the thread up to up_to_seq. Errors: PermissionDenied, NotFound.
  Result<void> mark_read(const Principal& actor, ThreadId thread, std::int64_t up_to_seq);

  // Runs a send's reminder timer (kReminderTimer; JobRunner): if nobody it was sent to
  // has read the message, adds a kReminder for the sender to `batch` (a user event:
  // their devices alert); otherwise nothing. It fires once. Errors: as the store's
  // reads; InvalidArgument for a payload it did not write.
  Result<void> remind(const Timer& timer, WriteBatch& batch);

  // ---- Held messages (docs/routing.md, "Off duty: held messages") ----

  // Runs a person's release timer (kReleaseTimer; JobRunner): if they are no longer off
  // duty, appends the messages held for them to their threads in the order sent (at
  // most max_release_batch, then runs again at once), each with its escalation and
  // reminder timers and a `message.release` audit entry; a held message whose sender
  // has left the thread is dropped (audited). If they are still off duty it runs again
  // when their availability next changes. Errors: as the store's reads.
  Result<void> release(const Timer& timer, WriteBatch& batch);
  // Runs an urgent screened message's kUnscreenedTimer (JobRunner): if it still waits
  // for a gatekeeper, it goes on to its addressee now, even off duty (a kRouted of
  // reason "unscreened"), with its reminder and escalation from now, a kScreening to the
  // gatekeepers and the sender, and a `message.unscreened` audit entry. Decided,
  // withdrawn or released meanwhile: nothing. Errors: as the store's reads.
  Result<void> deliver_unscreened(const Timer& timer, WriteBatch& batch);
  // The release timer to add to a batch that changes `user`'s availability: due now if
  // anything is held for them, none otherwise.
  Result<std::optional<ScheduleTimer>> release_after_change(OrgId org, UserId user);
  // The caller's messages held in `thread`, oldest first. Audited (held.list).
  // Errors: as history.
  Result<std::vector<OpenedHeld>> held_in(const Principal& actor, ThreadId thread);
  // Withdraws the caller's held message: it is deleted and never delivered; returned
  // opened. Audited (message.withdraw). Errors: NotFound (unknown, released, or not the
  // caller's).
  Result<OpenedHeld> withdraw(const Principal& actor, HeldId held);

  // ---- Gatekeepers (docs/routing.md, "Gatekeepers") ----

  // The people the caller is a gatekeeper of, and the messages screened for them, oldest
  // first (at most max_held_listed per person). Audited (screening.list), as a PHI read.
  Result<ScreeningList> screening(const Principal& actor);
  // The caller's decision on screened message `held`, as one of its addressee's
  // gatekeepers. Audited (screening.pass, screening.answer, screening.hold); the sender
  // and the gatekeepers get a kScreening. Errors: NotFound (unknown, decided or
  // released already, or the caller is not a gatekeeper of its addressee: audited);
  // for an answer, as send.
  Result<ScreeningResult> screen(const Principal& actor, HeldId held,
                                 const ScreeningDecision& decision);

  // The caller's event stream after `after`, at most limit events, opened. Each
  // non-empty page is audited as one PHI read.
  Result<std::vector<OpenedEvent>> read_events(const Principal& actor, StreamPosition after,
                                               std::size_t limit);

  // The members of a thread other than the caller, for typing notices (which are
  // not stored). Errors: PermissionDenied for a non-member; NotFound.
  Result<std::vector<UserId>> typing_recipients(const Principal& actor, ThreadId thread);

  // Replaces the message client ids that versions before schema 4 stored in clear by
  // their blind token and sealed form (as send stores them), a batch at a time, and
  // audits how many (once, if any). For start-up, before the service serves anyone:
  // it blocks on the store until none is left, and then none is left in the store's
  // files either (MessageLog::seal_client_ids). Returns the count. Errors: as
  // KeyRing::blind_token, KeyRing::seal and the store; what was sealed before an
  // error stays sealed, and calling again goes on from there.
  Result<std::size_t> seal_client_ids_in_clear();

  // The caller's messages with every word of request.text (and about request.patient,
  // if set), newest first: in the threads they are a member of, all of them; in threads
  // they left, those sent while they were a member (docs/search.md, "Who finds what").
  // Audited as message.search with the number of words, never the words.
  // Errors: InvalidArgument for neither text nor patient, text too long, not UTF-8,
  // with too many words or none (and no patient), or a limit out of range;
  // ResourceExhausted when the caller searches faster than the limits allow.
  Result<MessageSearchPage> search_messages(const Principal& actor,
                                            const MessageSearchRequest& request);

  // Indexes messages sent before search existed (docs/search.md, "Messages sent before
  // search"), newest first, a batch per write, logging its progress, until none is
  // left. Blocks on the store; for start-up, before the service serves anyone. A crash
  // loses nothing: each batch moves the backfill's position in its own transaction, and
  // calling again goes on from there. Returns how many messages it indexed.
  // Errors: as KeyRing::open and the store.
  Result<std::size_t> index_messages_sent_before_search();

  // The position of the newest readable event: where a stream that starts "now" begins.
  Result<StreamPosition> stream_head();

  // Opens one event of the caller's org (client ids and bodies of messages); no audit,
  // no membership check: for the live fan-out, whose recipients the store already chose.
  Result<OpenedEvent> open_event(const Event& event);

  const MessagingLimits& limits() const { return limits_; }

  // The send's message checked and sealed, with its search tokens (prepare_send's
  // first part; public for `wardline bench search`, which times it). Errors:
  // InvalidArgument for a bad request; as KeyRing::seal and blind_token.
  Result<NewMessage> seal_message(const Principal& actor, const SendRequest& request) const;

 private:
  // The thread if it is of the actor's org; NotFound (audited) if it is missing or of
  // another org, so that the two cannot be told apart.
  Result<Thread> find_visible_thread(const Principal& actor, ThreadId thread,
                                     std::string_view action);
  // As find_visible_thread, and PermissionDenied (audited) unless the actor is a member.
  Result<Thread> require_member(const Principal& actor, ThreadId thread, std::string_view action);

  // The search tokens of a stored message's body (opened with the keys).
  Result<std::vector<std::string>> search_tokens_of(const Event& message);
  // As require_member, letting an org admin through without a denial on the trail.
  Result<Thread> require_member_or_admin(const Principal& actor, ThreadId thread,
                                         std::string_view action);
  // A message of the actor's org; NotFound (audited) otherwise.
  Result<Event> find_message(const Principal& actor, EventId message, std::string_view action);
  Result<void> require_same_org(const Principal& actor, std::span<const UserId> users);
  Result<ThreadView> view_of(const Principal& actor, const Thread& thread);
  Result<ThreadView> create(const Principal& actor, NewThread thread);
  // Commits the batch, its events published, and waits for it.
  Result<BatchResult> commit(WriteBatch batch);
  // Commits one change to `thread` by `actor` with its "ok" audit entry (`action`,
  // `detail`), in one batch.
  Result<void> commit_audited(const Principal& actor, Mutation mutation, std::string_view action,
                              ThreadId thread, std::string detail);

  // The send's batch: its AppendMessage first, and its audit entry (written unless the
  // client id was seen before).
  // `traits` are the thread's, if known: a message to a person or a role schedules its
  // escalation (escalation_timer).
  Result<WriteBatch> prepare_send(const Principal& actor, const SendRequest& request,
                                  std::optional<ThreadTraits> traits);
  // The first kEscalationTimer of a message sent `at` to a thread with `traits`, from
  // the org's cached policy; none if it does not escalate or re-alert.
  std::optional<ScheduleTimer> escalation_timer(OrgId org, bool urgent,
                                                std::optional<ThreadTraits> traits,
                                                const std::string& key, Timestamp at) const;
  // Adds a role thread's RouteMessage to the send's batch (reading the thread and asking
  // the router); its index in the batch, or none for another kind of thread.
  Result<std::optional<std::size_t>> add_routing(const Principal& actor, const SendRequest& request,
                                                 WriteBatch& batch);
  // Queues the send's batch (or a held send's); `done` gets the result (with whom a
  // routed message reached) on the commit thread, a membership refusal after its audit
  // entry.
  void commit_send(const Principal& actor, SendRequest request, WriteBatch batch,
                   std::optional<std::size_t> routing, bool forward_loop,
                   WriteDone<SendResult> done);
  // Turns the store's answer into the send's result (refusing a reused client id).
  Result<SendResult> finish_send(const Principal& actor, const SendRequest& request,
                                 MessageAppended appended);
  // What a send to a person does beside appending the message (docs/routing.md):
  // forward it (`to`, reason forwarded), hold it (their availability `periods`), send
  // it as an override (`to`, reason override), or nothing.
  struct PersonRoute {
    std::optional<HeldState> hold;  // Held off duty, or screened by their gatekeepers.
    std::vector<AvailabilityPeriod> periods;
    std::vector<UserId> gatekeepers;
    std::vector<RoutedTo> to;
    bool loop = false;  // Their forwarding loops: not followed.
  };
  // Decides it from how `addressee` is reached: the node's cache when it says there is
  // nothing to do, else read again through the router (blocks).
  Result<PersonRoute> route_to_person(const Principal& actor, UserId addressee,
                                      const SendRequest& request);
  // Adds a forward's or an override's RouteMessage and audit entry to the send's batch;
  // the RouteMessage's index.
  std::size_t add_person_route(const Principal& actor, ThreadId thread, UserId addressee,
                               const PersonRoute& person, WriteBatch& batch);
  // The batch of a send held for `addressee` (as `person` says: off duty, or screened):
  // its HoldMessage, the release timer at their next change, the audit entry, and for
  // a screened one a kScreening to each gatekeeper.
  Result<WriteBatch> prepare_hold(const Principal& actor, const SendRequest& request,
                                  UserId addressee, const PersonRoute& person);
  // Adds to `batch` what releasing `held` at `now` appends: its DeleteHeld (which fails
  // the batch if it no longer waits for a gatekeeper, for all but the release timer),
  // the message (written_at: when it was written) and, but for an answered one, its
  // reminder and escalation timers. The AppendMessage's index.
  enum class ReleasedBy : std::uint8_t { kTimer, kGatekeeper, kAnswer, kUnscreened };
  Result<std::size_t> add_release(const HeldMessage& held, Timestamp now, ReleasedBy by,
                                  WriteBatch& batch);
  // A kScreening about the screening of `subject`'s messages, by `actor`, to each of `to`
  // once.
  static void announce_screening(OrgId org, UserId subject, std::vector<UserId> to, UserId actor,
                                 Timestamp at, WriteBatch& batch);
  // Turns the store's answer to a held send into its result, as finish_send does.
  Result<SendResult> finish_hold(const Principal& actor, const SendRequest& request,
                                 MessageHeld held);
  Result<OpenedHeld> open_held(HeldMessage held);
  // The audit entry of a send the store refused for membership (NotFound or
  // PermissionDenied); nullopt for other errors.
  std::optional<AuditDraft> denied_send(const Principal& actor, ThreadId thread,
                                        const Status& status) const;
  Result<void> check_ack(std::span<const EventId> messages) const;
  Result<void> audit(const Principal& actor, std::string_view action, std::string target,
                     std::string_view outcome, std::string detail = {});

  // The traits of `thread`, from the cache or the store (which fills the cache).
  Result<ThreadTraits> thread_traits(ThreadId thread);
  std::optional<ThreadTraits> cached_traits(ThreadId thread) const;
  void remember_traits(const Thread& thread);

  Committer& committer_;
  ThreadStore& threads_;
  MessageLog& log_;
  UserStore& users_;  // Only to find users.
  KeyRing& keys_;
  AuditLog& audit_;
  Bus& bus_;
  const Clock& clock_;
  PatientService& patients_;
  MessagingLimits limits_;
  std::unique_ptr<RateLimiter> searches_;  // Per user.
  SendRouter* router_ = nullptr;
  // Thread kinds seen on this node (they never change), so that a send knows without a
  // read whether it needs routing. Dropped whole at kTraitsCacheLimit entries.
  static constexpr std::size_t kTraitsCacheLimit = 100'000;
  mutable std::mutex traits_mutex_;
  std::unordered_map<ThreadId, ThreadTraits> traits_;  // GUARDED_BY(traits_mutex_)
};

// The sealing context of a message body: bound to its org, thread, sender and client
// id, which are known before the message has an id.
std::string message_record_key(ThreadId thread, UserId sender, std::string_view client_id);

// The text whose blind token is a message's idempotency key: the client id, per sender.
std::string client_token_text(UserId sender, std::string_view client_id);

// The sealing context of a message's client id: its thread, sender and client token
// (the client id itself is what it seals).
std::string client_id_record_key(ThreadId thread, UserId sender, std::string_view client_token);

// The sealing context of a thread title.
std::string title_record_key(const Thread& thread);

}  // namespace wl
