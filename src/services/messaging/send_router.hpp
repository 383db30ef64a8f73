#pragma once

#include <algorithm>

#include "core/status.hpp"
#include "ports/message_log.hpp"
#include "ports/records.hpp"
#include "ports/routing_store.hpp"
#include "services/identity/principal.hpp"

namespace wl {

// When a message's escalation timer fires next (docs/routing.md, "Escalation"): at the
// deadline of the step that began at `step_at`, or, for an urgent message that may
// still re-alert, at its next re-alert from `now` if that is sooner; none if the policy
// does neither.
inline std::optional<Timestamp> next_escalation_at(const EscalationPolicy& policy, bool urgent,
                                                   Timestamp step_at, Timestamp now,
                                                   bool may_realert) {
  std::optional<Timestamp> next;
  const std::chrono::seconds after = urgent ? policy.urgent_after : policy.normal_after;
  if (after.count() > 0) {
    next = step_at + after;
  }
  if (urgent && may_realert && policy.realert_every.count() > 0 &&
      (!next || now + policy.realert_every < *next)) {
    next = now + policy.realert_every;
  }
  return next;
}

// The reason of the kRouted that marks an emergency override: the urgent message
// reached its addressee although they were off duty.
inline constexpr std::string_view kReasonOverride = "override";
// The reason of a kRouted to whom a person's forwarding sent their message (its actor:
// the person who forwards).
inline constexpr std::string_view kReasonForwarded = "forwarded";

// The reasons of the kRouted events a gatekeeper's decision adds (docs/routing.md,
// "Gatekeepers"; their actor: the gatekeeper). Screened: they passed the message on to
// its addressee. Kept: they kept it for the addressee until available. Answered: they
// answered it themselves, and joined the thread at it.
inline constexpr std::string_view kReasonScreened = "screened";
inline constexpr std::string_view kReasonKept = "kept";
inline constexpr std::string_view kReasonAnswered = "answered";
// The reason of the kRouted of an urgent screened message no gatekeeper decided on
// within the org's urgent deadline: it went on to its addressee anyway (its actor: the
// sender).
inline constexpr std::string_view kReasonUnscreened = "unscreened";
// The reasons of a hand-off note's kRouted events (docs/routing.md, "Hand-off notes"):
// it reached the role's incoming holder (its actor: the outgoing one, its sender), and
// they accepted it (a later kRouted about the same message; its actor: they).
inline constexpr std::string_view kReasonHandOff = "hand_off";
inline constexpr std::string_view kReasonAccepted = "accepted";

// How a person is reached (docs/routing.md): their availability periods (in force or
// ahead), their forwarding and their gatekeepers.
struct Reachability {
  std::vector<AvailabilityPeriod> periods;
  std::optional<Forwarding> forwarding;
  std::vector<UserId> gatekeepers;

  bool off_duty_at(Timestamp at) const {
    return availability_at(periods, at) == Availability::kOffDuty;
  }
  bool forwards_at(Timestamp at) const { return forwarding && forwarding->in_force_at(at); }
  // Whether their gatekeepers screen a message `sender` sends them at `at`: they are not
  // available and have gatekeepers, of whom the sender is not one.
  bool screens_at(Timestamp at, UserId sender) const {
    return !gatekeepers.empty() && availability_at(periods, at) != Availability::kAvailable &&
           std::ranges::find(gatekeepers, sender) == gatekeepers.end();
  }
  // Whether a message `sender` sends them at `at` goes straight to them: not held,
  // forwarded or screened.
  bool direct_at(Timestamp at, UserId sender) const {
    return !off_duty_at(at) && !forwards_at(at) && !screens_at(at, sender);
  }
};

// Where a message to a person goes through forwarding: `to` the people it reaches
// instead (empty: no forwarding in force, or one that cannot be followed); `loop` when
// the chain came back to someone in it, or went on beyond kMaxForwardHops: it is not
// followed, and the sender is told.
struct Forwarded {
  std::vector<RoutedTo> to;
  bool loop = false;
};
inline constexpr std::size_t kMaxForwardHops = 5;

// How routing (services/routing) plugs into sending without messaging depending on
// it: while messaging builds a send's batch to a role thread, it asks the router whom
// the message goes to now and adds the answer (a RouteMessage) after the message; and
// a send that may escalate schedules its first step from the org's policy.
class SendRouter {
 public:
  virtual ~SendRouter() = default;

  // Whom a message `sender` sends now to role thread `thread` reaches. Blocks on the
  // store. Errors: FailedPrecondition when nobody can be reached (no holder and no
  // fallback), with a sentence for the sender; as the store's reads.
  virtual Result<RouteMessage> route(const Principal& sender, const Thread& thread,
                                     bool urgent) = 0;

  // The org's escalation policy as this node last read it, however old; nullopt if it
  // never did. Never blocks: a send's batch schedules the message's escalation from it.
  virtual std::optional<EscalationPolicy> cached_policy(OrgId org) const = 0;
  // Whether the cached policy is recent enough for a send to use without reading it
  // again (load_policy). Never blocks.
  virtual bool policy_fresh(OrgId org) const = 0;
  // Reads the org's policy into the cache. Blocks on the store.
  virtual Result<EscalationPolicy> load_policy(OrgId org) = 0;

  // How `user` is reached, as this node read it within the last minute; nullopt if it
  // did not. Never blocks: a send to a person decides from it whether it needs a read
  // (docs/routing.md, "Off duty: held messages", "Forwarding").
  virtual std::optional<Reachability> cached_reachability(UserId user) const = 0;
  // Whether this node read within the last minute that a message `sender` sends `user`
  // now goes straight to them (Reachability::direct_at); false when it did not. Never
  // blocks and copies nothing: the send path asks it for every message to a person.
  virtual bool reaches_directly(UserId user, UserId sender) const = 0;
  // Reads it into the cache. Blocks on the store.
  virtual Result<Reachability> load_reachability(UserId user) = 0;
  // Where a message sent now to `addressee` goes through forwarding (following each
  // person's forwarding, a role's to its holders). Blocks on the store.
  virtual Result<Forwarded> forward(OrgId org, UserId addressee) = 0;
  // The people `gatekeeper` screens for (docs/routing.md, "Gatekeepers"). Blocks.
  virtual Result<std::vector<UserId>> gatekept_by(UserId gatekeeper) = 0;
};

}  // namespace wl
