#pragma once

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

  // `user`'s availability periods (in force or ahead) as this node read them within the
  // last minute; nullopt if it did not. Never blocks: a send to a person decides from
  // them whether it needs a read (docs/routing.md, "Off duty: held messages").
  virtual std::optional<std::vector<AvailabilityPeriod>> cached_availability(UserId user) const = 0;
  // Reads them into the cache. Blocks on the store.
  virtual Result<std::vector<AvailabilityPeriod>> load_availability(UserId user) = 0;
};

}  // namespace wl
