#pragma once

// What both store adapters share of the routing port (ports/routing_store.hpp) apart
// from their database: the key a role's name is unique by, a shift's checks, the one
// kOnCallChanged per role per batch, and how a role's holders are merged. Internal to
// the adapters.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "core/utf8.hpp"
#include "ports/records.hpp"
#include "ports/routing_store.hpp"

namespace wl::detail {

// The rows whose org the adapters check: an org itself, a role, a user.
enum class OrgRow { kOrg, kRole, kUser };

// A role's name with ASCII letters lowered: what "unique per org, compared without
// case" compares, the same in every adapter.
inline std::string role_name_key(std::string_view name) { return ascii_lower(name); }

inline Result<void> check_role(const Role& role) {
  if (role.fallback_role.is_set() && role.fallback_user.is_set()) {
    return error(Code::kInvalidArgument, "a role falls back to a role or to a person, not both");
  }
  if (role.fallback_role.is_set() && role.fallback_role == role.id) {
    return error(Code::kInvalidArgument, "a role cannot fall back to itself");
  }
  return ok();
}

// Fails with NotFound unless the role's fallbacks, if set, are of its org:
// `require_of_org(row, id, org, what)` is the adapter's check of one row.
template <typename RequireOfOrg>
Result<void> require_fallbacks_of_org(const Role& role, RequireOfOrg require_of_org) {
  if (role.fallback_role.is_set()) {
    WL_TRY(require_of_org(OrgRow::kRole, role.fallback_role.value(), role.org_id, "fallback role"));
  }
  if (role.fallback_user.is_set()) {
    WL_TRY(require_of_org(OrgRow::kUser, role.fallback_user.value(), role.org_id, "fallback user"));
  }
  return ok();
}

inline Result<void> check_shift(const Shift& shift) {
  if (shift.ends_at <= shift.starts_at) {
    return error(Code::kInvalidArgument, "a shift must end after it starts");
  }
  if (shift.ends_at - shift.starts_at > kMaxShiftLength) {
    return error(Code::kInvalidArgument, "a shift lasts at most 7 days");
  }
  return ok();
}

inline Result<void> check_backups(const SetBackups& mutation) {
  if (mutation.chain.size() > kMaxBackups) {
    return error(Code::kInvalidArgument, "a backup chain has at most 10 steps");
  }
  for (std::size_t i = 0; i < mutation.chain.size(); ++i) {
    const Backup& step = mutation.chain[i];
    if (step.user.is_set() == step.role.is_set()) {
      return error(Code::kInvalidArgument, "each backup is a person or a role");
    }
    if (step.user == mutation.user && step.user.is_set()) {
      return error(Code::kInvalidArgument, "a person cannot be their own backup");
    }
    if (std::find(mutation.chain.begin(), mutation.chain.begin() + static_cast<std::ptrdiff_t>(i),
                  step) != mutation.chain.begin() + static_cast<std::ptrdiff_t>(i)) {
      return error(Code::kInvalidArgument, "a backup appears twice in the chain");
    }
  }
  return ok();
}

inline Result<void> check_gatekeepers(const SetGatekeepers& mutation) {
  const std::vector<UserId>& named = mutation.gatekeepers;
  if (named.size() > kMaxGatekeepers) {
    return error(Code::kInvalidArgument, "a person has at most 5 gatekeepers");
  }
  for (std::size_t i = 0; i < named.size(); ++i) {
    if (!named[i].is_set()) {
      return error(Code::kInvalidArgument, "each gatekeeper is a person");
    }
    if (named[i] == mutation.user) {
      return error(Code::kInvalidArgument, "a person cannot be their own gatekeeper");
    }
    if (std::find(named.begin(), named.begin() + static_cast<std::ptrdiff_t>(i), named[i]) !=
        named.begin() + static_cast<std::ptrdiff_t>(i)) {
      return error(Code::kInvalidArgument, "a gatekeeper is named twice");
    }
  }
  return ok();
}

inline Result<void> check_policy(const EscalationPolicy& policy) {
  for (const std::chrono::seconds delay :
       {policy.normal_after, policy.urgent_after, policy.realert_every}) {
    if (delay.count() < 0 || delay > kMaxEscalationDelay) {
      return error(Code::kInvalidArgument, "an escalation delay is 0 to 24 hours");
    }
  }
  return ok();
}

inline Result<void> check_availability(const AvailabilityPeriod& period) {
  if (period.status < Availability::kAvailable || period.status > Availability::kOffDuty) {
    return error(Code::kInvalidArgument, "an unknown availability");
  }
  if (period.ends_at && *period.ends_at <= period.starts_at) {
    return error(Code::kInvalidArgument, "an availability must end after it starts");
  }
  return ok();
}

inline Result<void> check_forwarding(const Forwarding& forwarding) {
  if (forwarding.to_user.is_set() == forwarding.to_role.is_set()) {
    return error(Code::kInvalidArgument, "forward to a person or to a role");
  }
  if (forwarding.to_user == forwarding.user_id) {
    return error(Code::kInvalidArgument, "a person cannot forward to themselves");
  }
  if (forwarding.ends_at && *forwarding.ends_at <= forwarding.starts_at) {
    return error(Code::kInvalidArgument, "a forwarding must end after it starts");
  }
  return ok();
}

// Whether the shift as stored already says what `wanted` says.
inline bool same_shift(const Shift& stored, const Shift& wanted) {
  return stored.role_id == wanted.role_id && stored.user_id == wanted.user_id &&
         stored.starts_at == wanted.starts_at && stored.ends_at == wanted.ends_at &&
         stored.time_zone == wanted.time_zone;
}

// Whether the batch's events (`events`) already hold a kOnCallChanged of `role`: a
// batch announces each role's change once, however many of its shifts it changes.
inline bool on_call_notice_pending(const std::vector<Event>& events, RoleId role) {
  return std::any_of(events.begin(), events.end(), [role](const Event& event) {
    return event.kind == EventKind::kOnCallChanged && event.role == role;
  });
}

// The holders of a role from its current shifts (ordered by start, then id) and its
// sign-ins: each user once (a shift before a sign-in, the earliest shift first),
// ordered by user id.
inline std::vector<RoleHolder> merge_holders(const std::vector<RoleHolder>& by_shift,
                                             const std::vector<RoleHolder>& by_sign_in) {
  std::vector<RoleHolder> holders;
  auto add = [&holders](const RoleHolder& holder) {
    const bool known = std::any_of(holders.begin(), holders.end(), [&holder](const RoleHolder& h) {
      return h.user_id == holder.user_id;
    });
    if (!known) {
      holders.push_back(holder);
    }
  };
  std::for_each(by_shift.begin(), by_shift.end(), add);
  std::for_each(by_sign_in.begin(), by_sign_in.end(), add);
  std::sort(holders.begin(), holders.end(),
            [](const RoleHolder& a, const RoleHolder& b) { return a.user_id < b.user_id; });
  return holders;
}

}  // namespace wl::detail
