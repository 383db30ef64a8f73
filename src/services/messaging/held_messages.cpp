// Messages held for an off-duty person (docs/routing.md, "Off duty: held messages"):
// holding a send, releasing what waits for someone back on duty, and what a sender sees
// and withdraws of their own held messages.
#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "services/audit/audit_log.hpp"
#include "services/keys/key_ring.hpp"
#include "services/messaging/messaging_service.hpp"
#include "services/messaging/records.hpp"

namespace wl {
namespace {

using messaging::kMessageKind;
using messaging::thread_target;

// A release timer's key: the person's id, then for a timer a hold scheduled at their
// next availability change, "@" and that moment. A change of availability schedules the
// bare id (due at once), so a hold never moves that timer to a later moment.
std::string release_key(UserId user) { return fmt::format("{}", user.value()); }
std::string release_key(UserId user, Timestamp at) {
  return fmt::format("{}@{}", user.value(), to_micros(at));
}

Result<UserId> parse_release_key(std::string_view key) {
  std::int64_t user = 0;
  const auto [end, code] = std::from_chars(key.data(), key.data() + key.size(), user);
  if (code != std::errc() || user <= 0 || (end != key.data() + key.size() && *end != '@')) {
    return error(Code::kInvalidArgument, "not a release timer's key");
  }
  return UserId(user);
}

}  // namespace

Result<MessagingService::PersonRoute> MessagingService::route_to_person(
    const Principal& actor, UserId addressee, const SendRequest& request) {
  const Timestamp now = clock_.now();
  PersonRoute route;
  if (router_->reaches_directly(addressee, actor.user)) {
    return route;
  }
  // Off duty, forwarding, screened, or not known: read again, so that nothing is held,
  // screened or forwarded on an old answer.
  Reachability reach = WL_TRY(router_->load_reachability(addressee));
  if (reach.forwards_at(now)) {
    Forwarded forwarded = WL_TRY(router_->forward(actor.org, addressee));
    route.loop = forwarded.loop;
    if (!forwarded.to.empty()) {
      route.to = std::move(forwarded.to);
      return route;  // Forwarded messages are not held: they go to who covers.
    }
  }
  const bool screens = reach.screens_at(now, actor.user);
  if (!screens && !reach.off_duty_at(now)) {
    return route;
  }
  if (request.override_availability && request.urgent) {
    route.to.push_back(RoutedTo{addressee, std::string(kReasonOverride)});
    return route;
  }
  route.hold = screens ? HeldState::kScreening : HeldState::kOffDuty;
  route.periods = std::move(reach.periods);
  if (screens) {
    route.gatekeepers = std::move(reach.gatekeepers);
  }
  return route;
}

std::size_t MessagingService::add_person_route(const Principal& actor, ThreadId thread,
                                               UserId addressee, const PersonRoute& person,
                                               WriteBatch& batch) {
  const Timestamp at = clock_.now();
  const bool overrides = person.to.front().reason == kReasonOverride;
  std::string detail = fmt::format("user={}", addressee.value());
  if (!overrides) {
    detail += " to=";
    for (std::size_t i = 0; i < person.to.size(); ++i) {
      detail += fmt::format("{}{}", i == 0 ? "" : ",", person.to[i].user.value());
    }
  }
  const std::size_t index = batch.add(RouteMessage{thread, RoleId(), person.to, at, EventId()});
  batch.audit(audit_draft(actor, at, overrides ? "message.override" : "message.forward",
                          thread_target(thread), "ok", std::move(detail)),
              [](AuditDraft&, const std::vector<MutationResult>& results) {
                return !std::get<MessageAppended>(results.front()).duplicate;
              });
  return index;
}

Result<WriteBatch> MessagingService::prepare_hold(const Principal& actor,
                                                  const SendRequest& request, UserId addressee,
                                                  const PersonRoute& person) {
  NewMessage message = WL_TRY(seal_message(actor, request));
  const Timestamp at = message.created_at;
  const std::string message_token = message.client_token;
  const AvailabilityPeriod* period = period_at(person.periods, at);
  const std::optional<Timestamp> until = period != nullptr ? period->ends_at : std::nullopt;
  const HeldState state = person.hold.value_or(HeldState::kOffDuty);
  WriteBatch batch;
  batch.add(HoldMessage{std::move(message), addressee, until, request.remind_after, state});
  if (const auto next = next_availability_change(person.periods, at)) {
    const std::string key = release_key(addressee, *next);
    batch.add(ScheduleTimer{std::string(kReleaseTimer), key, actor.org, *next, key});
  }
  const bool screened = state == HeldState::kScreening;
  // The sender's other devices, and for a screened one the gatekeepers, are told.
  std::vector<UserId> told = screened ? person.gatekeepers : std::vector<UserId>();
  told.push_back(actor.user);
  announce_screening(actor.org, addressee, std::move(told), actor.user, at, batch);
  if (screened) {
    // Urgent: it waits for a gatekeeper at most the org's urgent deadline.
    if (request.urgent && !router_->policy_fresh(actor.org)) {
      WL_TRY(router_->load_policy(actor.org));
    }
    const auto policy = request.urgent ? router_->cached_policy(actor.org) : std::nullopt;
    if (policy && policy->urgent_after.count() > 0) {
      // Keyed by the moment too: a resend of the message (a duplicate) adds a later
      // timer that finds it gone, instead of moving this one.
      const std::string key =
          fmt::format("{}@{}", send_timer_key(actor.user, message_token), to_micros(at));
      batch.add(ScheduleTimer{std::string(kUnscreenedTimer), key, actor.org,
                              at + policy->urgent_after, key});
    }
  }
  batch.audit(audit_draft(actor, at, screened ? "message.screen" : "message.hold",
                          thread_target(request.thread), "ok",
                          fmt::format("user={} urgent={}", addressee.value(), request.urgent)),
              [](AuditDraft&, const std::vector<MutationResult>& results) {
                return !std::get<MessageHeld>(results.front()).duplicate;
              });
  return batch;
}

Result<SendResult> MessagingService::finish_hold(const Principal& actor, const SendRequest& request,
                                                 MessageHeld held) {
  if (held.sent) {
    // Released (or sent) since: a resend of that message.
    return finish_send(actor, request, MessageAppended{std::move(*held.sent), true});
  }
  if (held.duplicate) {
    const OpenedHeld original = WL_TRY(open_held(held.held));
    if (original.held.message.thread_id != request.thread || original.body != request.body) {
      return error(Code::kAlreadyExists,
                   "this client_id was already used for a different message: use a new one");
    }
  }
  SendResult result;
  result.message.org_id = held.held.message.org_id;
  result.message.thread_id = held.held.message.thread_id;
  result.message.created_at = held.held.held_at;
  result.client_id = request.client_id;
  result.duplicate = held.duplicate;
  HeldNotice notice{held.held.id,    held.held.recipient, Availability::kOffDuty,
                    held.held.until, held.held.state,     {}};
  // The send has just read how they are (route_to_person).
  if (const auto reach = router_ != nullptr ? router_->cached_reachability(notice.user)
                                            : std::optional<Reachability>()) {
    notice.status = availability_at(reach->periods, held.held.held_at);
    if (notice.state == HeldState::kScreening) {
      notice.gatekeepers = reach->gatekeepers;
    }
  }
  result.held = std::move(notice);
  return result;
}

Result<OpenedHeld> MessagingService::open_held(HeldMessage held) {
  const NewMessage& message = held.message;
  OpenedHeld opened;
  opened.client_id = WL_TRY(keys_.open(
      SealContext{message.org_id, kMessageKind,
                  client_id_record_key(message.thread_id, message.sender, message.client_token),
                  "client_id"},
      message.client_id_sealed));
  opened.body = WL_TRY(keys_.open(
      SealContext{message.org_id, kMessageKind,
                  message_record_key(message.thread_id, message.sender, opened.client_id), "body"},
      message.body_sealed));
  if (!message.callback_sealed.empty()) {
    opened.callback = WL_TRY(keys_.open(
        SealContext{message.org_id, kMessageKind,
                    message_record_key(message.thread_id, message.sender, opened.client_id),
                    "callback"},
        message.callback_sealed));
  }
  opened.held = std::move(held);
  opened.held.message.client_token.clear();
  opened.held.message.client_id_sealed.clear();
  opened.held.message.body_sealed.clear();
  opened.held.message.callback_sealed.clear();
  return opened;
}

Result<std::optional<ScheduleTimer>> MessagingService::release_after_change(OrgId org,
                                                                            UserId user) {
  if (WL_TRY(log_.list_held_for(user, std::nullopt, 1)).empty()) {
    return std::optional<ScheduleTimer>();
  }
  const std::string key = release_key(user);
  return std::optional<ScheduleTimer>(
      ScheduleTimer{std::string(kReleaseTimer), key, org, clock_.now(), key});
}

Result<std::size_t> MessagingService::add_release(const HeldMessage& held, Timestamp now,
                                                  ReleasedBy by, WriteBatch& batch) {
  const NewMessage& message = held.message;
  const OrgId org = message.org_id;
  // A release timer may run beside another for the same person (their change, and the
  // moment a hold scheduled): the second appends duplicates, which write nothing.
  const bool screened = by != ReleasedBy::kTimer;
  batch.add(DeleteHeld{held.id, UserId(), screened,
                       screened ? std::optional(HeldState::kScreening) : std::nullopt});
  // Sent now, written when it was sent: its escalation and reminder start now.
  NewMessage released = message;
  released.created_at = now;
  released.written_at = message.written_at.value_or(message.created_at);
  // A held message keeps no search tokens: they are made again from its body.
  Event stored;
  stored.kind = EventKind::kMessage;
  stored.org_id = org;
  stored.thread_id = message.thread_id;
  stored.actor = message.sender;
  stored.client_token = message.client_token;
  stored.client_id_sealed = message.client_id_sealed;
  stored.body_sealed = message.body_sealed;
  released.search_tokens = WL_TRY(search_tokens_of(stored));
  const std::size_t appended = batch.add(AppendMessage{std::move(released)});
  if (by == ReleasedBy::kAnswer) {
    return appended;
  }
  if (!router_->policy_fresh(org)) {
    WL_TRY(router_->load_policy(org));
  }
  const std::string key = send_timer_key(message.sender, message.client_token);
  if (held.remind_after) {
    batch.add(ScheduleTimer{std::string(kReminderTimer), key, org, now + *held.remind_after, key});
  }
  const ThreadTraits traits = WL_TRY(thread_traits(message.thread_id));
  if (auto escalation = escalation_timer(org, message.urgent, traits, key, now)) {
    batch.add(std::move(*escalation));
  }
  return appended;
}

Result<void> MessagingService::release(const Timer& timer, WriteBatch& batch) {
  const UserId recipient = WL_TRY(parse_release_key(timer.key));
  if (router_ == nullptr) {
    return ok();
  }
  const Timestamp now = clock_.now();
  const Reachability reach = WL_TRY(router_->load_reachability(recipient));
  const Availability status = availability_at(reach.periods, now);
  // What may reach them now: everything once they are available; back on duty but not
  // available, what waited for that (and what was screened, if nobody screens any
  // more); off duty, nothing.
  const std::size_t limit = limits_.max_release_batch;
  std::vector<HeldMessage> held;
  if (status == Availability::kAvailable) {
    held = WL_TRY(log_.list_held_for(recipient, std::nullopt, limit));
  } else if (status != Availability::kOffDuty) {
    held = WL_TRY(log_.list_held_for(recipient, HeldState::kOffDuty, limit));
    if (reach.gatekeepers.empty() && held.size() < limit) {
      for (HeldMessage& screened :
           WL_TRY(log_.list_held_for(recipient, HeldState::kScreening, limit - held.size()))) {
        held.push_back(std::move(screened));
      }
      std::ranges::sort(held, {}, &HeldMessage::id);
    }
  }
  bool left_screening = false;  // Something left the gatekeepers' lists.
  for (const HeldMessage& one : held) {
    const NewMessage& message = one.message;
    const OrgId org = message.org_id;
    if (!WL_TRY(threads_.is_member(message.thread_id, message.sender))) {
      batch.add(DeleteHeld{one.id, UserId()});
      batch.audit(server_audit_draft(now, org, "message.release", thread_target(message.thread_id),
                                     "dropped",
                                     fmt::format("held={} sender={} reason=not_member",
                                                 one.id.value(), message.sender.value())));
      continue;
    }
    const std::size_t appended = WL_TRY(add_release(one, now, ReleasedBy::kTimer, batch));
    left_screening = left_screening || one.state == HeldState::kScreening;
    if (one.screened_by.is_set()) {  // A gatekeeper's decision: the thread shows it.
      const std::string_view reason = one.state == HeldState::kKept ? kReasonKept : kReasonScreened;
      batch.add(RouteMessage{message.thread_id,
                             RoleId(),
                             {RoutedTo{recipient, std::string(reason), one.screened_by}},
                             now,
                             EventId()});
    }
    batch.audit(
        server_audit_draft(now, org, "message.release", thread_target(message.thread_id), "ok",
                           fmt::format("held={} user={}", one.id.value(), recipient.value())),
        [appended](AuditDraft&, const std::vector<MutationResult>& results) {
          return !std::get<MessageAppended>(results.at(appended)).duplicate;
        });
  }
  if (left_screening) {
    announce_screening(timer.org_id, recipient, reach.gatekeepers, recipient, now, batch);
  }
  if (held.size() == limit) {  // More may wait: on at once.
    batch.add(ScheduleTimer{timer.kind, timer.key, timer.org_id, now, timer.payload});
  } else if (status != Availability::kAvailable &&
             WL_TRY(log_.list_held_for(recipient, std::nullopt, held.size() + 1)).size() >
                 held.size()) {
    // Some wait for them to be back on duty or available: again at their next change,
    // or when they change it themselves (release_after_change).
    if (const auto next = next_availability_change(reach.periods, now)) {
      batch.add(ScheduleTimer{timer.kind, timer.key, timer.org_id, *next, timer.payload});
    }
  }
  return ok();
}

Result<void> MessagingService::deliver_unscreened(const Timer& timer, WriteBatch& batch) {
  const std::string_view send_key = std::string_view(timer.key).substr(0, timer.key.rfind('@'));
  const SendTimerKey key = WL_TRY(parse_send_timer_key(send_key));
  auto found = log_.find_held_by_token(key.sender, key.client_token);
  if (!found) {
    return found.error().code() == Code::kNotFound ? ok()
                                                   : Result<void>(std::unexpected(found.error()));
  }
  const HeldMessage& one = *found;
  const NewMessage& message = one.message;
  if (one.state != HeldState::kScreening || router_ == nullptr ||
      !WL_TRY(threads_.is_member(message.thread_id, message.sender))) {
    return ok();  // Decided on; or its sender left, and its release drops it.
  }
  const Timestamp now = clock_.now();
  WL_TRY(add_release(one, now, ReleasedBy::kUnscreened, batch));
  batch.add(RouteMessage{message.thread_id,
                         RoleId(),
                         {RoutedTo{one.recipient, std::string(kReasonUnscreened), UserId()}},
                         now,
                         EventId()});
  std::vector<UserId> told = WL_TRY(router_->load_reachability(one.recipient)).gatekeepers;
  told.push_back(message.sender);
  announce_screening(message.org_id, one.recipient, std::move(told), message.sender, now, batch);
  batch.audit(server_audit_draft(
      now, message.org_id, "message.unscreened", thread_target(message.thread_id), "ok",
      fmt::format("held={} user={} waited={}s", one.id.value(), one.recipient.value(),
                  std::chrono::duration_cast<std::chrono::seconds>(now - one.held_at).count())));
  return ok();
}

Result<std::vector<OpenedHeld>> MessagingService::held_in(const Principal& actor,
                                                          ThreadId thread_id) {
  WL_TRY(require_member(actor, thread_id, "held.list"));
  std::vector<OpenedHeld> opened;
  for (HeldMessage& held :
       WL_TRY(log_.list_held_in(thread_id, actor.user, limits_.max_held_listed))) {
    opened.push_back(WL_TRY(open_held(std::move(held))));
  }
  WL_TRY(audit(actor, "held.list", thread_target(thread_id), "ok",
               fmt::format("count={}", opened.size())));
  return opened;
}

Result<OpenedHeld> MessagingService::withdraw(const Principal& actor, HeldId held_id) {
  const std::string target = fmt::format("held:{}", held_id.value());
  auto held = log_.find_held(held_id);
  if (!held && held.error().code() != Code::kNotFound) {
    return std::unexpected(held.error());
  }
  if (!held || held->message.sender != actor.user || held->message.org_id != actor.org) {
    WL_TRY(audit(actor, "message.withdraw", target, "denied", "not_found"));
    return error(Code::kNotFound, "no such held message");
  }
  OpenedHeld opened = WL_TRY(open_held(std::move(*held)));
  WriteBatch batch;
  const std::size_t removed = batch.add(DeleteHeld{held_id, actor.user});
  // The sender's other devices are told, and the gatekeepers whose list it leaves.
  std::vector<UserId> told;
  if (opened.held.state == HeldState::kScreening && router_ != nullptr) {
    told = WL_TRY(router_->load_reachability(opened.held.recipient)).gatekeepers;
  }
  told.push_back(actor.user);
  announce_screening(actor.org, opened.held.recipient, std::move(told), actor.user, clock_.now(),
                     batch);
  batch.audit(audit_draft(actor, clock_.now(), "message.withdraw", target, "ok",
                          fmt::format("thread={}", opened.held.message.thread_id.value())),
              [removed](AuditDraft&, const std::vector<MutationResult>& results) {
                return std::get<bool>(results.at(removed));
              });
  if (!WL_TRY(commit(std::move(batch))).result<bool>(removed)) {
    return error(Code::kNotFound, "no such held message");  // Released meanwhile.
  }
  return opened;
}

}  // namespace wl
