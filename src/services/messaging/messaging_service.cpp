#include "services/messaging/messaging_service.hpp"

#include <algorithm>
#include <charconv>
#include <future>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "core/crypto/encoding.hpp"
#include "core/phone_number.hpp"
#include "core/utf8.hpp"
#include "services/audit/audit_log.hpp"
#include "services/identity/rate_limiter.hpp"
#include "services/keys/key_ring.hpp"
#include "services/messaging/message_search.hpp"
#include "services/messaging/records.hpp"

namespace wl {
namespace {

using messaging::kMessageKind;
using messaging::message_target;
using messaging::thread_target;

constexpr std::string_view kThreadKind = "thread";
// Client ids sealed per store call by seal_client_ids_in_clear.
constexpr std::size_t kSealBatch = 500;

// Client ids are opaque to the server but must be printable ASCII without spaces, so
// they are safe in logs and JSON.
bool valid_client_id(std::string_view id, std::size_t max_bytes) {
  if (id.empty() || id.size() > max_bytes) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

// An audit entry of `actor`'s action at `at`.
std::vector<UserId> sorted_unique(std::vector<UserId> users) {
  std::sort(users.begin(), users.end());
  users.erase(std::unique(users.begin(), users.end()), users.end());
  return users;
}

}  // namespace

// Thread titles are sealed before the thread has an id, so their record key names the
// creator and the creation instant (or the unique key, for threads that have one).
std::string title_record_key(const Thread& thread) {
  if (!thread.unique_key.empty()) {
    return thread.unique_key;
  }
  return fmt::format("creator:{}/at:{}", thread.created_by.value(), to_micros(thread.created_at));
}

std::string message_record_key(ThreadId thread, UserId sender, std::string_view client_id) {
  return fmt::format("thread:{}/sender:{}/client:{}", thread.value(), sender.value(), client_id);
}

std::string client_token_text(UserId sender, std::string_view client_id) {
  return fmt::format("client_id:{}:{}", sender.value(), client_id);
}

std::string client_id_record_key(ThreadId thread, UserId sender, std::string_view client_token) {
  return fmt::format("thread:{}/sender:{}/client_token:{}", thread.value(), sender.value(),
                     client_token);
}

MessagingService::MessagingService(Committer& committer, ThreadStore& threads, MessageLog& log,
                                   UserStore& users, KeyRing& keys, AuditLog& audit, Bus& bus,
                                   const Clock& clock, PatientService& patients,
                                   MessagingLimits limits)
    : committer_(committer),
      threads_(threads),
      log_(log),
      users_(users),
      keys_(keys),
      audit_(audit),
      bus_(bus),
      clock_(clock),
      patients_(patients),
      limits_(limits),
      searches_(
          std::make_unique<RateLimiter>(clock, limits.searches_per_second, limits.search_burst)) {}

MessagingService::~MessagingService() = default;

Result<void> MessagingService::audit(const Principal& actor, std::string_view action,
                                     std::string target, std::string_view outcome,
                                     std::string detail) {
  WL_TRY(audit_.record(
      audit_draft(actor, clock_.now(), action, std::move(target), outcome, std::move(detail))));
  return ok();
}

Result<BatchResult> MessagingService::commit(WriteBatch batch) {
  return commit_and_wait(committer_, std::move(batch), publish_to(bus_));
}

Result<void> MessagingService::commit_audited(const Principal& actor, Mutation mutation,
                                              std::string_view action, ThreadId thread,
                                              std::string detail) {
  WriteBatch batch;
  batch.add(std::move(mutation));
  batch.audit(
      audit_draft(actor, clock_.now(), action, thread_target(thread), "ok", std::move(detail)));
  WL_TRY(commit(std::move(batch)));
  return ok();
}

Result<Thread> MessagingService::find_visible_thread(const Principal& actor, ThreadId thread_id,
                                                     std::string_view action) {
  auto thread = threads_.find_thread(thread_id);
  if (!thread && thread.error().code() != Code::kNotFound) {
    return std::unexpected(thread.error());
  }
  if (!thread || thread->org_id != actor.org) {
    // Another org's thread gets the answer of a missing one: an id says nothing about
    // other orgs' data. The trail still tells them apart.
    (void)audit(actor, action, thread_target(thread_id), "denied",
                thread ? "other_org" : "not_found");
    return error(Code::kNotFound, "thread not found");
  }
  return std::move(*thread);
}

Result<Thread> MessagingService::require_member(const Principal& actor, ThreadId thread_id,
                                                std::string_view action) {
  Thread thread = WL_TRY(find_visible_thread(actor, thread_id, action));
  if (!WL_TRY(threads_.is_member(thread_id, actor.user))) {
    (void)audit(actor, action, thread_target(thread_id), "denied", "not_member");
    return error(Code::kPermissionDenied, "you are not a member of this thread");
  }
  return thread;
}

Result<Thread> MessagingService::require_member_or_admin(const Principal& actor, ThreadId thread_id,
                                                         std::string_view action) {
  Thread thread = WL_TRY(find_visible_thread(actor, thread_id, action));
  // An org admin manages any thread of the org without being a member; nothing to deny.
  if (!actor.is_admin && !WL_TRY(threads_.is_member(thread_id, actor.user))) {
    (void)audit(actor, action, thread_target(thread_id), "denied", "not_member");
    return error(Code::kPermissionDenied, "you are not a member of this thread");
  }
  return thread;
}

Result<void> MessagingService::require_same_org(const Principal& actor,
                                                std::span<const UserId> users) {
  for (const UserId user_id : users) {
    auto user = users_.find_user(user_id);
    if (!user || user->org_id != actor.org || user->disabled) {
      return error(Code::kNotFound, fmt::format("no such user: {}", user_id.value()));
    }
  }
  return ok();
}

ThreadTraits traits_of(const Thread& thread) {
  ThreadTraits traits{thread.kind,
                      thread.kind == ThreadKind::kDirect ||
                          (thread.kind == ThreadKind::kPatient && !thread.unique_key.empty())};
  if (traits.pair) {
    // "direct:<low>:<high>" or "patient:<patient>:<low>:<high>": the last two fields.
    const std::string_view key = thread.unique_key;
    const std::size_t last = key.rfind(':');
    const std::size_t before = last == 0 || last == std::string_view::npos
                                   ? std::string_view::npos
                                   : key.rfind(':', last - 1);
    std::int64_t first = 0;
    std::int64_t second = 0;
    if (before != std::string_view::npos) {
      std::from_chars(key.data() + before + 1, key.data() + last, first);
      std::from_chars(key.data() + last + 1, key.data() + key.size(), second);
    }
    traits.first = UserId(first);
    traits.second = UserId(second);
  }
  return traits;
}

void MessagingService::remember_traits(const Thread& thread) {
  const std::lock_guard lock(traits_mutex_);
  if (traits_.size() >= kTraitsCacheLimit) {
    traits_.clear();
  }
  traits_.emplace(thread.id, traits_of(thread));
}

Result<ThreadTraits> MessagingService::thread_traits(ThreadId thread) {
  {
    const std::lock_guard lock(traits_mutex_);
    if (auto found = traits_.find(thread); found != traits_.end()) {
      return found->second;
    }
  }
  const Thread stored = WL_TRY(threads_.find_thread(thread));
  remember_traits(stored);
  return traits_of(stored);
}

std::optional<ThreadTraits> MessagingService::cached_traits(ThreadId thread) const {
  const std::lock_guard lock(traits_mutex_);
  const auto found = traits_.find(thread);
  return found == traits_.end() ? std::nullopt : std::optional<ThreadTraits>(found->second);
}

bool MessagingService::sends_without_reads(OrgId org, UserId sender, ThreadId thread) const {
  const auto traits = cached_traits(thread);
  if (!traits || traits->kind == ThreadKind::kRole) {
    return false;
  }
  if (!traits->pair || router_ == nullptr) {
    return true;
  }
  // A message to a person schedules its escalation from the org's policy, held fresh,
  // and is held if they are off duty or screened by their gatekeepers.
  if (!router_->policy_fresh(org)) {
    return false;
  }
  const UserId addressee = traits->addressee(sender);
  if (!addressee.is_set()) {
    return true;
  }
  return router_->reaches_directly(addressee, sender);
}

std::string send_timer_key(UserId sender, std::string_view client_token) {
  return fmt::format("{}:{}", sender.value(), crypto::hex_encode(client_token));
}

Result<SendTimerKey> parse_send_timer_key(std::string_view key) {
  const auto colon = key.find(':');
  std::int64_t sender = 0;
  const char* sender_end = key.data() + (colon == std::string_view::npos ? 0 : colon);
  const auto [end, code] = std::from_chars(key.data(), sender_end, sender);
  if (colon == std::string_view::npos || code != std::errc() || end != sender_end || sender <= 0) {
    return error(Code::kInvalidArgument, "not a send's timer key");
  }
  return SendTimerKey{UserId(sender), WL_TRY(crypto::hex_decode(key.substr(colon + 1)))};
}

std::optional<ScheduleTimer> MessagingService::escalation_timer(OrgId org, bool urgent,
                                                                std::optional<ThreadTraits> traits,
                                                                const std::string& key,
                                                                Timestamp at) const {
  if (router_ == nullptr || !traits || !traits->escalates()) {
    return std::nullopt;
  }
  const auto policy = router_->cached_policy(org);
  if (!policy) {
    return std::nullopt;
  }
  const auto first = next_escalation_at(*policy, urgent, at, at, true);
  if (!first) {
    return std::nullopt;
  }
  return ScheduleTimer{std::string(kEscalationTimer), key, org, *first, key};
}

Result<ThreadView> MessagingService::view_of(const Principal& actor, const Thread& thread) {
  remember_traits(thread);
  ThreadView view;
  view.thread = thread;
  view.thread.title_sealed.clear();
  if (!thread.title_sealed.empty()) {
    view.title = WL_TRY(
        keys_.open(SealContext{thread.org_id, kThreadKind, title_record_key(thread), "title"},
                   thread.title_sealed));
  }
  if (thread.patient_id.is_set()) {
    view.patient = WL_TRY(patients_.open_unaudited(actor.org, thread.patient_id));
  }
  for (const Member& member : WL_TRY(threads_.list_members(thread.id))) {
    view.members.push_back(member.user_id);
    if (member.user_id == actor.user) {
      view.read_seq = member.read_seq;
    }
  }
  return view;
}

Result<std::vector<DirectoryGroup>> MessagingService::list_groups(const Principal& actor) {
  std::vector<DirectoryGroup> groups;
  for (const ThreadSummary& summary : WL_TRY(threads_.list_threads_for_user(actor.user))) {
    const Thread& thread = summary.thread;
    if (thread.kind != ThreadKind::kGroup || thread.org_id != actor.org) {
      continue;
    }
    std::string title;
    if (!thread.title_sealed.empty()) {
      title = WL_TRY(
          keys_.open(SealContext{thread.org_id, kThreadKind, title_record_key(thread), "title"},
                     thread.title_sealed));
    }
    groups.push_back(DirectoryGroup{thread.id, std::move(title), summary.members.size()});
  }
  return groups;
}

Result<ThreadView> MessagingService::create(const Principal& actor, NewThread thread) {
  thread.org_id = actor.org;
  thread.created_by = actor.user;
  if (to_micros(thread.created_at) == 0) {
    thread.created_at = clock_.now();
  }
  thread.members.push_back(actor.user);
  thread.members = sorted_unique(std::move(thread.members));
  if (thread.members.size() > limits_.max_group_members) {
    return error(Code::kInvalidArgument,
                 fmt::format("a thread has at most {} members", limits_.max_group_members));
  }
  if (auto same_org = require_same_org(actor, thread.members); !same_org) {
    // Naming a user of another org (or none) is a cross-org lookup: on the trail.
    (void)audit(actor, "thread.create", "thread:new", "denied", same_org.error().message());
    return std::unexpected(same_org.error());
  }
  WriteBatch batch;
  const std::size_t created = batch.add(CreateThread{thread});
  // Audited only when it made a thread, not when it gave an existing one.
  batch.audit(audit_draft(actor, clock_.now(), "thread.create", "thread:new", "ok",
                          fmt::format("members={}", thread.members.size())),
              [created](AuditDraft& draft, const std::vector<MutationResult>& results) {
                const auto& made = std::get<ThreadCreated>(results.at(created));
                draft.target = thread_target(made.thread.id);
                return made.created;
              });
  const BatchResult committed = WL_TRY(commit(std::move(batch)));
  const ThreadCreated& result = committed.result<ThreadCreated>(created);
  ThreadView view = WL_TRY(view_of(actor, result.thread));
  view.existing = !result.created;
  return view;
}

Result<ThreadView> MessagingService::open_direct(const Principal& actor, UserId other) {
  if (other == actor.user) {
    return error(Code::kInvalidArgument, "a direct thread needs another person");
  }
  NewThread thread;
  thread.kind = ThreadKind::kDirect;
  const auto [low, high] = std::minmax(actor.user, other);
  thread.unique_key = fmt::format("direct:{}:{}", low.value(), high.value());
  thread.members = {other};
  return create(actor, std::move(thread));
}

Result<ThreadView> MessagingService::open_role_thread(const Principal& actor, RoleId role,
                                                      std::string_view role_name) {
  NewThread thread;
  thread.kind = ThreadKind::kRole;
  thread.role_id = role;
  thread.unique_key = fmt::format("role:{}:{}", role.value(), actor.user.value());
  thread.created_by = actor.user;
  thread.created_at = clock_.now();
  // Sealed as a group's title is (the role's name as it was when the thread began),
  // bound to the thread's unique key.
  thread.title_sealed = WL_TRY(
      keys_.seal(SealContext{actor.org, kThreadKind,
                             title_record_key(Thread{.unique_key = thread.unique_key}), "title"},
                 role_name));
  return create(actor, std::move(thread));
}

Result<ThreadView> MessagingService::create_group(const Principal& actor, std::string_view title,
                                                  std::span<const UserId> members) {
  if (title.empty() || title.size() > limits_.max_title_bytes || !is_valid_utf8(title)) {
    return error(Code::kInvalidArgument,
                 fmt::format("a group title is 1 to {} bytes of UTF-8", limits_.max_title_bytes));
  }
  NewThread thread;
  thread.kind = ThreadKind::kGroup;
  thread.members.assign(members.begin(), members.end());
  // Titles are sealed: they may name a patient. The record key is fixed before the
  // thread has an id, so it names the creator and the creation instant.
  thread.created_by = actor.user;
  thread.created_at = clock_.now();
  thread.title_sealed = WL_TRY(keys_.seal(
      SealContext{
          actor.org, kThreadKind,
          title_record_key(Thread{.created_by = actor.user, .created_at = thread.created_at}),
          "title"},
      title));
  return create(actor, std::move(thread));
}

Result<ThreadView> MessagingService::open_patient_thread(const Principal& actor,
                                                         PatientId patient_id,
                                                         std::span<const UserId> members,
                                                         std::string_view title) {
  WL_TRY(patients_.open_unaudited(actor.org, patient_id));
  std::vector<UserId> others;
  for (const UserId member : members) {
    if (member != actor.user) {
      others.push_back(member);
    }
  }
  others = sorted_unique(std::move(others));
  if (others.empty()) {
    return error(Code::kInvalidArgument, "a patient thread needs at least one other member");
  }
  NewThread thread;
  thread.kind = ThreadKind::kPatient;
  thread.patient_id = patient_id;
  thread.members = others;
  thread.created_at = clock_.now();
  if (others.size() == 1) {
    const auto [low, high] = std::minmax(actor.user, others.front());
    thread.unique_key =
        fmt::format("patient:{}:{}:{}", patient_id.value(), low.value(), high.value());
  } else {
    // The same people about the same patient again: the conversation they already have.
    thread.reuse_same_members = true;
    if (title.size() > limits_.max_title_bytes || !is_valid_utf8(title)) {
      return error(Code::kInvalidArgument,
                   fmt::format("a title is at most {} bytes of UTF-8", limits_.max_title_bytes));
    }
    if (!title.empty()) {
      thread.title_sealed = WL_TRY(keys_.seal(
          SealContext{
              actor.org, kThreadKind,
              title_record_key(Thread{.created_by = actor.user, .created_at = thread.created_at}),
              "title"},
          title));
    }
  }
  auto view = create(actor, std::move(thread));
  if (view) {
    WL_TRY(audit(actor, "patient.read", fmt::format("patient:{}", patient_id.value()), "ok",
                 thread_target(view->thread.id)));
  }
  return view;
}

Result<std::vector<ThreadView>> MessagingService::list_threads(const Principal& actor) {
  const auto summaries = WL_TRY(threads_.list_threads_for_user(actor.user));
  std::vector<ThreadView> views;
  views.reserve(summaries.size());
  std::size_t patient_threads = 0;
  for (const ThreadSummary& summary : summaries) {
    ThreadView view = WL_TRY(view_of(actor, summary.thread));
    view.read_seq = summary.read_seq;
    view.unread_count = summary.unread_count;
    view.has_unread_urgent = summary.has_unread_urgent;
    if (summary.last_message) {
      view.last_message = WL_TRY(open_event(*summary.last_message));
    }
    patient_threads += view.patient.has_value() ? 1 : 0;
    views.push_back(std::move(view));
  }
  WL_TRY(audit(actor, "thread.list", fmt::format("user:{}", actor.user.value()), "ok",
               fmt::format("threads={} patient_threads={}", views.size(), patient_threads)));
  return views;
}

Result<ThreadView> MessagingService::get_thread(const Principal& actor, ThreadId thread_id) {
  const Thread thread = WL_TRY(require_member(actor, thread_id, "thread.get"));
  return view_of(actor, thread);
}

Result<void> MessagingService::add_member(const Principal& actor, ThreadId thread_id, UserId user) {
  const Thread found = WL_TRY(require_member_or_admin(actor, thread_id, "thread.member.add"));
  if (!found.unique_key.empty()) {
    return error(Code::kFailedPrecondition,
                 "members of a direct or two-person patient thread are fixed: start a group");
  }
  const UserId users[] = {user};
  if (auto same_org = require_same_org(actor, users); !same_org) {
    (void)audit(actor, "thread.member.add", thread_target(thread_id), "denied",
                same_org.error().message());
    return std::unexpected(same_org.error());
  }
  return commit_audited(actor, AddMember{thread_id, user, actor.user, clock_.now()},
                        "thread.member.add", thread_id, fmt::format("user={}", user.value()));
}

Result<void> MessagingService::remove_member(const Principal& actor, ThreadId thread_id,
                                             UserId user) {
  const Thread found = WL_TRY(require_member_or_admin(actor, thread_id, "thread.member.remove"));
  if (!found.unique_key.empty()) {
    return error(Code::kFailedPrecondition,
                 "members of a direct or two-person patient thread are fixed");
  }
  return commit_audited(actor, RemoveMember{thread_id, user, actor.user, clock_.now()},
                        "thread.member.remove", thread_id, fmt::format("user={}", user.value()));
}

Result<ThreadView> MessagingService::rename_thread(const Principal& actor, ThreadId thread_id,
                                                   std::string_view title) {
  const Thread found = WL_TRY(require_member_or_admin(actor, thread_id, "thread.rename"));
  if (!found.unique_key.empty() || found.kind == ThreadKind::kDirect) {
    return error(Code::kFailedPrecondition,
                 "a direct or two-person patient thread has no title: start a group");
  }
  const bool may_be_empty = found.kind == ThreadKind::kPatient;
  if ((title.empty() && !may_be_empty) || title.size() > limits_.max_title_bytes ||
      !is_valid_utf8(title)) {
    return error(
        Code::kInvalidArgument,
        may_be_empty
            ? fmt::format("a title is at most {} bytes of UTF-8", limits_.max_title_bytes)
            : fmt::format("a group title is 1 to {} bytes of UTF-8", limits_.max_title_bytes));
  }
  // The event carries the title sealed as the thread's own (open_event opens it so).
  std::string sealed;
  if (!title.empty()) {
    sealed = WL_TRY(keys_.seal(
        SealContext{found.org_id, kThreadKind, title_record_key(found), "title"}, title));
  }
  WL_TRY(commit_audited(actor, RenameThread{thread_id, std::move(sealed), actor.user, clock_.now()},
                        "thread.rename", thread_id, fmt::format("bytes={}", title.size())));
  return view_of(actor, WL_TRY(threads_.find_thread(thread_id)));
}

Result<NewMessage> MessagingService::seal_message(const Principal& actor,
                                                  const SendRequest& request) const {
  if (!valid_client_id(request.client_id, limits_.max_client_id_bytes)) {
    return error(Code::kInvalidArgument,
                 fmt::format("client_id must be 1 to {} printable ASCII characters",
                             limits_.max_client_id_bytes));
  }
  if (request.body.empty()) {
    return error(Code::kInvalidArgument, "the message is empty");
  }
  if (request.body.size() > limits_.max_body_bytes) {
    return error(Code::kInvalidArgument, fmt::format("the message is {} bytes; the limit is {}",
                                                     request.body.size(), limits_.max_body_bytes));
  }
  if (!is_valid_utf8(request.body)) {
    return error(Code::kInvalidArgument, "the message is not valid UTF-8");
  }
  if (request.override_availability && !request.urgent) {
    return error(Code::kInvalidArgument, "only an urgent message may override availability");
  }
  if (request.remind_after && (*request.remind_after < std::chrono::minutes(1) ||
                               *request.remind_after > limits_.max_remind_after)) {
    return error(Code::kInvalidArgument,
                 fmt::format("remind_after_minutes is 1 to {}", limits_.max_remind_after.count()));
  }
  std::string callback;
  if (!request.callback.empty()) {
    callback = WL_TRY(normalize_phone_number(request.callback, "callback"));
  }
  const Timestamp now = clock_.now();
  if (request.written_at) {
    if (*request.written_at > now + limits_.max_written_ahead) {
      return error(Code::kInvalidArgument,
                   fmt::format("written_at is more than {} seconds ahead of the server's clock",
                               limits_.max_written_ahead.count()));
    }
    if (*request.written_at < now - limits_.max_written_age) {
      return error(Code::kInvalidArgument, fmt::format("written_at is more than {} hours ago",
                                                       limits_.max_written_age.count()));
    }
  }
  // Membership is checked by the store inside the write (denied_send audits a
  // refusal), so a send does no read before it: sealing is all the work here, on the
  // caller's thread, none of it on the store's writer. Users can type a client id
  // (`wardline chat --client-id`), so it is stored as typed text: a blind token for
  // the idempotency lookup and the value sealed for giving it back.
  NewMessage message;
  message.org_id = actor.org;
  message.thread_id = request.thread;
  message.sender = actor.user;
  message.client_token =
      WL_TRY(keys_.blind_token(actor.org, client_token_text(actor.user, request.client_id)));
  message.client_id_sealed = WL_TRY(
      keys_.seal(SealContext{actor.org, kMessageKind,
                             client_id_record_key(request.thread, actor.user, message.client_token),
                             "client_id"},
                 request.client_id));
  message.urgent = request.urgent;
  message.created_at = now;
  if (request.written_at) {
    // A clock a little ahead is not a message from the future: it was written now.
    message.written_at = std::min(*request.written_at, now);
  }
  message.body_sealed = WL_TRY(keys_.seal(
      SealContext{actor.org, kMessageKind,
                  message_record_key(request.thread, actor.user, request.client_id), "body"},
      request.body));
  if (!callback.empty()) {
    // Bound to the message's record as its body is (docs/sealed_values.md).
    message.callback_sealed = WL_TRY(keys_.seal(
        SealContext{actor.org, kMessageKind,
                    message_record_key(request.thread, actor.user, request.client_id), "callback"},
        callback));
  }
  // Written to the search index in the append's own transaction (docs/search.md).
  message.search_tokens =
      WL_TRY(messaging::word_tokens(keys_, actor.org, messaging::distinct_words(request.body)));
  return message;
}

Result<WriteBatch> MessagingService::prepare_send(const Principal& actor,
                                                  const SendRequest& request,
                                                  std::optional<ThreadTraits> traits) {
  NewMessage message = WL_TRY(seal_message(actor, request));
  const Timestamp at = message.created_at;
  // Keyed by the send, so a resend of it moves its timers rather than adding some.
  const std::string key = send_timer_key(actor.user, message.client_token);
  WriteBatch batch;
  batch.add(AppendMessage{std::move(message)});
  if (request.remind_after) {
    batch.add(ScheduleTimer{std::string(kReminderTimer), key, actor.org, at + *request.remind_after,
                            key});
  }
  if (auto escalation = escalation_timer(actor.org, request.urgent, traits, key, at)) {
    batch.add(std::move(*escalation));
  }
  batch.audit(audit_draft(actor, at, "message.send", thread_target(request.thread), "ok",
                          fmt::format("urgent={}", request.urgent)),
              [](AuditDraft&, const std::vector<MutationResult>& results) {
                return !std::get<MessageAppended>(results.front()).duplicate;
              });
  return batch;
}

Result<SendResult> MessagingService::finish_send(const Principal& actor, const SendRequest& request,
                                                 MessageAppended appended) {
  if (appended.duplicate) {
    // A resend is the same message again. The same client_id on a different message
    // is a client bug that would otherwise silently drop the new text.
    const bool same_thread = appended.event.thread_id == request.thread;
    const bool same_body =
        same_thread &&
        WL_TRY(keys_.open(
            SealContext{appended.event.org_id, kMessageKind,
                        message_record_key(request.thread, actor.user, request.client_id), "body"},
            appended.event.body_sealed)) == request.body;
    if (!same_body) {
      return error(Code::kAlreadyExists,
                   "this client_id was already used for a different message: use a new one");
    }
  }
  messaging::clear_seals(appended.event);
  return SendResult{std::move(appended.event), request.client_id, appended.duplicate};
}

std::optional<AuditDraft> MessagingService::denied_send(const Principal& actor, ThreadId thread,
                                                        const Status& status) const {
  if (status.code() != Code::kNotFound && status.code() != Code::kPermissionDenied) {
    return std::nullopt;
  }
  return audit_draft(actor, clock_.now(), "message.send", thread_target(thread), "denied",
                     status.code() == Code::kNotFound ? "not_found" : "not_member");
}

Result<SendResult> MessagingService::send(const Principal& actor, const SendRequest& request) {
  std::promise<Result<SendResult>> promise;
  std::future<Result<SendResult>> future = promise.get_future();
  send_routed_async(actor, request,
                    [&promise](Result<SendResult> sent) { promise.set_value(std::move(sent)); });
  return future.get();
}

void MessagingService::send_async(const Principal& actor, SendRequest request,
                                  WriteDone<SendResult> done) {
  const auto kind = cached_traits(request.thread);
  if (kind && kind->kind == ThreadKind::kRole) {
    done(error(Code::kInternal, "a role thread's message is sent with send_routed_async()"));
    return;
  }
  auto prepared = prepare_send(actor, request, kind);
  if (!prepared) {
    done(std::unexpected(prepared.error()));
    return;
  }
  commit_send(actor, std::move(request), std::move(*prepared), std::nullopt, false,
              std::move(done));
}

void MessagingService::send_routed_async(const Principal& actor, SendRequest request,
                                         WriteDone<SendResult> done) {
  // The reads: the thread's kind (an unknown thread fails in the write, which audits
  // the refusal) and the org's escalation policy.
  std::optional<ThreadTraits> kind;
  if (auto known = thread_traits(request.thread)) {
    kind = *known;
  } else if (known.error().code() != Code::kNotFound) {
    done(std::unexpected(known.error()));
    return;
  }
  if (router_ != nullptr && kind && kind->escalates() && !router_->policy_fresh(actor.org)) {
    if (auto loaded = router_->load_policy(actor.org); !loaded) {
      done(std::unexpected(loaded.error()));
      return;
    }
  }
  // A message to a person may be forwarded, held or sent as an override.
  const UserId addressee = router_ != nullptr && kind ? kind->addressee(actor.user) : UserId();
  PersonRoute person;
  if (addressee.is_set()) {
    auto routed = route_to_person(actor, addressee, request);
    if (!routed) {
      done(std::unexpected(routed.error()));
      return;
    }
    person = std::move(*routed);
  }
  // A loop is not followed; the sender is told (sent's forwarding_loop) and it is audited.
  const auto note_loop = [&](WriteBatch& batch) {
    if (person.loop) {
      batch.audit(audit_draft(actor, clock_.now(), "message.forward_loop",
                              thread_target(request.thread), "ok",
                              fmt::format("user={}", addressee.value())));
    }
  };
  if (person.hold) {
    auto held = prepare_hold(actor, request, addressee, person);
    if (!held) {
      done(std::unexpected(held.error()));
      return;
    }
    note_loop(*held);
    commit_send(actor, std::move(request), std::move(*held), std::nullopt, person.loop,
                std::move(done));
    return;
  }
  auto prepared = prepare_send(actor, request, kind);
  if (!prepared) {
    done(std::unexpected(prepared.error()));
    return;
  }
  auto routing = add_routing(actor, request, *prepared);
  if (!routing) {
    done(std::unexpected(routing.error()));
    return;
  }
  if (!person.to.empty()) {
    routing = add_person_route(actor, request.thread, addressee, person, *prepared);
  }
  note_loop(*prepared);
  commit_send(actor, std::move(request), std::move(*prepared), *routing, person.loop,
              std::move(done));
}

Result<std::optional<std::size_t>> MessagingService::add_routing(const Principal& actor,
                                                                 const SendRequest& request,
                                                                 WriteBatch& batch) {
  if (router_ == nullptr) {
    return std::optional<std::size_t>();
  }
  auto kind = thread_traits(request.thread);
  if (!kind || kind->kind != ThreadKind::kRole) {
    if (request.hand_off_to.is_set() && kind) {
      return error(Code::kInvalidArgument, "a hand-off note is written in a role thread");
    }
    // An unknown thread fails in the write, which audits the refusal.
    return std::optional<std::size_t>();
  }
  // The thread is read for the router only: the store still checks that the sender is
  // a member, inside the write.
  const Thread thread = WL_TRY(threads_.find_thread(request.thread));
  if (thread.org_id != actor.org) {
    return std::optional<std::size_t>();
  }
  if (request.hand_off_to.is_set()) {
    // To the incoming holder named, not to whoever holds the role (the sender, still).
    const std::size_t routed =
        batch.add(RouteMessage{thread.id,
                               thread.role_id,
                               {RoutedTo{request.hand_off_to, std::string(kReasonHandOff)}},
                               clock_.now(),
                               EventId()});
    batch.add(RecordHandOff{thread.role_id, thread.id, request.hand_off_to});
    return std::optional<std::size_t>(routed);
  }
  return std::optional<std::size_t>(
      batch.add(WL_TRY(router_->route(actor, thread, request.urgent))));
}

void MessagingService::commit_send(const Principal& actor, SendRequest request, WriteBatch batch,
                                   std::optional<std::size_t> routing, bool forward_loop,
                                   WriteDone<SendResult> done) {
  committer_.commit(
      std::move(batch), publish_to(bus_),
      [this, actor, routing, forward_loop, request = std::move(request),
       done = std::move(done)](Result<BatchResult> committed) mutable {
        if (!committed) {
          auto denial = denied_send(actor, request.thread, committed.error());
          if (!denial) {
            done(std::unexpected(committed.error()));
            return;
          }
          // The refusal is answered once its audit entry is durable.
          audit_.record_async(std::move(*denial),
                              [status = committed.error(), done = std::move(done)](
                                  Result<AuditEntry>) { done(std::unexpected(status)); });
          return;
        }
        MutationResult& first = committed->results.front();
        auto sent = std::holds_alternative<MessageHeld>(first)
                        ? finish_hold(actor, request, std::get<MessageHeld>(std::move(first)))
                        : finish_send(actor, request, std::get<MessageAppended>(std::move(first)));
        if (sent && routing) {
          for (const Event& event : committed->result<std::vector<Event>>(*routing)) {
            sent->routed.push_back(
                RoutedTo{event.subject, event.reason,
                         event.reason == kReasonForwarded ? event.actor : UserId()});
          }
        }
        if (sent) {
          sent->forward_loop = forward_loop;
        }
        done(std::move(sent));
      });
}

Result<void> MessagingService::remind(const Timer& timer, WriteBatch& batch) {
  // The payload is send_timer_key(), as prepare_send wrote it.
  const SendTimerKey key = WL_TRY(parse_send_timer_key(timer.payload));
  const UserId sender = key.sender;
  auto message = log_.find_message_by_client_token(sender, key.client_token);
  if (!message) {
    // The message is gone (never committed, or its thread's retention ended): nothing
    // to remind of.
    return message.error().code() == Code::kNotFound
               ? ok()
               : Result<void>(std::unexpected(message.error()));
  }
  for (const Receipt& receipt : WL_TRY(log_.list_receipts(message->id))) {
    if (receipt.read_at) {
      return ok();
    }
  }
  batch.add(AppendScopedEvent{EventKind::kReminder, message->org_id, sender, sender, sender,
                              clock_.now(), RoleId(), message->id});
  batch.audit(AuditDraft{clock_.now(), message->org_id, UserId(), DeviceId(), "message.reminder",
                         fmt::format("message:{}", message->id.value()), "ok", ""});
  return ok();
}

Result<std::vector<UserId>> MessagingService::typing_recipients(const Principal& actor,
                                                                ThreadId thread_id) {
  WL_TRY(require_member(actor, thread_id, "thread.typing"));
  std::vector<UserId> recipients;
  for (const Member& member : WL_TRY(threads_.list_members(thread_id))) {
    if (member.user_id != actor.user) {
      recipients.push_back(member.user_id);
    }
  }
  return recipients;
}

Result<StreamPosition> MessagingService::stream_head() { return log_.stream_head(); }

Result<std::size_t> MessagingService::seal_client_ids_in_clear() {
  std::size_t sealed = 0;
  EventId after;
  while (true) {
    const auto page = WL_TRY(log_.list_client_ids_in_clear(after, kSealBatch));
    if (page.empty()) {
      break;
    }
    std::vector<SealedClientId> ids;
    ids.reserve(page.size());
    for (const ClientIdInClear& message : page) {
      // The same token and seal as prepare_send's, so an old message's resend is still
      // recognised. Its body stays as it was: its record names the clear client id.
      SealedClientId id;
      id.id = message.id;
      id.client_token = WL_TRY(
          keys_.blind_token(message.org_id, client_token_text(message.sender, message.client_id)));
      id.client_id_sealed = WL_TRY(keys_.seal(
          SealContext{message.org_id, kMessageKind,
                      client_id_record_key(message.thread_id, message.sender, id.client_token),
                      "client_id"},
          message.client_id));
      ids.push_back(std::move(id));
    }
    WL_TRY(log_.seal_client_ids(ids));
    sealed += ids.size();
    after = page.back().id;
  }
  if (sealed > 0) {
    WL_TRY(audit_.record(AuditDraft{clock_.now(), OrgId(), UserId(), DeviceId(),
                                    "message.client_id.seal", "store", "ok",
                                    fmt::format("messages={}", sealed)}));
  }
  return sealed;
}

Result<OpenedEvent> MessagingService::open_event(const Event& event) {
  OpenedEvent opened{event, {}, {}};
  messaging::clear_seals(opened.event);
  if (event.kind == EventKind::kMessage) {
    // The body's record names the client id in clear (its format predates sealed
    // client ids), so the client id is opened first.
    opened.client_id = WL_TRY(keys_.open(
        SealContext{event.org_id, kMessageKind,
                    client_id_record_key(event.thread_id, event.actor, event.client_token),
                    "client_id"},
        event.client_id_sealed));
    opened.body = WL_TRY(keys_.open(
        SealContext{event.org_id, kMessageKind,
                    message_record_key(event.thread_id, event.actor, opened.client_id), "body"},
        event.body_sealed));
    if (!event.callback_sealed.empty()) {
      opened.callback = WL_TRY(
          keys_.open(SealContext{event.org_id, kMessageKind,
                                 message_record_key(event.thread_id, event.actor, opened.client_id),
                                 "callback"},
                     event.callback_sealed));
    }
  } else if (event.kind == EventKind::kThreadRenamed && !event.body_sealed.empty()) {
    const Thread thread = WL_TRY(threads_.find_thread(event.thread_id));
    opened.body =
        WL_TRY(keys_.open(SealContext{event.org_id, kThreadKind, title_record_key(thread), "title"},
                          event.body_sealed));
  }
  return opened;
}

Result<HistoryPage> MessagingService::history(const Principal& actor, ThreadId thread_id,
                                              std::int64_t before_seq, std::size_t limit) {
  if (limit == 0 || limit > limits_.max_history_page) {
    return error(Code::kInvalidArgument,
                 fmt::format("limit must be 1 to {}", limits_.max_history_page));
  }
  const Thread thread = WL_TRY(require_member(actor, thread_id, "thread.history"));
  const auto events = WL_TRY(log_.read_thread_messages(thread_id, before_seq, limit));
  HistoryPage page;
  page.messages.reserve(events.size());
  for (const Event& event : events) {
    page.messages.push_back(WL_TRY(open_event(event)));
  }
  // Newest first: the page spans seq back()..front(). An empty page has no receipts
  // of its own, but still gives the read positions.
  const std::int64_t from_seq = events.empty() ? 1 : events.back().seq;
  const std::int64_t to_seq = events.empty() ? 0 : events.front().seq;
  page.receipts = WL_TRY(log_.read_history_receipts(thread_id, actor.user, from_seq, to_seq));
  // Whom the messages reached (role threads) and were escalated to (role threads and
  // threads between two people).
  if (traits_of(thread).escalates() && !events.empty()) {
    for (Event& routed : WL_TRY(log_.read_thread_routing(thread_id, from_seq, to_seq))) {
      page.routed.push_back(OpenedEvent{std::move(routed), {}, {}});
    }
  }
  std::erase_if(page.receipts.read,
                [&](const ReadPosition& position) { return position.user_id == actor.user; });
  WL_TRY(audit(actor, "thread.history", thread_target(thread_id), "ok",
               events.empty()
                   ? "messages=0"
                   : fmt::format("messages={} seq={}..{}", events.size(), from_seq, to_seq)));
  return page;
}

Result<Event> MessagingService::find_message(const Principal& actor, EventId message,
                                             std::string_view action) {
  auto event = log_.find_event(message);
  if (!event && event.error().code() != Code::kNotFound) {
    return std::unexpected(event.error());
  }
  if (!event || event->kind != EventKind::kMessage || event->org_id != actor.org) {
    (void)audit(actor, action, message_target(message), "denied",
                event && event->kind == EventKind::kMessage ? "other_org" : "not_found");
    return error(Code::kNotFound, "no such message");
  }
  return std::move(*event);
}

Result<OpenedEvent> MessagingService::get_message(const Principal& actor, EventId message) {
  auto event = find_message(actor, message, "message.read");
  if (!event) {
    return std::unexpected(event.error());
  }
  WL_TRY(require_member(actor, event->thread_id, "message.read"));
  OpenedEvent opened = WL_TRY(open_event(*event));
  WL_TRY(audit(actor, "message.read", message_target(message), "ok"));
  return opened;
}

Result<std::string> MessagingService::client_storage_key(const Principal& actor) {
  auto key = keys_.client_storage_key(actor.org, actor.user);
  const std::string target = fmt::format("user:{}", actor.user.value());
  if (!key) {
    (void)audit(actor, "storage_key.issue", target, "failed",
                std::string(code_name(key.error().code())));
    return key;
  }
  WL_TRY(audit(actor, "storage_key.issue", target, "ok"));
  return key;
}

Result<std::vector<Receipt>> MessagingService::message_status(const Principal& actor,
                                                              EventId message) {
  const Event event = WL_TRY(find_message(actor, message, "message.status"));
  WL_TRY(require_member(actor, event.thread_id, "message.status"));
  return log_.list_receipts(message);
}

namespace {

std::string delivered_ids(std::span<const Event> delivered) {
  std::string ids;
  for (const Event& receipt : delivered) {
    ids += fmt::format("{}{}", ids.empty() ? "" : ",", receipt.ref.value());
  }
  return ids;
}

}  // namespace

Result<void> MessagingService::check_ack(std::span<const EventId> messages) const {
  if (messages.size() > limits_.max_ack_batch) {
    return error(Code::kInvalidArgument,
                 fmt::format("acknowledge at most {} messages at once", limits_.max_ack_batch));
  }
  return ok();
}

void MessagingService::acknowledge_delivered_async(const Principal& actor,
                                                   std::vector<EventId> messages,
                                                   WriteDone<std::size_t> done) {
  if (auto checked = check_ack(messages); !checked) {
    done(std::unexpected(checked.error()));
    return;
  }
  if (messages.empty()) {
    done(std::size_t{0});
    return;
  }
  const Timestamp now = clock_.now();
  // The receipts and their audit entry commit together; no entry when none was new.
  WriteBatch batch;
  batch.add(RecordDelivered{actor.user, std::move(messages), now});
  batch.may_wait(limits_.receipt_wait);
  batch.audit(audit_draft(actor, now, "message.delivered",
                          fmt::format("user:{}", actor.user.value()), "ok"),
              [](AuditDraft& draft, const std::vector<MutationResult>& results) {
                const auto& delivered = std::get<std::vector<Event>>(results.front());
                draft.detail = fmt::format("messages={}", delivered_ids(delivered));
                return !delivered.empty();
              });
  committer_.commit(std::move(batch), publish_to(bus_),
                    [done = std::move(done)](const Result<BatchResult>& committed) {
                      if (!committed) {
                        done(std::unexpected(committed.error()));
                        return;
                      }
                      done(std::get<std::vector<Event>>(committed->results.front()).size());
                    });
}

Result<void> MessagingService::mark_read(const Principal& actor, ThreadId thread_id,
                                         std::int64_t up_to_seq) {
  if (up_to_seq < 0) {
    return error(Code::kInvalidArgument, "up_to_seq must not be negative");
  }
  WL_TRY(require_member(actor, thread_id, "thread.mark_read"));
  const Timestamp now = clock_.now();
  WriteBatch batch;
  const std::size_t read = batch.add(RecordRead{thread_id, actor.user, up_to_seq, now});
  // Audited only when the position moved, with where it moved to.
  batch.audit(audit_draft(actor, now, "thread.mark_read", thread_target(thread_id), "ok"),
              [read](AuditDraft& draft, const std::vector<MutationResult>& results) {
                const auto& event = std::get<std::optional<Event>>(results.at(read));
                if (event) {
                  draft.detail = fmt::format("up_to_seq={}", event->ref_seq);
                }
                return event.has_value();
              });
  WL_TRY(commit(std::move(batch)));
  return ok();
}

Result<std::vector<OpenedEvent>> MessagingService::read_events(const Principal& actor,
                                                               StreamPosition after,
                                                               std::size_t limit) {
  limit = std::clamp<std::size_t>(limit, 1, limits_.max_event_page);
  const auto events = WL_TRY(log_.read_user_events(actor.user, after, limit));
  std::vector<OpenedEvent> opened;
  opened.reserve(events.size());
  for (const Event& event : events) {
    opened.push_back(WL_TRY(open_event(event)));
  }
  if (!opened.empty()) {
    WL_TRY(audit(actor, "events.replay", fmt::format("user:{}", actor.user.value()), "ok",
                 fmt::format("events={} ids={}..{}", opened.size(), opened.front().event.id.value(),
                             opened.back().event.id.value())));
  }
  return opened;
}

}  // namespace wl
