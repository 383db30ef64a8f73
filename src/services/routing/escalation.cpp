#include "services/routing/escalation.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include "services/messaging/messaging_service.hpp"
#include "services/routing/routing_service.hpp"

namespace wl {
namespace {

Result<std::int64_t> parse_number(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return error(Code::kInvalidArgument, "not an escalation's payload");
  }
  return value;
}

std::string user_list(const std::vector<UserId>& users) {
  std::string text;
  for (const UserId user : users) {
    text += fmt::format("{}{}", text.empty() ? "" : ",", user.value());
  }
  return text;
}

AuditDraft system_audit(Timestamp at, OrgId org, std::string_view action, EventId message,
                        std::string detail) {
  return server_audit_draft(at, org, action, fmt::format("message:{}", message.value()), "ok",
                            std::move(detail));
}

}  // namespace

std::string encode_escalation(const EscalationState& state) {
  std::string payload = send_timer_key(state.sender, state.client_token);
  if (state.message.is_set()) {
    payload += fmt::format(";m={};n={};at={};r={}", state.message.value(), state.next_step,
                           state.step_at ? to_micros(*state.step_at) : 0, state.realerts);
  }
  return payload;
}

Result<EscalationState> decode_escalation(std::string_view payload) {
  EscalationState state;
  const auto fields = payload.find(';');
  SendTimerKey key = WL_TRY(parse_send_timer_key(payload.substr(0, fields)));
  state.sender = key.sender;
  state.client_token = std::move(key.client_token);
  if (fields == std::string_view::npos) {
    return state;
  }
  std::string_view rest = payload.substr(fields + 1);
  while (!rest.empty()) {
    const auto end = rest.find(';');
    const std::string_view field = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    const auto equals = field.find('=');
    if (equals == std::string_view::npos) {
      return error(Code::kInvalidArgument, "not an escalation's payload");
    }
    const std::string_view name = field.substr(0, equals);
    const std::int64_t value = WL_TRY(parse_number(field.substr(equals + 1)));
    if (name == "m") {
      state.message = EventId(value);
    } else if (name == "n") {
      state.next_step = static_cast<std::size_t>(value);
    } else if (name == "at") {
      if (value != 0) {
        state.step_at = from_micros(value);
      }
    } else if (name == "r") {
      state.realerts = static_cast<std::size_t>(value);
    } else {
      return error(Code::kInvalidArgument, "not an escalation's payload");
    }
  }
  return state;
}

Escalator::Escalator(RoutingService& routing, RoutingStore& routing_store, ThreadStore& threads,
                     MessageLog& log, UserStore& users, const Clock& clock, EscalationLimits limits)
    : routing_(routing),
      routing_store_(routing_store),
      threads_(threads),
      log_(log),
      users_(users),
      clock_(clock),
      limits_(limits) {}

Result<std::vector<UserId>> Escalator::reach(OrgId org, const Backup& step, Timestamp at) {
  std::vector<UserId> users;
  if (step.user.is_set()) {
    auto user = users_.find_user(step.user);
    if (!user && user.error().code() != Code::kNotFound) {
      return std::unexpected(user.error());
    }
    if (!user || user->org_id != org || user->disabled) {
      return users;
    }
    // A backup who forwards is followed; one off duty is passed over.
    const Reachability reach = WL_TRY(routing_.load_reachability(user->id));
    if (reach.forwards_at(at)) {
      for (const RoutedTo& to : WL_TRY(routing_.forward(org, user->id)).to) {
        users.push_back(to.user);
      }
      if (!users.empty()) {
        return users;
      }
    }
    if (!reach.off_duty_at(at)) {
      users.push_back(user->id);
    }
    return users;
  }
  auto resolution = routing_.resolve(org, step.role, at);
  if (!resolution) {
    // A role removed since the chain was set reaches nobody.
    return resolution.error().code() == Code::kNotFound
               ? Result<std::vector<UserId>>(users)
               : Result<std::vector<UserId>>(std::unexpected(resolution.error()));
  }
  for (const RoutedTo& to : resolution->to) {
    users.push_back(to.user);
  }
  return users;
}

Result<void> Escalator::run(const Timer& timer, WriteBatch& batch) {
  EscalationState state = WL_TRY(decode_escalation(timer.payload));
  auto found = state.message.is_set()
                   ? log_.find_event(state.message)
                   : log_.find_message_by_client_token(state.sender, state.client_token);
  if (!found) {
    // Never committed, or gone with its thread's retention: nothing to escalate.
    return found.error().code() == Code::kNotFound ? ok()
                                                   : Result<void>(std::unexpected(found.error()));
  }
  const Event message = std::move(*found);
  if (message.kind != EventKind::kMessage || message.actor != state.sender) {
    return ok();
  }
  state.message = message.id;
  const OrgId org = message.org_id;
  const EscalationPolicy policy = WL_TRY(routing_.load_policy(org));
  const Thread thread = WL_TRY(threads_.find_thread(message.thread_id));

  // Whom it was meant for: its addressees (the people a role message reached, or the
  // other member of a thread between two people) and everyone it was escalated to since.
  std::vector<UserId> addressees;
  std::vector<Event> escalations;
  for (const Event& routed :
       WL_TRY(log_.read_thread_routing(thread.id, message.seq, message.seq))) {
    if (routed.ref != message.id) {
      continue;
    }
    if (routed.reason == kReasonEscalated) {
      escalations.push_back(routed);
    } else {
      addressees.push_back(routed.subject);
    }
  }
  std::set<UserId> intended;
  for (const Event& routed : escalations) {
    intended.insert(routed.subject);
  }
  if (traits_of(thread).pair) {
    for (const Member& member : WL_TRY(threads_.list_members(thread.id))) {
      // An override's routed event already named the addressee.
      if (member.user_id != message.actor && !intended.contains(member.user_id) &&
          std::ranges::find(addressees, member.user_id) == addressees.end()) {
        addressees.push_back(member.user_id);
      }
    }
  }
  intended.insert(addressees.begin(), addressees.end());
  for (const Receipt& receipt : WL_TRY(log_.list_receipts(message.id))) {
    if (receipt.read_at && intended.contains(receipt.user_id)) {
      return ok();  // Read: the escalation stops.
    }
  }

  // Who is being alerted now: the last step's people, or the addressees.
  std::vector<UserId> current = addressees;
  if (!escalations.empty()) {
    current.clear();
    for (const Event& routed : escalations) {
      if (routed.created_at == escalations.back().created_at) {
        current.push_back(routed.subject);
      }
    }
  }

  const Timestamp now = clock_.now();
  const std::chrono::seconds after = message.urgent ? policy.urgent_after : policy.normal_after;
  const std::chrono::seconds realert =
      message.urgent ? policy.realert_every : std::chrono::seconds(0);
  const Timestamp step_at = state.step_at.value_or(message.created_at);

  if (after.count() > 0 && now >= step_at + after) {
    // The deadline passed: the next step of the chain that reaches someone new.
    std::vector<Backup> chain;
    for (const UserId addressee : addressees) {
      for (const Backup& step : WL_TRY(routing_store_.list_backups(addressee))) {
        if (std::find(chain.begin(), chain.end(), step) == chain.end()) {
          chain.push_back(step);
        }
      }
    }
    std::vector<UserId> reached;
    Backup taken;
    while (reached.empty() && state.next_step < chain.size()) {
      taken = chain[state.next_step++];
      for (const UserId user : WL_TRY(reach(org, taken, now))) {
        if (user != message.actor && !intended.contains(user) &&
            std::find(reached.begin(), reached.end(), user) == reached.end()) {
          reached.push_back(user);
        }
      }
    }
    if (reached.empty()) {
      // The chain ended with nobody reading it: the sender is told, once.
      batch.add(AppendScopedEvent{EventKind::kUnanswered, org, message.actor, UserId(),
                                  message.actor, now, RoleId(), message.id});
      batch.audit(system_audit(now, org, "message.unanswered", message.id,
                               fmt::format("escalated_to={}", escalations.size())));
      return ok();
    }
    RouteMessage route{thread.id, taken.role, {}, now, message.id};
    for (const UserId user : reached) {
      route.to.push_back(RoutedTo{user, std::string(kReasonEscalated)});
    }
    batch.add(std::move(route));
    batch.audit(system_audit(now, org, "message.escalate", message.id,
                             fmt::format("step={} to={}", state.next_step, user_list(reached))));
    state.step_at = now;
    state.realerts = 0;
  } else if (realert.count() > 0 && state.realerts < limits_.max_realerts && !current.empty()) {
    // Between deadlines: an urgent message alerts its current recipients again.
    for (const UserId user : current) {
      batch.add(AppendScopedEvent{EventKind::kAlert, org, user, UserId(), user, now, RoleId(),
                                  message.id});
    }
    batch.audit(system_audit(now, org, "message.alert", message.id,
                             fmt::format("to={}", user_list(current))));
    ++state.realerts;
    state.step_at = step_at;
  } else {
    state.step_at = step_at;
  }

  // The next firing: the deadline, or the next re-alert if sooner.
  if (const auto next = next_escalation_at(policy, message.urgent, *state.step_at, now,
                                           state.realerts < limits_.max_realerts)) {
    batch.add(ScheduleTimer{timer.kind, timer.key, org, *next, encode_escalation(state)});
  }
  return ok();
}

}  // namespace wl
