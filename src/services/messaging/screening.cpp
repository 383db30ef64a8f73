// Gatekeepers (docs/routing.md, "Gatekeepers"): what a gatekeeper sees of the messages
// screened for the people they screen for, and what they do with one: pass it on,
// answer it, or keep it for later.
#include <algorithm>

#include <fmt/format.h>

#include "services/audit/audit_log.hpp"
#include "services/messaging/messaging_service.hpp"
#include "services/messaging/records.hpp"

namespace wl {
namespace {

using messaging::thread_target;

std::string_view action_name(ScreeningAction action) {
  switch (action) {
    case ScreeningAction::kPass:
      return "screening.pass";
    case ScreeningAction::kAnswer:
      return "screening.answer";
    case ScreeningAction::kKeep:
      return "screening.hold";
  }
  return "screening";
}

}  // namespace

void MessagingService::announce_screening(OrgId org, UserId subject, std::vector<UserId> to,
                                          UserId actor, Timestamp at, WriteBatch& batch) {
  std::ranges::sort(to);
  to.erase(std::ranges::unique(to).begin(), to.end());
  for (const UserId user : to) {
    batch.add(AppendScopedEvent{EventKind::kScreening, org, user, actor, subject, at, RoleId(),
                                EventId()});
  }
}

Result<ScreeningList> MessagingService::screening(const Principal& actor) {
  ScreeningList list;
  if (router_ != nullptr) {
    list.screens_for = WL_TRY(router_->gatekept_by(actor.user));
    for (const UserId person : list.screens_for) {
      for (HeldMessage& held :
           WL_TRY(log_.list_held_for(person, HeldState::kScreening, limits_.max_held_listed))) {
        if (held.message.org_id == actor.org) {
          list.messages.push_back(WL_TRY(open_held(std::move(held))));
        }
      }
    }
  }
  std::ranges::sort(list.messages, {}, [](const OpenedHeld& one) { return one.held.id; });
  WL_TRY(audit(actor, "screening.list", fmt::format("user:{}", actor.user.value()), "ok",
               fmt::format("count={}", list.messages.size())));
  return list;
}

Result<ScreeningResult> MessagingService::screen(const Principal& actor, HeldId held_id,
                                                 const ScreeningDecision& decision) {
  const std::string_view action = action_name(decision.action);
  const std::string target = fmt::format("held:{}", held_id.value());
  auto held = log_.find_held(held_id);
  if (!held && held.error().code() != Code::kNotFound) {
    return std::unexpected(held.error());
  }
  // Someone else's screening looks as a message that is not there.
  std::optional<Reachability> reach;
  if (held && held->message.org_id == actor.org && held->state == HeldState::kScreening &&
      router_ != nullptr) {
    reach = WL_TRY(router_->load_reachability(held->recipient));
  }
  if (!reach || std::ranges::find(reach->gatekeepers, actor.user) == reach->gatekeepers.end()) {
    WL_TRY(audit(actor, action, target, "denied", "not_found"));
    return error(Code::kNotFound, "no such message to screen");
  }
  const HeldMessage& one = *held;
  const NewMessage& message = one.message;
  const Timestamp now = clock_.now();
  const Availability status = availability_at(reach->periods, now);
  ScreeningResult result;
  WriteBatch batch;
  std::size_t decided = 0;  // The mutation that says whether this decision was first.
  std::optional<std::size_t> answer;
  std::string detail =
      fmt::format("thread={} user={}", message.thread_id.value(), one.recipient.value());
  if (decision.action == ScreeningAction::kKeep) {
    result.outcome = ScreeningResult::Outcome::kKept;
    decided = batch.add(ScreenHeld{one.id, HeldState::kScreening, HeldState::kKept, actor.user});
  } else if (decision.action == ScreeningAction::kPass && status == Availability::kOffDuty &&
             !message.urgent) {
    // Passed on to someone off duty: it waits for them as any message to them would.
    result.outcome = ScreeningResult::Outcome::kHeld;
    decided = batch.add(ScreenHeld{one.id, HeldState::kScreening, HeldState::kOffDuty, actor.user});
  } else if (decision.action == ScreeningAction::kPass) {
    // On to them now; an urgent one even off duty (the gatekeeper's override).
    result.outcome = ScreeningResult::Outcome::kDelivered;
    decided = batch.size();
    const std::size_t appended = WL_TRY(add_release(one, now, ReleasedBy::kGatekeeper, batch));
    batch.add(RouteMessage{message.thread_id,
                           RoleId(),
                           {RoutedTo{one.recipient, std::string(kReasonScreened), actor.user}},
                           now,
                           EventId()});
    answer = appended;
    detail += fmt::format(" override={}", status == Availability::kOffDuty);
  } else {
    // Answered by the gatekeeper: the message goes into the thread (its addressee keeps
    // it), the gatekeeper joins at it, and their answer follows.
    SendRequest reply;
    reply.thread = message.thread_id;
    reply.client_id = decision.client_id;
    reply.body = decision.body;
    NewMessage sealed = WL_TRY(seal_message(actor, reply));
    result.outcome = ScreeningResult::Outcome::kAnswered;
    decided = batch.size();
    WL_TRY(add_release(one, now, ReleasedBy::kAnswer, batch));
    batch.add(RouteMessage{message.thread_id,
                           RoleId(),
                           {RoutedTo{actor.user, std::string(kReasonAnswered), actor.user}},
                           now,
                           EventId()});
    sealed.created_at = now;
    answer = batch.add(AppendMessage{std::move(sealed)});
  }
  std::vector<UserId> told = reach->gatekeepers;  // And the sender.
  told.push_back(message.sender);
  announce_screening(message.org_id, one.recipient, std::move(told), actor.user, now, batch);
  batch.audit(audit_draft(actor, now, action, target, "ok", std::move(detail)),
              [decided](AuditDraft&, const std::vector<MutationResult>& results) {
                return std::get<bool>(results.at(decided));
              });
  const BatchResult committed = WL_TRY(commit(std::move(batch)));
  if (!committed.result<bool>(decided)) {
    // Another gatekeeper decided, its sender withdrew it, or it was released meanwhile.
    return error(Code::kNotFound, "no such message to screen");
  }
  if (answer) {
    result.message = committed.result<MessageAppended>(*answer).event;
    messaging::clear_seals(*result.message);
  }
  return result;
}

}  // namespace wl
