#pragma once

#include <cstddef>
#include <functional>
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
#include "ports/routing_store.hpp"
#include "ports/user_store.hpp"
#include "ports/write_batch.hpp"
#include "services/identity/principal.hpp"
#include "services/messaging/messaging_service.hpp"
#include "services/messaging/send_router.hpp"
#include "services/routing/schedule_files.hpp"

namespace wl {

class AuditLog;

// What a role is given as: its fields but the id and times.
struct RoleInput {
  RoleKind kind = RoleKind::kRole;
  std::string name;
  std::string description;
  RoleId fallback_role;
  UserId fallback_user;
};

// A shift as a scheduler gives it.
struct ShiftInput {
  RoleId role;
  UserId user;
  Timestamp starts_at;
  Timestamp ends_at;
  std::string time_zone;  // IANA; how the shift is shown.
};

// A role with who holds it now.
struct RoleView {
  Role role;
  std::vector<RoleHolder> holders;
};

// Where a message to a role goes at a moment (docs/routing.md, "Resolution").
struct Resolution {
  RoleId role;               // The role asked about.
  std::vector<RoutedTo> to;  // Empty: nobody can be reached.
  RoleId via_role;           // The role whose holders these are (a fallback's, or role).
  bool fallback = false;     // Nobody held `role`: its fallback was used.
};

// How a person is at a moment (docs/routing.md, "Availability").
struct AvailabilityNow {
  UserId user;
  Availability status = Availability::kAvailable;
  std::optional<Timestamp> until;  // When the period in force ends, if it does.
};

// A person's availability: now, and the periods in force or ahead.
struct AvailabilityView {
  AvailabilityNow now;
  std::vector<AvailabilityPeriod> periods;
};

// Availability as a caller sets it: from now (starts_at none) or ahead, with an end or
// until replaced.
struct AvailabilityInput {
  Availability status = Availability::kAvailable;
  std::optional<Timestamp> starts_at;
  std::optional<Timestamp> ends_at;
};

// One person a message would reach, with how they are now (previews).
struct PreviewRecipient {
  UserId user;
  std::string reason;  // A RoutedTo reason, or "addressee" / "member".
  AvailabilityNow availability;
  std::optional<Forwarding> forwarding;  // Theirs, when in force now.
  UserId via;                            // Reason forwarded: whose forwarding.
  std::vector<UserId> gatekeepers;       // Theirs: who screens while they are not available.
};

// A hand-off note as its writer gives it (docs/routing.md, "Hand-off notes"): a
// message's client id and text.
struct HandOffNote {
  std::string client_id;
  std::string body;
};

// A forwarding as a caller sets it: to a colleague or a role, from now (starts_at none)
// or ahead, with an end or until cleared.
struct ForwardingInput {
  UserId to_user;
  RoleId to_role;
  std::optional<Timestamp> starts_at;
  std::optional<Timestamp> ends_at;
};

// Why each user was reached (Event::reason of a kRouted).
inline constexpr std::string_view kReasonOnCall = "on_call";      // Their shift.
inline constexpr std::string_view kReasonSignedIn = "signed_in";  // Their sign-in.
inline constexpr std::string_view kReasonFallback = "fallback";   // The role's fallback.

enum class ScheduleFormat : std::uint8_t { kICalendar, kCsv };

// A schedule file to import (docs/schedules.md).
struct ScheduleImport {
  ScheduleFormat format = ScheduleFormat::kICalendar;
  std::string text;
  // The zone of floating times, all-day dates and CSV rows without one; IANA.
  std::string default_time_zone = "UTC";
  std::chrono::minutes all_day_starts{7 * 60};
};

// What an import did. Every row it could not use is a problem, with the reason.
struct ImportReport {
  std::size_t entries = 0;  // Events or data lines in the file.
  std::size_t rows = 0;     // Shift rows read from them (one per person of an event).
  std::size_t created = 0;
  std::size_t updated = 0;
  std::size_t unchanged = 0;  // Already as the file says: an import run twice changes nothing.
  std::size_t deleted = 0;    // Cancelled events' shifts removed.
  std::vector<ScheduleProblem> problems;
  std::size_t problems_not_listed = 0;  // Beyond max_import_problems.
};

// Told how far an import is: rows written of rows to write. Called on the importing
// thread between batches.
using ImportProgress = std::function<void(std::size_t done, std::size_t total)>;

struct RoutingLimits {
  std::size_t max_role_name_bytes = 100;
  std::size_t max_description_bytes = 500;
  std::size_t max_fallback_depth = 8;      // Roles followed through fallbacks.
  std::chrono::days max_shift_window{62};  // The span one list_shifts call may cover.
  std::size_t import_batch = 500;          // Shifts per write of an import.
  std::size_t max_import_problems = 1000;  // Problems listed in a report; the rest counted.
  // Recurring events are expanded from this long before the import to this long after.
  std::chrono::days import_past{31};
  std::chrono::days import_future{400};
  std::chrono::days max_availability_ahead{366};
  std::size_t max_pending_handoffs = 100;  // Hand-off notes one list shows.
};

// Clinical routing (docs/routing.md): roles, their schedules and sign-ins, and where a
// message to a role goes. Pure rules over the routing and user ports and the Clock.
// Thread-safe; blocks on the store, so call it from worker threads.
//
// Who may do what: every user of the org reads roles, holders and schedules (directory
// data, not PHI); org admins create and change roles; admins and schedulers (the
// scheduler permission) save and delete shifts; a user signs themselves in and out,
// and an admin or scheduler may sign anyone out. Every change and every refusal is
// audited.
class RoutingService : public SendRouter {
 public:
  RoutingService(Committer& committer, RoutingStore& routing, UserStore& users,
                 MessagingService& messaging, AuditLog& audit, Bus& bus, const Clock& clock,
                 RoutingLimits limits = {});

  // Errors: PermissionDenied (not an admin); InvalidArgument (a name empty, too long or
  // not UTF-8; a description too long; both fallbacks; a fallback loop); AlreadyExists
  // (a role of that name); NotFound (a fallback not of the org).
  Result<Role> create_role(const Principal& actor, const RoleInput& input);
  Result<Role> update_role(const Principal& actor, RoleId role, const RoleInput& input);

  // The org's roles with who holds each now, by name.
  Result<std::vector<RoleView>> list_roles(const Principal& actor);
  // Errors: NotFound (also for another org's role).
  Result<RoleView> get_role(const Principal& actor, RoleId role);

  // Creates a shift (`shift` unset) or changes one. Errors: PermissionDenied (neither
  // admin nor scheduler); InvalidArgument (end not after start, longer than 7 days, an
  // unknown time zone); NotFound (role, user or shift not of the org).
  Result<Shift> save_shift(const Principal& actor, ShiftId shift, const ShiftInput& input);
  // Errors: PermissionDenied; NotFound.
  Result<void> delete_shift(const Principal& actor, ShiftId shift);
  // The org's shifts overlapping [from, to) (at most max_shift_window), of `role` and
  // `user` if set, by start. Errors: InvalidArgument for a bad window.
  Result<std::vector<Shift>> list_shifts(const Principal& actor, RoleId role, UserId user,
                                         Timestamp from, Timestamp to);

  // Shift sign-in: the caller takes `role` (a unit or room too) until they give it back.
  // Errors: NotFound.
  Result<void> sign_in(const Principal& actor, RoleId role);
  // `user` gives `role` back: the caller themselves, or anyone for an admin or
  // scheduler. Errors: PermissionDenied; NotFound if they were not signed in.
  Result<void> sign_out(const Principal& actor, RoleId role, UserId user);
  // The caller gives `role` to `next` in one step: signs out, `next` is signed in; with a
  // note, write_handoff first. Errors: NotFound (next not of the org, or the caller not
  // signed in); as write_handoff.
  Result<void> hand_over(const Principal& actor, RoleId role, UserId next,
                         const std::optional<HandOffNote>& note = std::nullopt);

  // ---- Hand-off notes (docs/routing.md, "Hand-off notes") ----

  // The caller, holding `role` now, writes a hand-off note to `next` in their thread with
  // the role (opened if need be): it reaches `next`, who joins that thread and accepts
  // it. Audited (role.handoff) beside the message's own entry. Errors: PermissionDenied
  // (not a holder now: audited); InvalidArgument (to oneself; the note as a send's);
  // NotFound.
  Result<SendResult> write_handoff(const Principal& actor, RoleId role, UserId next,
                                   const HandOffNote& note);
  // The hand-off notes to the caller not accepted yet, oldest first.
  Result<std::vector<HandOff>> pending_handoffs(const Principal& actor);
  // The caller accepts hand-off note `message`: its thread shows it (a kRouted of reason
  // accepted). Accepting again changes nothing. Audited (handoff.accept). Errors:
  // NotFound (not a note to the caller: audited).
  Result<HandOff> accept_handoff(const Principal& actor, EventId message);
  // The org's sign-ins, of `role` and `user` if set.
  Result<std::vector<RoleSignIn>> list_sign_ins(const Principal& actor, RoleId role, UserId user);

  // Imports a schedule file (admins and schedulers): each row's role is found by name
  // and its person by username, e-mail or name (docs/schedules.md, "Matching"); each
  // shift is saved under its source key, so importing the same file again changes
  // nothing; cancelled events delete theirs. Written in batches of import_batch, each
  // audited (schedule.import) with what it changed; `progress` is told after each.
  // Errors: PermissionDenied; InvalidArgument for a file that is unusable as a whole
  // (the rows' problems are in the report instead).
  Result<ImportReport> import_schedule(const Principal& actor, const ScheduleImport& file,
                                       const ImportProgress& progress = {});
  // Whether the actor may import schedules: PermissionDenied (audited) if not.
  Result<void> check_import(const Principal& actor);

  // Where a message to `role` sent at `at` goes: its holders; if none, its fallback
  // person, or its fallback role's holders (followed up to max_fallback_depth roles,
  // a loop stopping it). Errors: NotFound for a role not of `org`.
  Result<Resolution> resolve(OrgId org, RoleId role, Timestamp at);
  // resolve() now, for the caller's composer. Errors: NotFound.
  Result<Resolution> preview(const Principal& actor, RoleId role);

  // The caller's conversation with `role` (created on first use). Errors: NotFound.
  Result<ThreadView> open_role_thread(const Principal& actor, RoleId role);

  // SendRouter: the message goes to resolve()'s people now.
  Result<RouteMessage> route(const Principal& sender, const Thread& thread, bool urgent) override;

  // ---- Escalation (docs/routing.md, "Escalation") ----

  // `user`'s backup chain, in order. Any colleague may read it (it is whom their
  // messages move on to). Errors: NotFound.
  Result<std::vector<Backup>> backups(const Principal& actor, UserId user);
  // Replaces `user`'s backup chain: the user themselves or an admin. Audited.
  // Errors: PermissionDenied; InvalidArgument (a step both or neither, the user
  // themselves, twice, over kMaxBackups); NotFound (a step not of the org).
  Result<void> set_backups(const Principal& actor, UserId user, std::vector<Backup> chain);
  // The org's escalation policy (the defaults until an admin sets one).
  Result<EscalationPolicy> policy(const Principal& actor);
  // Sets it: admins only. Audited. Errors: PermissionDenied; InvalidArgument (a delay
  // below 0 or over kMaxEscalationDelay).
  Result<EscalationPolicy> set_policy(const Principal& actor, EscalationPolicy policy);

  // ---- Availability (docs/routing.md, "Availability") ----

  // `user`'s availability now and the periods in force or ahead; every colleague may
  // read it. Errors: NotFound.
  Result<AvailabilityView> availability(const Principal& actor, UserId user);
  // Adds a period: the person themselves or an admin. A start in the past is now; a
  // start or end at most max_availability_ahead ahead. Audited (availability.set).
  // Errors: PermissionDenied; InvalidArgument (an end not after the start, too far
  // ahead); NotFound.
  Result<AvailabilityPeriod> set_availability(const Principal& actor, UserId user,
                                              const AvailabilityInput& input);
  // Removes a period (the person or an admin). Audited. Errors: PermissionDenied;
  // NotFound.
  Result<void> delete_availability(const Principal& actor, UserId user, AvailabilityId id);

  // ---- Forwarding (docs/routing.md, "Forwarding") ----

  // `user`'s forwarding (in force, ahead or ended), if any; every colleague may read it.
  Result<std::optional<Forwarding>> forwarding(const Principal& actor, UserId user);
  // Sets it, replacing any: the person or an admin, to an enabled colleague or a role of
  // the org, at most max_availability_ahead ahead. Audited (forwarding.set).
  Result<Forwarding> set_forwarding(const Principal& actor, UserId user,
                                    const ForwardingInput& input);
  // Clears it. Audited (forwarding.clear). Errors: NotFound if there is none.
  Result<void> clear_forwarding(const Principal& actor, UserId user);
  // ---- Gatekeepers (docs/routing.md, "Gatekeepers") ----

  // `user`'s gatekeepers, in order; every colleague may read them.
  Result<std::vector<UserId>> gatekeepers(const Principal& actor, UserId user);
  // Replaces them (the person or an admin; enabled colleagues, at most kMaxGatekeepers).
  // Audited (gatekeepers.set). Errors: PermissionDenied; InvalidArgument; NotFound.
  Result<void> set_gatekeepers(const Principal& actor, UserId user,
                               std::vector<UserId> gatekeepers);

  // How each of `to` is now; with `follow_forwarding`, followed by whom their forwarding
  // sends a message to instead (reason forwarded), as a send would.
  Result<std::vector<PreviewRecipient>> with_availability(const std::vector<RoutedTo>& to,
                                                          bool follow_forwarding);
  // Where a message to a person, a role or a thread would go now, with how each of them
  // is. Errors: NotFound (a person not of the org, a role, a thread); PermissionDenied
  // (not a member of the thread).
  Result<std::vector<PreviewRecipient>> preview_person(const Principal& actor, UserId user);
  Result<std::vector<PreviewRecipient>> preview_thread(const Principal& actor, ThreadId thread);

  // SendRouter: the policy cache, read again after kPolicyFreshFor.
  std::optional<EscalationPolicy> cached_policy(OrgId org) const override;
  bool policy_fresh(OrgId org) const override;
  Result<EscalationPolicy> load_policy(OrgId org) override;
  static constexpr std::chrono::seconds kPolicyFreshFor{60};
  // SendRouter: the availability cache, read again after kAvailabilityFreshFor and
  // forgotten when this node changes the person's availability.
  std::optional<Reachability> cached_reachability(UserId user) const override;
  bool reaches_directly(UserId user, UserId sender) const override;
  Result<Reachability> load_reachability(UserId user) override;
  // As load_reachability for many people, a few reads in all (previews of groups).
  Result<std::unordered_map<UserId, Reachability>> load_reachability_of(
      std::span<const UserId> users);
  Result<Forwarded> forward(OrgId org, UserId addressee) override;
  Result<std::vector<UserId>> gatekept_by(UserId gatekeeper) override {
    return routing_.list_gatekept_by(gatekeeper);
  }
  static constexpr std::chrono::seconds kAvailabilityFreshFor{60};
  static constexpr std::size_t kAvailabilityCacheLimit = 100'000;

  const RoutingLimits& limits() const { return limits_; }

 private:
  // The role if it is of the actor's org; NotFound otherwise, audited as a refused
  // `action` (a missing role and another org's cannot be told apart).
  Result<Role> find_visible_role(const Principal& actor, RoleId role, std::string_view action);
  // The same for a shift.
  Result<Shift> find_visible_shift(const Principal& actor, ShiftId shift, std::string_view action);
  // NotFound, audited as a refused `action`, unless `user` is an enabled user of the
  // actor's org.
  Result<void> require_colleague(const Principal& actor, UserId user, std::string_view action);
  // Passes for the actor themselves; for anyone else, PermissionDenied (audited as
  // `action`, saying `why`) unless the actor is an admin, then as require_colleague.
  Result<void> require_self_or_admin(const Principal& actor, UserId user, std::string_view action,
                                     std::string_view why);
  Result<Role> checked_role(const Principal& actor, RoleId id, const RoleInput& input);
  // PermissionDenied (audited as `action` on `target`) unless `allowed`.
  Result<void> require(bool allowed, const Principal& actor, std::string_view action,
                       std::string target, std::string_view why);
  // Commits `batch` with its events published, and waits.
  Result<BatchResult> commit(WriteBatch batch);

  void remember_policy(const EscalationPolicy& policy);
  // Commits a change of `user`'s availability, with the release of their held
  // messages if they have any, and forgets what the cache held of them.
  Result<BatchResult> commit_availability(OrgId org, UserId user, WriteBatch batch);

  Committer& committer_;
  RoutingStore& routing_;
  UserStore& users_;
  MessagingService& messaging_;
  AuditLog& audit_;
  Bus& bus_;
  const Clock& clock_;
  RoutingLimits limits_;

  struct CachedPolicy {
    EscalationPolicy policy;
    Timestamp read_at;  // On the Clock.
  };
  mutable std::mutex policies_mutex_;
  std::unordered_map<OrgId, CachedPolicy> policies_;  // GUARDED_BY(policies_mutex_)

  struct CachedReachability {
    Reachability reach;
    Timestamp read_at;  // On the Clock.
  };
  mutable std::mutex availability_mutex_;
  // GUARDED_BY(availability_mutex_)
  std::unordered_map<UserId, CachedReachability> availability_;
  // `user`'s cached entry if it was read within kAvailabilityFreshFor of `now`, else
  // nullptr. REQUIRES(availability_mutex_).
  const Reachability* fresh_reachability(UserId user, Timestamp now) const;
};

}  // namespace wl
