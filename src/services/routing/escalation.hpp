#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "ports/clock.hpp"
#include "ports/message_log.hpp"
#include "ports/routing_store.hpp"
#include "ports/thread_store.hpp"
#include "ports/timer_store.hpp"
#include "ports/user_store.hpp"
#include "ports/write_batch.hpp"

namespace wl {

class RoutingService;

// Why a backup was reached (Event::reason of a kRouted): the message was unread past
// its deadline.
inline constexpr std::string_view kReasonEscalated = "escalated";

// Where a message's escalation stands: the payload of its kEscalationTimer. The send
// writes only the first two fields (send_timer_key); each step writes them all.
struct EscalationState {
  UserId sender;
  std::string client_token;          // The message's idempotency key, raw bytes.
  EventId message;                   // Unset until the first step has found the message.
  std::size_t next_step = 0;         // Index in the backup chain of the step to take next.
  std::optional<Timestamp> step_at;  // When the current step began; none: at the send.
  std::size_t realerts = 0;          // Re-alerts sent since then.
};

// "<sender>:<token hex>[;m=<message>;n=<next step>;at=<micros>;r=<re-alerts>]".
std::string encode_escalation(const EscalationState& state);
// Errors: InvalidArgument for a payload encode_escalation did not write.
Result<EscalationState> decode_escalation(std::string_view payload);

struct EscalationLimits {
  // Re-alerts of one step at most: an urgent message nobody reads stops alerting after
  // this many (an hour at a 2-minute cadence), whether or not it escalates.
  std::size_t max_realerts = 30;
};

// Moves unread messages on (docs/routing.md, "Escalation"): runs the kEscalationTimer a
// send to a person or a role scheduled. Pure rules over the ports and the Clock:
//
// - A read by anyone the message was meant for (its addressees and everyone it was
//   escalated to) stops it: the timer ends without a write.
// - Unread past the org's deadline (urgent_after or normal_after, counted from the send,
//   then from each step), it goes to the next step of the addressees' backup chains
//   that reaches someone new (a person, or a role's holders now): a RouteMessage of the
//   old message, reason "escalated", which the sender and the new recipients see in the
//   thread. Past the last step, the sender gets a kUnanswered, once, and it ends.
// - Between deadlines, an unread urgent message alerts the current step's recipients
//   again (kAlert) every realert_every, at most max_realerts times a step.
//
// Every step and every end is audited. Thread-safe; blocks on the store.
class Escalator {
 public:
  Escalator(RoutingService& routing, RoutingStore& routing_store, ThreadStore& threads,
            MessageLog& log, UserStore& users, const Clock& clock, EscalationLimits limits = {});

  // The JobRunner handler of kEscalationTimer: adds the step's writes, and the next
  // firing (a ScheduleTimer of the same key) to `batch`. Errors: as the store's reads;
  // InvalidArgument for a payload it did not write.
  Result<void> run(const Timer& timer, WriteBatch& batch);

 private:
  // The users a backup step reaches at `at`: the person if enabled and of the org, or
  // the role's holders (its fallback if none).
  Result<std::vector<UserId>> reach(OrgId org, const Backup& step, Timestamp at);

  RoutingService& routing_;
  RoutingStore& routing_store_;
  ThreadStore& threads_;
  MessageLog& log_;
  UserStore& users_;
  const Clock& clock_;
  EscalationLimits limits_;
};

}  // namespace wl
