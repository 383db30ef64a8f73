#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/status.hpp"
#include "core/time.hpp"

// Clinical routing's durable state (services/routing, docs/routing.md): the org's
// roles, the shifts that assign people to them, shift sign-ins, backup chains,
// escalation policies and people's availability. Role names and
// schedules are directory data, not PHI.
namespace wl {

// What a role stands for. Units and rooms are covered the way roles are held: by a
// shift or a sign-in.
enum class RoleKind : std::uint8_t { kRole = 1, kUnit = 2, kRoom = 3 };

struct Role {
  RoleId id;
  OrgId org_id;
  RoleKind kind = RoleKind::kRole;
  std::string name;  // "Cardiology On Call"; unique per org, compared without case.
  std::string description;
  // Who gets a message sent when nobody holds the role: another role or a person (at
  // most one of them set), or nobody.
  RoleId fallback_role;
  UserId fallback_user;
  Timestamp created_at;
  Timestamp updated_at;
};

// A person assigned to a role from starts_at to ends_at (exclusive), at most
// kMaxShiftLength. Overlapping shifts of one role are allowed: every holder receives.
inline constexpr std::chrono::hours kMaxShiftLength{7 * 24};

struct Shift {
  ShiftId id;
  OrgId org_id;
  RoleId role_id;
  UserId user_id;
  Timestamp starts_at;
  Timestamp ends_at;
  std::string time_zone;  // The IANA zone it was planned in: how it is shown.
  // Its identity in the file it was imported from ("ical:<uid>", "csv:..."), unique per
  // org; empty for a shift made by hand.
  std::string source_key;
  UserId updated_by;
  Timestamp updated_at;
};

// A user covering a role (unit, room) from `since` until they sign out: shift sign-in
// on shared phones.
struct RoleSignIn {
  RoleId role_id;
  UserId user_id;
  OrgId org_id;
  Timestamp since;
};

// How a user holds a role at a moment.
enum class HoldVia : std::uint8_t { kShift = 1, kSignIn = 2 };

struct RoleHolder {
  UserId user_id;
  HoldVia via = HoldVia::kShift;
  Timestamp since;                 // The shift's start or the sign-in's time.
  std::optional<Timestamp> until;  // The shift's end; none for a sign-in.
  ShiftId shift;                   // kShift: which.
};

struct ShiftQuery {
  OrgId org;
  RoleId role;     // Unset: every role.
  UserId user;     // Unset: everyone.
  Timestamp from;  // Shifts that overlap [from, to).
  Timestamp to;
  std::size_t limit = 1000;
};

struct ShiftSaved {
  Shift shift;
  bool created = false;
  bool changed = false;  // False: the stored shift already said this; nothing was written.
};

// One step of a person's backup chain (escalation, docs/routing.md): a colleague or a
// role, exactly one of them set.
struct Backup {
  UserId user;
  RoleId role;
  friend bool operator==(const Backup&, const Backup&) = default;
};

inline constexpr std::size_t kMaxBackups = 10;

// How long the org lets a message stay unread before it moves on to the next backup,
// for normal and urgent messages, and how often an unread urgent message alerts its
// recipients again. Zero: never. The defaults are an org's until an admin sets them:
// urgent messages escalate after 2 minutes and re-alert every 2; normal ones do not
// escalate.
struct EscalationPolicy {
  OrgId org_id;
  std::chrono::seconds normal_after{0};
  std::chrono::seconds urgent_after{2 * 60};
  std::chrono::seconds realert_every{2 * 60};
  UserId updated_by;  // Unset: the defaults, never set.
  Timestamp updated_at;
};

inline constexpr std::chrono::hours kMaxEscalationDelay{24};

// Whether a person can take messages now (docs/routing.md, "Availability").
enum class Availability : std::uint8_t {
  kAvailable = 1,
  kBusy = 2,
  kInProcedure = 3,
  kOffDuty = 4,
};

// A period of a person's availability, from starts_at until ends_at (none: until a
// later period replaces it). At a moment, the period in force that started last (of
// two, the later set) says how they are; with none, they are available.
struct AvailabilityPeriod {
  AvailabilityId id;
  OrgId org_id;
  UserId user_id;
  Availability status = Availability::kAvailable;
  Timestamp starts_at;
  std::optional<Timestamp> ends_at;
  UserId set_by;
  Timestamp set_at;
};

// How `periods` (of one person) say they are at `at`, and the period that says it
// (none: available by default).
inline const AvailabilityPeriod* period_at(const std::vector<AvailabilityPeriod>& periods,
                                           Timestamp at) {
  const AvailabilityPeriod* found = nullptr;
  for (const AvailabilityPeriod& period : periods) {
    const bool in_force = period.starts_at <= at && (!period.ends_at || *period.ends_at > at);
    if (in_force && (found == nullptr || period.starts_at > found->starts_at ||
                     (period.starts_at == found->starts_at && period.id > found->id))) {
      found = &period;
    }
  }
  return found;
}

inline Availability availability_at(const std::vector<AvailabilityPeriod>& periods, Timestamp at) {
  const AvailabilityPeriod* period = period_at(periods, at);
  return period != nullptr ? period->status : Availability::kAvailable;
}

// A person's forwarding (docs/routing.md, "Forwarding"): while it is in force (from
// starts_at until ends_at, or until cleared), messages to them go to a colleague or to
// whoever holds a role; exactly one of to_user and to_role is set.
struct Forwarding {
  OrgId org_id;
  UserId user_id;
  UserId to_user;
  RoleId to_role;
  Timestamp starts_at;
  std::optional<Timestamp> ends_at;
  UserId set_by;
  Timestamp set_at;

  bool in_force_at(Timestamp at) const { return starts_at <= at && (!ends_at || *ends_at > at); }
};

// A person's gatekeepers (docs/routing.md, "Gatekeepers"): colleagues who screen the
// messages sent to them while they are not available, in the order they named them.
inline constexpr std::size_t kMaxGatekeepers = 5;

struct Gatekeeping {
  UserId user;        // Whose messages are screened.
  UserId gatekeeper;  // Who screens them.
};

// The next moment after `at` at which `periods` may say something else: the end of the
// period in force, or the start of a later one; none if neither comes.
inline std::optional<Timestamp> next_availability_change(
    const std::vector<AvailabilityPeriod>& periods, Timestamp at) {
  std::optional<Timestamp> next;
  const auto consider = [&next](Timestamp when) {
    if (!next || when < *next) {
      next = when;
    }
  };
  for (const AvailabilityPeriod& period : periods) {
    if (period.starts_at > at) {
      consider(period.starts_at);
    } else if (period.ends_at && *period.ends_at > at) {
      consider(*period.ends_at);
    }
  }
  return next;
}

// ---- Mutations (written through a WriteBatch, ports/write_batch.hpp) ----

/// Creates role.org_id's role (role.id ignored) and appends a kRoleChanged about it by
/// `actor` at role.created_at (updated_at is set to it). Result: the Role.
/// Errors: AlreadyExists if the org has a role of that name (ASCII letters compared
/// without case); NotFound for no org, or a fallback role or user not of the org;
/// InvalidArgument for both fallbacks set, or a role falling back to itself.
struct CreateRole {
  Role role;
  UserId actor;
};

/// Replaces role.id's kind, name, description and fallbacks, sets updated_at to `at`,
/// and appends a kRoleChanged by `actor`. Result: the Role. Errors: NotFound for an
/// unknown role (or one of another org than role.org_id), or a fallback not of the org;
/// AlreadyExists for a name another role of the org has.
struct UpdateRole {
  Role role;
  UserId actor;
  Timestamp at;
};

/// Saves a shift: with shift.id set, changes that shift; else, with a source_key, the
/// org's shift of that key (created if there is none); else creates one. A shift that
/// already says the same (role, user, start, end, zone) is left as it is (changed =
/// false). A change appends one kOnCallChanged per role whose shifts changed in the
/// batch (the old and the new role of a moved shift). Result: ShiftSaved.
/// Errors: InvalidArgument if ends_at is not after starts_at, or the shift is longer
/// than kMaxShiftLength; NotFound for an unknown
/// shift id, or a role or user not of shift.org_id.
struct SaveShift {
  Shift shift;  // updated_by and updated_at: who saves it, and when.
};

/// Deletes the shift `id`, or with no id the org's shift of `source_key`, and appends a
/// kOnCallChanged for its role (once per role per batch). Result: true if there was one.
struct DeleteShift {
  OrgId org;
  ShiftId id;
  std::string source_key;
  UserId actor;
  Timestamp at;
};

/// Signs `user` in to `role` at `at` and appends a kOnCallChanged by the user. Result:
/// true; false if they were signed in already (nothing written).
/// Errors: NotFound for a role or user not of `org`.
struct SignInRole {
  OrgId org;
  RoleId role;
  UserId user;
  Timestamp at;
};

/// Signs `user` out of `role` and appends a kOnCallChanged by `actor`. Result: true;
/// false if they were not signed in (nothing written).
struct SignOutRole {
  OrgId org;
  RoleId role;
  UserId user;
  UserId actor;
  Timestamp at;
};

/// Replaces `user`'s backup chain by `chain`, in order (empty: none). Result: true.
/// Errors: InvalidArgument for a step with both or neither of user and role set, the
/// user themselves, a step twice, or more than kMaxBackups steps; NotFound for `user`,
/// or a step's user or role, not of `org`.
struct SetBackups {
  OrgId org;
  UserId user;
  std::vector<Backup> chain;
};

/// Sets policy.org_id's escalation policy (updated_by and updated_at say who and when).
/// Result: true. Errors: InvalidArgument for a negative delay or one over
/// kMaxEscalationDelay; NotFound for no org.
struct SetEscalationPolicy {
  EscalationPolicy policy;
};

/// Adds period.user_id's availability period (its id ignored) and appends a
/// kAvailabilityChanged about them by set_by, to the org. A period without an end that
/// starts at or before set_at replaces the person's earlier-starting periods for good,
/// so those are deleted; so are periods that ended by set_at. Result: the
/// AvailabilityPeriod. Errors: InvalidArgument for an unknown status, or an end not
/// after the start; NotFound for a user not of period.org_id.
struct SetAvailability {
  AvailabilityPeriod period;
};

/// Deletes `user`'s period `id` and appends a kAvailabilityChanged by `actor`. Result:
/// true if there was one (false: nothing written).
struct DeleteAvailability {
  OrgId org;
  UserId user;
  AvailabilityId id;
  UserId actor;
  Timestamp at;
};

/// Sets forwarding.user_id's forwarding, replacing any they had, and appends a
/// kAvailabilityChanged about them by set_by, to the org. Result: the Forwarding.
/// Errors: InvalidArgument unless exactly one of to_user and to_role is set, or for an
/// end not after the start; NotFound for a user, target user or role not of
/// forwarding.org_id.
struct SetForwarding {
  Forwarding forwarding;
};

/// Clears `user`'s forwarding and appends a kAvailabilityChanged by `actor`. Result:
/// true if there was one (false: nothing written).
struct ClearForwarding {
  OrgId org;
  UserId user;
  UserId actor;
  Timestamp at;
};

/// Replaces `user`'s gatekeepers by `gatekeepers`, in order (empty: none), and appends a
/// kAvailabilityChanged about them by `actor`, to the org. Result: true. Errors:
/// InvalidArgument for the user themselves, a gatekeeper twice, or more than
/// kMaxGatekeepers; NotFound for `user`, or a gatekeeper, not of `org`.
struct SetGatekeepers {
  OrgId org;
  UserId user;
  std::vector<UserId> gatekeepers;
  UserId actor;
  Timestamp at;
};

// A hand-off note (docs/routing.md, "Hand-off notes"): a message the outgoing holder of
// a role wrote in their thread with the role for the incoming holder, who accepts it.
// Its identity is the message's.
struct HandOff {
  EventId message_id;
  OrgId org_id;
  RoleId role_id;
  ThreadId thread_id;
  std::int64_t message_seq = 0;
  UserId from_user;  // The message's sender.
  UserId to_user;
  Timestamp created_at;
  std::optional<Timestamp> accepted_at;
};

/// Records that the message the batch has just appended to `thread` (by an AppendMessage
/// before this mutation) is a hand-off note of `role` from its sender to `to`. Result:
/// std::optional<HandOff>; none, and nothing written, if the batch appended no message
/// to the thread (a resent client id). Errors: NotFound for a `to` not of the thread's
/// org.
struct RecordHandOff {
  RoleId role;
  ThreadId thread;
  UserId to;
};

/// Marks the hand-off note `message` accepted by `user` at `at`. Result: true. Errors:
/// NotFound unless it is a hand-off note to `user`; AlreadyExists if it was accepted
/// already (so the batch that would show the acceptance a second time fails whole).
struct AcceptHandOff {
  EventId message;
  UserId user;
  Timestamp at;
};

/// Roles, shifts and sign-ins (services/routing): the reads.
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class RoutingStore {
 public:
  virtual ~RoutingStore() = default;

  /// Errors: NotFound.
  virtual Result<Role> find_role(RoleId id) = 0;
  /// The org's role of that name, compared without case. Errors: NotFound.
  virtual Result<Role> find_role_by_name(OrgId org, std::string_view name) = 0;
  /// The org's roles, ordered by name (without case), then id.
  virtual Result<std::vector<Role>> list_roles(OrgId org) = 0;

  /// Errors: NotFound.
  virtual Result<Shift> find_shift(ShiftId id) = 0;
  /// The shifts of query.org (of query.role and query.user, if set) that overlap
  /// [from, to), ordered by start, then id; at most query.limit.
  virtual Result<std::vector<Shift>> list_shifts(const ShiftQuery& query) = 0;

  /// The org's sign-ins (of `role` and `user`, if set), ordered by role, then user.
  virtual Result<std::vector<RoleSignIn>> list_sign_ins(OrgId org, RoleId role, UserId user) = 0;

  /// Who holds `role` at `at`: the users of its shifts with starts_at <= at < ends_at
  /// and those signed in to it, each once (a shift before a sign-in; of two shifts,
  /// the one that started first), ordered by user id. Disabled users are left out.
  virtual Result<std::vector<RoleHolder>> list_role_holders(RoleId role, Timestamp at) = 0;

  /// `user`'s backup chain, in order; empty if none was set.
  virtual Result<std::vector<Backup>> list_backups(UserId user) = 0;

  /// The org's escalation policy: the defaults (updated_by unset) until one is set.
  virtual Result<EscalationPolicy> find_escalation_policy(OrgId org) = 0;

  /// `user`'s availability periods not ended by `from` (ends_at after it, or none),
  /// ordered by start, then id.
  virtual Result<std::vector<AvailabilityPeriod>> list_availability(UserId user,
                                                                    Timestamp from) = 0;

  /// `user`'s forwarding, in force or not (ended or ahead); none if none is set.
  virtual Result<std::optional<Forwarding>> find_forwarding(UserId user) = 0;

  /// As list_availability and find_forwarding for each of `users` (at most
  /// kMaxUsersPerRead), in one read each: the periods ordered by user, then start,
  /// then id; the forwardings set, ordered by user. Unknown users have none.
  virtual Result<std::vector<AvailabilityPeriod>> list_availability_of(
      std::span<const UserId> users, Timestamp from) = 0;
  virtual Result<std::vector<Forwarding>> list_forwarding_of(std::span<const UserId> users) = 0;
  static constexpr std::size_t kMaxUsersPerRead = 1000;

  /// `user`'s gatekeepers, in the order named; empty if none.
  virtual Result<std::vector<UserId>> list_gatekeepers(UserId user) = 0;
  /// The gatekeepers of each of `users` (at most kMaxUsersPerRead) in one read, ordered
  /// by user, then as named.
  virtual Result<std::vector<Gatekeeping>> list_gatekeepers_of(std::span<const UserId> users) = 0;
  /// The people `gatekeeper` screens for, ordered by id.
  virtual Result<std::vector<UserId>> list_gatekept_by(UserId gatekeeper) = 0;

  /// The hand-off note `message`. Errors: NotFound.
  virtual Result<HandOff> find_handoff(EventId message) = 0;
  /// The hand-off notes to `user` not accepted yet, oldest first, at most `limit`.
  virtual Result<std::vector<HandOff>> list_pending_handoffs(UserId user, std::size_t limit) = 0;
};

}  // namespace wl
