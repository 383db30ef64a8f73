#include "services/routing/routing_service.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/time_zone.hpp"
#include "core/utf8.hpp"
#include "services/audit/audit_log.hpp"

namespace wl {
namespace {

std::string role_target(RoleId role) { return fmt::format("role:{}", role.value()); }
std::string shift_target(ShiftId shift) { return fmt::format("shift:{}", shift.value()); }
std::string user_target(UserId user) { return fmt::format("user:{}", user.value()); }

bool may_schedule(const Principal& actor) { return actor.is_admin || actor.is_scheduler; }

Role role_of(const Principal& actor, RoleId id, const RoleInput& input) {
  Role role;
  role.id = id;
  role.org_id = actor.org;
  role.kind = input.kind;
  role.name = input.name;
  role.description = input.description;
  role.fallback_role = input.fallback_role;
  role.fallback_user = input.fallback_user;
  return role;
}

// Finds the org's users that a schedule file names (docs/schedules.md, "Matching"):
// by username; by the part of an e-mail address before "@" as a username; or by a
// display name that exactly one user has. Names are compared without ASCII case.
class PeopleIndex {
 public:
  explicit PeopleIndex(const std::vector<User>& users) {
    for (const User& user : users) {
      by_username_[ascii_lower(user.username)] = &user;
      ++name_counts_[ascii_lower(user.display_name)];
      by_name_[ascii_lower(user.display_name)] = &user;
    }
  }

  // The user, or a reason nobody fits.
  Result<const User*> find(const ShiftRow& row) const {
    const std::string person = ascii_lower(row.person);
    if (const User* user = lookup(by_username_, person)) {
      return user;
    }
    if (const auto at = person.find('@'); at != std::string::npos) {
      if (const User* user = lookup(by_username_, person.substr(0, at))) {
        return user;
      }
    }
    for (const std::string& name : {ascii_lower(row.person_name), person}) {
      if (name.empty()) {
        continue;
      }
      if (auto count = name_counts_.find(name); count != name_counts_.end()) {
        if (count->second > 1) {
          return error(Code::kInvalidArgument,
                       fmt::format("{} people are named \"{}\": give a username", count->second,
                                   utf8_prefix(name, 100)));
        }
        return by_name_.at(name);
      }
    }
    return error(Code::kNotFound,
                 fmt::format("nobody in this organisation is \"{}\"",
                             utf8_prefix(row.person.empty() ? row.person_name : row.person, 100)));
  }

 private:
  static const User* lookup(const std::map<std::string, const User*>& index,
                            const std::string& key) {
    const auto found = index.find(key);
    return found == index.end() ? nullptr : found->second;
  }

  std::map<std::string, const User*> by_username_;
  std::map<std::string, const User*> by_name_;
  std::map<std::string, int> name_counts_;
};

}  // namespace

RoutingService::RoutingService(Committer& committer, RoutingStore& routing, UserStore& users,
                               MessagingService& messaging, AuditLog& audit, Bus& bus,
                               const Clock& clock, RoutingLimits limits)
    : committer_(committer),
      routing_(routing),
      users_(users),
      messaging_(messaging),
      audit_(audit),
      bus_(bus),
      clock_(clock),
      limits_(limits) {}

Result<BatchResult> RoutingService::commit(WriteBatch batch) {
  return commit_and_wait(committer_, std::move(batch), publish_to(bus_));
}

Result<void> RoutingService::require(bool allowed, const Principal& actor, std::string_view action,
                                     std::string target, std::string_view why) {
  if (allowed) {
    return ok();
  }
  (void)audit_.record(audit_draft(actor, clock_.now(), action, std::move(target), "denied",
                                  std::string(code_name(Code::kPermissionDenied))));
  return error(Code::kPermissionDenied, std::string(why));
}

Result<Role> RoutingService::find_visible_role(const Principal& actor, RoleId id,
                                               std::string_view action) {
  auto role = routing_.find_role(id);
  if (!role && role.error().code() != Code::kNotFound) {
    return std::unexpected(role.error());
  }
  if (!role || role->org_id != actor.org) {
    (void)audit_.record(audit_draft(actor, clock_.now(), action, role_target(id), "denied",
                                    std::string(code_name(Code::kNotFound))));
    return error(Code::kNotFound, "no such role");
  }
  return role;
}

Result<Shift> RoutingService::find_visible_shift(const Principal& actor, ShiftId id,
                                                 std::string_view action) {
  auto shift = routing_.find_shift(id);
  if (!shift && shift.error().code() != Code::kNotFound) {
    return std::unexpected(shift.error());
  }
  if (!shift || shift->org_id != actor.org) {
    (void)audit_.record(audit_draft(actor, clock_.now(), action, shift_target(id), "denied",
                                    std::string(code_name(Code::kNotFound))));
    return error(Code::kNotFound, "no such shift");
  }
  return shift;
}

Result<void> RoutingService::require_colleague(const Principal& actor, UserId id,
                                               std::string_view action) {
  auto user = users_.find_user(id);
  if (!user && user.error().code() != Code::kNotFound) {
    return std::unexpected(user.error());
  }
  if (!user || user->org_id != actor.org || user->disabled) {
    (void)audit_.record(audit_draft(actor, clock_.now(), action, user_target(id), "denied",
                                    std::string(code_name(Code::kNotFound))));
    return error(Code::kNotFound, "no such colleague");
  }
  return ok();
}

// ---- Roles ----

Result<Role> RoutingService::checked_role(const Principal& actor, RoleId id,
                                          const RoleInput& input) {
  if (input.name.empty() || input.name.size() > limits_.max_role_name_bytes ||
      !is_valid_utf8(input.name)) {
    return error(Code::kInvalidArgument, fmt::format("a role's name is 1 to {} bytes of UTF-8",
                                                     limits_.max_role_name_bytes));
  }
  if (input.description.size() > limits_.max_description_bytes ||
      !is_valid_utf8(input.description)) {
    return error(Code::kInvalidArgument,
                 fmt::format("a role's description is at most {} bytes of UTF-8",
                             limits_.max_description_bytes));
  }
  if (input.kind != RoleKind::kRole && input.kind != RoleKind::kUnit &&
      input.kind != RoleKind::kRoom) {
    return error(Code::kInvalidArgument, "a role's kind is role, unit or room");
  }
  if (input.fallback_role.is_set() && input.fallback_user.is_set()) {
    return error(Code::kInvalidArgument, "a role falls back to a role or to a person, not both");
  }
  // A fallback chain that comes back to this role would never end: refuse it here,
  // so that resolution only ever meets one through a concurrent change.
  std::set<RoleId> seen{id};
  for (RoleId next = input.fallback_role; next.is_set();) {
    if (!seen.insert(next).second) {
      return error(Code::kInvalidArgument, "the role's fallbacks would come back to it");
    }
    const Role fallback = WL_TRY(find_visible_role(actor, next, "role.fallback"));
    next = fallback.fallback_role;
  }
  if (input.fallback_user.is_set()) {
    auto user = users_.find_user(input.fallback_user);
    if (!user || user->org_id != actor.org) {
      return error(Code::kNotFound, "the fallback person is not of this organisation");
    }
  }
  return role_of(actor, id, input);
}

Result<Role> RoutingService::create_role(const Principal& actor, const RoleInput& input) {
  WL_TRY(require(actor.is_admin, actor, "role.create", "role:new",
                 "only administrators create roles"));
  Role role = WL_TRY(checked_role(actor, RoleId(), input));
  role.created_at = clock_.now();
  WriteBatch batch;
  const std::size_t created = batch.add(CreateRole{role, actor.user});
  batch.audit(audit_draft(actor, role.created_at, "role.create", "role:new", "ok"),
              [created](AuditDraft& draft, const std::vector<MutationResult>& results) {
                draft.target = role_target(std::get<Role>(results.at(created)).id);
                return true;
              });
  return WL_TRY(commit(std::move(batch))).result<Role>(created);
}

Result<Role> RoutingService::update_role(const Principal& actor, RoleId id,
                                         const RoleInput& input) {
  WL_TRY(require(actor.is_admin, actor, "role.update", role_target(id),
                 "only administrators change roles"));
  WL_TRY(find_visible_role(actor, id, "role.update"));
  const Role role = WL_TRY(checked_role(actor, id, input));
  const Timestamp now = clock_.now();
  WriteBatch batch;
  const std::size_t updated = batch.add(UpdateRole{role, actor.user, now});
  batch.audit(audit_draft(actor, now, "role.update", role_target(id), "ok"));
  return WL_TRY(commit(std::move(batch))).result<Role>(updated);
}

Result<std::vector<RoleView>> RoutingService::list_roles(const Principal& actor) {
  const Timestamp now = clock_.now();
  std::vector<RoleView> views;
  for (Role& role : WL_TRY(routing_.list_roles(actor.org))) {
    std::vector<RoleHolder> holders = WL_TRY(routing_.list_role_holders(role.id, now));
    views.push_back(RoleView{std::move(role), std::move(holders)});
  }
  return views;
}

Result<RoleView> RoutingService::get_role(const Principal& actor, RoleId id) {
  Role role = WL_TRY(find_visible_role(actor, id, "role.get"));
  std::vector<RoleHolder> holders = WL_TRY(routing_.list_role_holders(id, clock_.now()));
  return RoleView{std::move(role), std::move(holders)};
}

// ---- Shifts ----

Result<Shift> RoutingService::save_shift(const Principal& actor, ShiftId id,
                                         const ShiftInput& input) {
  WL_TRY(require(may_schedule(actor), actor, "shift.save",
                 id.is_set() ? shift_target(id) : "shift:new",
                 "only administrators and schedulers edit schedules"));
  if (!is_time_zone(input.time_zone)) {
    return error(Code::kInvalidArgument,
                 fmt::format("\"{}\" is not a time zone (use an IANA name such as "
                             "America/New_York)",
                             utf8_prefix(input.time_zone, 64)));
  }
  if (input.ends_at <= input.starts_at) {
    return error(Code::kInvalidArgument, "a shift must end after it starts");
  }
  if (input.ends_at - input.starts_at > kMaxShiftLength) {
    return error(Code::kInvalidArgument, "a shift lasts at most 7 days");
  }
  if (id.is_set()) {
    WL_TRY(find_visible_shift(actor, id, "shift.save"));
  }
  WL_TRY(find_visible_role(actor, input.role, "shift.save"));
  WL_TRY(require_colleague(actor, input.user, "shift.save"));
  Shift shift;
  shift.id = id;
  shift.org_id = actor.org;
  shift.role_id = input.role;
  shift.user_id = input.user;
  shift.starts_at = input.starts_at;
  shift.ends_at = input.ends_at;
  shift.time_zone = input.time_zone;
  shift.updated_by = actor.user;
  shift.updated_at = clock_.now();
  WriteBatch batch;
  const std::size_t saved = batch.add(SaveShift{shift});
  batch.audit(audit_draft(actor, shift.updated_at, "shift.save",
                          id.is_set() ? shift_target(id) : "shift:new", "ok",
                          fmt::format("role={} user={}", input.role.value(), input.user.value())),
              [saved](AuditDraft& draft, const std::vector<MutationResult>& results) {
                const auto& result = std::get<ShiftSaved>(results.at(saved));
                draft.target = shift_target(result.shift.id);
                return result.changed;
              });
  return WL_TRY(commit(std::move(batch))).result<ShiftSaved>(saved).shift;
}

Result<void> RoutingService::delete_shift(const Principal& actor, ShiftId id) {
  WL_TRY(require(may_schedule(actor), actor, "shift.delete", shift_target(id),
                 "only administrators and schedulers edit schedules"));
  WL_TRY(find_visible_shift(actor, id, "shift.delete"));
  const Timestamp now = clock_.now();
  WriteBatch batch;
  const std::size_t deleted = batch.add(DeleteShift{actor.org, id, "", actor.user, now});
  batch.audit(audit_draft(actor, now, "shift.delete", shift_target(id), "ok"),
              [deleted](AuditDraft&, const std::vector<MutationResult>& results) {
                return std::get<bool>(results.at(deleted));
              });
  if (!WL_TRY(commit(std::move(batch))).result<bool>(deleted)) {
    return error(Code::kNotFound, "no such shift");
  }
  return ok();
}

Result<std::vector<Shift>> RoutingService::list_shifts(const Principal& actor, RoleId role,
                                                       UserId user, Timestamp from, Timestamp to) {
  if (to <= from || to - from > limits_.max_shift_window) {
    return error(Code::kInvalidArgument,
                 fmt::format("a schedule is read for a window of at most {} days",
                             limits_.max_shift_window.count()));
  }
  ShiftQuery query;
  query.org = actor.org;
  query.role = role;
  query.user = user;
  query.from = from;
  query.to = to;
  query.limit = 10'000;
  return routing_.list_shifts(query);
}

// ---- Sign-ins ----

Result<void> RoutingService::sign_in(const Principal& actor, RoleId role) {
  WL_TRY(find_visible_role(actor, role, "role.sign_in"));
  const Timestamp now = clock_.now();
  WriteBatch batch;
  const std::size_t signed_in = batch.add(SignInRole{actor.org, role, actor.user, now});
  batch.audit(audit_draft(actor, now, "role.sign_in", role_target(role), "ok"),
              [signed_in](AuditDraft&, const std::vector<MutationResult>& results) {
                return std::get<bool>(results.at(signed_in));
              });
  WL_TRY(commit(std::move(batch)));
  return ok();
}

Result<void> RoutingService::sign_out(const Principal& actor, RoleId role, UserId user) {
  WL_TRY(require(user == actor.user || may_schedule(actor), actor, "role.sign_out",
                 role_target(role), "only administrators and schedulers sign others out"));
  WL_TRY(find_visible_role(actor, role, "role.sign_out"));
  const Timestamp now = clock_.now();
  WriteBatch batch;
  const std::size_t signed_out = batch.add(SignOutRole{actor.org, role, user, actor.user, now});
  batch.audit(audit_draft(actor, now, "role.sign_out", role_target(role), "ok",
                          fmt::format("user={}", user.value())),
              [signed_out](AuditDraft&, const std::vector<MutationResult>& results) {
                return std::get<bool>(results.at(signed_out));
              });
  if (!WL_TRY(commit(std::move(batch))).result<bool>(signed_out)) {
    return error(Code::kNotFound, "they are not signed in to this role");
  }
  return ok();
}

Result<void> RoutingService::hand_over(const Principal& actor, RoleId role, UserId next,
                                       const std::optional<HandOffNote>& note) {
  WL_TRY(find_visible_role(actor, role, "role.hand_over"));
  if (next == actor.user) {
    return error(Code::kInvalidArgument, "hand the role to someone else");
  }
  WL_TRY(require_colleague(actor, next, "role.hand_over"));
  // Checked before anything is written: a caller who is not signed in has nothing to
  // hand over (nor a note to leave for it), and the batch must not sign `next` in on
  // their word.
  const auto sign_ins = WL_TRY(routing_.list_sign_ins(actor.org, role, actor.user));
  if (sign_ins.empty()) {
    return error(Code::kNotFound, "you are not signed in to this role");
  }
  if (note) {  // Written while the caller still holds the role.
    WL_TRY(write_handoff(actor, role, next, *note));
  }
  const Timestamp now = clock_.now();
  WriteBatch batch;
  const std::size_t signed_out =
      batch.add(SignOutRole{actor.org, role, actor.user, actor.user, now});
  batch.add(SignInRole{actor.org, role, next, now});
  batch.audit(audit_draft(actor, now, "role.hand_over", role_target(role), "ok",
                          fmt::format("to={}", next.value())));
  const BatchResult committed = WL_TRY(commit(std::move(batch)));
  (void)committed.result<bool>(signed_out);
  return ok();
}

Result<std::vector<RoleSignIn>> RoutingService::list_sign_ins(const Principal& actor, RoleId role,
                                                              UserId user) {
  return routing_.list_sign_ins(actor.org, role, user);
}

// ---- Imports ----

Result<void> RoutingService::check_import(const Principal& actor) {
  return require(may_schedule(actor), actor, "schedule.import",
                 fmt::format("org:{}", actor.org.value()),
                 "only administrators and schedulers import schedules");
}

Result<ImportReport> RoutingService::import_schedule(const Principal& actor,
                                                     const ScheduleImport& file,
                                                     const ImportProgress& progress) {
  WL_TRY(check_import(actor));
  const Timestamp now = clock_.now();
  ScheduleFileOptions options;
  options.default_time_zone = file.default_time_zone;
  options.all_day_starts = file.all_day_starts;
  options.expand_from = now - limits_.import_past;
  options.expand_until = now + limits_.import_future;
  options.max_shift_length = std::chrono::duration_cast<std::chrono::hours>(kMaxShiftLength);
  ParsedSchedule parsed =
      WL_TRY(file.format == ScheduleFormat::kICalendar ? parse_icalendar(file.text, options)
                                                       : parse_schedule_csv(file.text, options));
  ImportReport report;
  report.entries = parsed.entries;
  report.rows = parsed.shifts.size();
  auto problem = [&report, this](std::string where, std::string reason) {
    if (report.problems.size() < limits_.max_import_problems) {
      report.problems.push_back(ScheduleProblem{std::move(where), std::move(reason)});
    } else {
      ++report.problems_not_listed;
    }
  };
  for (ScheduleProblem& found : parsed.problems) {
    problem(std::move(found.where), std::move(found.reason));
  }

  // Each row becomes a SaveShift (or a DeleteShift for a cancelled event) of the org's
  // roles and people, found once for the whole file.
  std::map<std::string, RoleId> roles;
  for (const Role& role : WL_TRY(routing_.list_roles(actor.org))) {
    roles[ascii_lower(role.name)] = role.id;
  }
  const std::vector<User> users = WL_TRY(users_.list_users(actor.org));
  const PeopleIndex people(users);
  std::vector<Mutation> writes;
  writes.reserve(parsed.shifts.size());
  for (const ShiftRow& row : parsed.shifts) {
    const auto role = roles.find(ascii_lower(row.role));
    if (role == roles.end()) {
      problem(row.where, fmt::format("no role is named \"{}\" (an administrator creates roles)",
                                     utf8_prefix(row.role, 100)));
      continue;
    }
    auto person = people.find(row);
    if (!person) {
      problem(row.where, person.error().message());
      continue;
    }
    const User& user = **person;
    if (user.disabled) {
      problem(row.where, fmt::format("{}'s account is disabled", user.username));
      continue;
    }
    // The key names the person too: one event with two attendees is two shifts.
    const std::string key =
        file.format == ScheduleFormat::kICalendar
            ? fmt::format("ical:{}#{}", row.key, user.id.value())
            : fmt::format("csv:{}#{}#{}#{}", role->second.value(), user.id.value(),
                          to_micros(row.starts_at), to_micros(row.ends_at));
    if (row.cancelled) {
      writes.emplace_back(DeleteShift{actor.org, ShiftId(), key, actor.user, now});
      continue;
    }
    Shift shift;
    shift.org_id = actor.org;
    shift.role_id = role->second;
    shift.user_id = user.id;
    shift.starts_at = row.starts_at;
    shift.ends_at = row.ends_at;
    shift.time_zone = is_time_zone(row.time_zone) ? row.time_zone : file.default_time_zone;
    shift.source_key = key;
    shift.updated_by = actor.user;
    shift.updated_at = now;
    writes.emplace_back(SaveShift{std::move(shift)});
  }

  for (std::size_t first = 0; first < writes.size(); first += limits_.import_batch) {
    const std::size_t last = std::min(writes.size(), first + limits_.import_batch);
    WriteBatch batch;
    for (std::size_t index = first; index < last; ++index) {
      batch.add(std::move(writes[index]));
    }
    // One entry per batch that changed something, saying what.
    batch.audit(audit_draft(actor, now, "schedule.import",
                            "org:" + std::to_string(actor.org.value()), "ok"),
                [](AuditDraft& draft, const std::vector<MutationResult>& results) {
                  std::size_t created = 0;
                  std::size_t updated = 0;
                  std::size_t deleted = 0;
                  for (const MutationResult& result : results) {
                    if (const auto* saved = std::get_if<ShiftSaved>(&result)) {
                      created += saved->created ? 1 : 0;
                      updated += saved->changed && !saved->created ? 1 : 0;
                    } else if (const auto* removed = std::get_if<bool>(&result)) {
                      deleted += *removed ? 1 : 0;
                    }
                  }
                  draft.detail =
                      fmt::format("created={} updated={} deleted={}", created, updated, deleted);
                  return created + updated + deleted > 0;
                });
    const BatchResult committed = WL_TRY(commit(std::move(batch)));
    for (const MutationResult& result : committed.results) {
      if (const auto* saved = std::get_if<ShiftSaved>(&result)) {
        (saved->created ? report.created : saved->changed ? report.updated : report.unchanged) += 1;
      } else if (const auto* removed = std::get_if<bool>(&result)) {
        report.deleted += *removed ? 1 : 0;
      }
    }
    if (progress) {
      progress(last, writes.size());
    }
  }
  return report;
}

// ---- Resolution ----

Result<Resolution> RoutingService::resolve(OrgId org, RoleId role, Timestamp at) {
  Resolution resolution;
  resolution.role = role;
  std::set<RoleId> seen;
  RoleId current = role;
  for (std::size_t depth = 0; depth < limits_.max_fallback_depth; ++depth) {
    auto found = routing_.find_role(current);
    if (!found || found->org_id != org) {
      if (!found && found.error().code() != Code::kNotFound) {
        return std::unexpected(found.error());
      }
      if (current == role) {
        return error(Code::kNotFound, "no such role");
      }
      break;  // A fallback removed since: nobody further.
    }
    seen.insert(current);
    for (const RoleHolder& holder : WL_TRY(routing_.list_role_holders(current, at))) {
      const std::string_view why =
          current != role ? kReasonFallback
                          : (holder.via == HoldVia::kShift ? kReasonOnCall : kReasonSignedIn);
      resolution.to.push_back(RoutedTo{holder.user_id, std::string(why)});
    }
    if (!resolution.to.empty()) {
      resolution.via_role = current;
      resolution.fallback = current != role;
      return resolution;
    }
    if (found->fallback_user.is_set()) {
      auto user = users_.find_user(found->fallback_user);
      if (user && user->org_id == org && !user->disabled) {
        resolution.to.push_back(RoutedTo{user->id, std::string(kReasonFallback)});
        resolution.via_role = current;
        resolution.fallback = true;
      }
      return resolution;
    }
    if (!found->fallback_role.is_set() || seen.contains(found->fallback_role)) {
      break;
    }
    current = found->fallback_role;
  }
  return resolution;
}

Result<Resolution> RoutingService::preview(const Principal& actor, RoleId role) {
  WL_TRY(find_visible_role(actor, role, "role.preview"));
  return resolve(actor.org, role, clock_.now());
}

Result<ThreadView> RoutingService::open_role_thread(const Principal& actor, RoleId id) {
  const Role role = WL_TRY(find_visible_role(actor, id, "role.thread"));
  return messaging_.open_role_thread(actor, role.id, role.name);
}

Result<RouteMessage> RoutingService::route(const Principal& sender, const Thread& thread,
                                           bool /*urgent*/) {
  const Timestamp now = clock_.now();
  Resolution resolution = WL_TRY(resolve(thread.org_id, thread.role_id, now));
  // A holder who forwards: the message goes where their forwarding sends it.
  std::vector<RoutedTo> to;
  const auto add = [&to](RoutedTo next) {
    if (std::ranges::none_of(to,
                             [&next](const RoutedTo& seen) { return seen.user == next.user; })) {
      to.push_back(std::move(next));
    }
  };
  for (RoutedTo& holder : resolution.to) {
    const auto cached = cached_reachability(holder.user);
    if (cached && !cached->forwards_at(now)) {
      add(std::move(holder));
      continue;
    }
    Forwarded forwarded = WL_TRY(forward(thread.org_id, holder.user));
    if (forwarded.to.empty()) {
      add(std::move(holder));
    }
    for (RoutedTo& next : forwarded.to) {
      add(std::move(next));
    }
  }
  resolution.to = std::move(to);
  // The sender holding the role themselves is not a recipient.
  std::erase_if(resolution.to, [&sender](const RoutedTo& to) { return to.user == sender.user; });
  if (resolution.to.empty()) {
    const auto role = routing_.find_role(thread.role_id);
    return error(Code::kFailedPrecondition,
                 fmt::format("nobody holds {} now and it has no fallback: the message was not sent",
                             role ? role->name : std::string("this role")));
  }
  return RouteMessage{thread.id, thread.role_id, std::move(resolution.to), now};
}

// ---- Availability ----

Result<AvailabilityView> RoutingService::availability(const Principal& actor, UserId user) {
  if (user != actor.user) {
    WL_TRY(require_colleague(actor, user, "availability.read"));
  }
  const Timestamp now = clock_.now();
  AvailabilityView view;
  view.periods = WL_TRY(routing_.list_availability(user, now));
  view.now.user = user;
  if (const AvailabilityPeriod* period = period_at(view.periods, now)) {
    view.now.status = period->status;
    view.now.until = period->ends_at;
  }
  return view;
}

Result<void> RoutingService::require_self_or_admin(const Principal& actor, UserId user,
                                                   std::string_view action, std::string_view why) {
  if (user == actor.user) {
    return ok();
  }
  WL_TRY(require(actor.is_admin, actor, action, user_target(user), why));
  return require_colleague(actor, user, action);
}

Result<AvailabilityPeriod> RoutingService::set_availability(const Principal& actor, UserId user,
                                                            const AvailabilityInput& input) {
  WL_TRY(require_self_or_admin(actor, user, "availability.set",
                               "only administrators set a colleague's availability"));
  const Timestamp now = clock_.now();
  AvailabilityPeriod period;
  period.org_id = actor.org;
  period.user_id = user;
  period.status = input.status;
  period.starts_at = std::max(input.starts_at.value_or(now), now);
  period.ends_at = input.ends_at;
  period.set_by = actor.user;
  period.set_at = now;
  const Timestamp horizon = now + limits_.max_availability_ahead;
  if (period.starts_at > horizon || (period.ends_at && *period.ends_at > horizon)) {
    return error(Code::kInvalidArgument, "availability is set at most a year ahead");
  }
  if (period.ends_at && *period.ends_at <= period.starts_at) {
    return error(Code::kInvalidArgument, "an availability must end after it starts");
  }
  WriteBatch batch;
  const std::size_t set = batch.add(SetAvailability{period});
  batch.audit(audit_draft(actor, now, "availability.set", user_target(user), "ok",
                          fmt::format("status={}", static_cast<int>(period.status))));
  return WL_TRY(commit_availability(actor.org, user, std::move(batch)))
      .result<AvailabilityPeriod>(set);
}

Result<BatchResult> RoutingService::commit_availability(OrgId org, UserId user, WriteBatch batch) {
  // The release timer decides when it runs whether they are still off duty.
  if (auto release = WL_TRY(messaging_.release_after_change(org, user))) {
    batch.add(std::move(*release));
  }
  auto committed = commit(std::move(batch));
  const std::lock_guard lock(availability_mutex_);
  availability_.erase(user);
  return committed;
}

Result<void> RoutingService::delete_availability(const Principal& actor, UserId user,
                                                 AvailabilityId id) {
  WL_TRY(require_self_or_admin(actor, user, "availability.delete",
                               "only administrators change a colleague's availability"));
  const Timestamp now = clock_.now();
  WriteBatch batch;
  const std::size_t removed = batch.add(DeleteAvailability{actor.org, user, id, actor.user, now});
  batch.audit(audit_draft(actor, now, "availability.delete", user_target(user), "ok",
                          fmt::format("period={}", id.value())),
              [removed](AuditDraft&, const std::vector<MutationResult>& results) {
                return std::get<bool>(results.at(removed));
              });
  if (!WL_TRY(commit_availability(actor.org, user, std::move(batch))).result<bool>(removed)) {
    return error(Code::kNotFound, "no such availability period");
  }
  return ok();
}

Result<std::vector<PreviewRecipient>> RoutingService::with_availability(
    const std::vector<RoutedTo>& to, bool follow_forwarding) {
  const Timestamp at = clock_.now();
  std::vector<PreviewRecipient> recipients;
  recipients.reserve(to.size());
  std::vector<UserId> users;
  users.reserve(to.size());
  for (const RoutedTo& each : to) {
    users.push_back(each.user);
  }
  const auto reachability = WL_TRY(load_reachability_of(users));
  for (const RoutedTo& each : to) {
    PreviewRecipient recipient{each.user, each.reason, AvailabilityNow{each.user}, std::nullopt,
                               each.via};
    const Reachability& reach = reachability.at(each.user);
    if (const AvailabilityPeriod* period = period_at(reach.periods, at)) {
      recipient.availability.status = period->status;
      recipient.availability.until = period->ends_at;
    }
    if (reach.forwards_at(at)) {
      recipient.forwarding = reach.forwarding;
    }
    recipient.gatekeepers = reach.gatekeepers;
    recipients.push_back(std::move(recipient));
    if (follow_forwarding && reach.forwards_at(at)) {
      const Forwarded forwarded = WL_TRY(forward(reach.forwarding->org_id, each.user));
      for (PreviewRecipient& next : WL_TRY(with_availability(forwarded.to, false))) {
        recipients.push_back(std::move(next));
      }
    }
  }
  return recipients;
}

Result<std::vector<PreviewRecipient>> RoutingService::preview_person(const Principal& actor,
                                                                     UserId user) {
  WL_TRY(require_colleague(actor, user, "user.preview"));
  return with_availability({RoutedTo{user, "addressee"}}, true);
}

Result<std::vector<PreviewRecipient>> RoutingService::preview_thread(const Principal& actor,
                                                                     ThreadId thread) {
  const ThreadView view = WL_TRY(messaging_.get_thread(actor, thread));
  std::vector<RoutedTo> to;
  for (const UserId member : view.members) {
    if (member != actor.user) {
      to.push_back(RoutedTo{member, "member"});
    }
  }
  // Between two people the other's forwarding is followed, as a send would; a group's
  // members are shown as they are.
  return with_availability(to, traits_of(view.thread).pair);
}

// ---- Escalation ----

Result<std::vector<Backup>> RoutingService::backups(const Principal& actor, UserId user) {
  if (user != actor.user) {
    WL_TRY(require_colleague(actor, user, "backups.read"));
  }
  return routing_.list_backups(user);
}

Result<void> RoutingService::set_backups(const Principal& actor, UserId user,
                                         std::vector<Backup> chain) {
  WL_TRY(require_self_or_admin(actor, user, "backups.set",
                               "only administrators set a colleague's backups"));
  std::string detail;
  for (const Backup& step : chain) {
    detail +=
        fmt::format("{}{}:{}", detail.empty() ? "" : ",", step.user.is_set() ? "user" : "role",
                    step.user.is_set() ? step.user.value() : step.role.value());
  }
  const Timestamp now = clock_.now();
  WriteBatch batch;
  batch.add(SetBackups{actor.org, user, std::move(chain)});
  batch.audit(audit_draft(actor, now, "backups.set", user_target(user), "ok", detail));
  WL_TRY(commit(std::move(batch)));
  return ok();
}

Result<EscalationPolicy> RoutingService::policy(const Principal& actor) {
  return load_policy(actor.org);
}

Result<EscalationPolicy> RoutingService::set_policy(const Principal& actor,
                                                    EscalationPolicy policy) {
  WL_TRY(require(actor.is_admin, actor, "escalation.policy",
                 fmt::format("org:{}", actor.org.value()),
                 "only administrators set the escalation policy"));
  policy.org_id = actor.org;
  policy.updated_by = actor.user;
  policy.updated_at = clock_.now();
  WriteBatch batch;
  batch.add(SetEscalationPolicy{policy});
  batch.audit(audit_draft(
      actor, policy.updated_at, "escalation.policy", fmt::format("org:{}", actor.org.value()), "ok",
      fmt::format("normal={}s urgent={}s realert={}s", policy.normal_after.count(),
                  policy.urgent_after.count(), policy.realert_every.count())));
  WL_TRY(commit(std::move(batch)));
  remember_policy(policy);
  return policy;
}

void RoutingService::remember_policy(const EscalationPolicy& policy) {
  const std::lock_guard lock(policies_mutex_);
  policies_[policy.org_id] = CachedPolicy{policy, clock_.now()};
}

std::optional<EscalationPolicy> RoutingService::cached_policy(OrgId org) const {
  const std::lock_guard lock(policies_mutex_);
  const auto found = policies_.find(org);
  return found == policies_.end() ? std::nullopt
                                  : std::optional<EscalationPolicy>(found->second.policy);
}

bool RoutingService::policy_fresh(OrgId org) const {
  const Timestamp now = clock_.now();
  const std::lock_guard lock(policies_mutex_);
  const auto found = policies_.find(org);
  return found != policies_.end() && now >= found->second.read_at &&
         now - found->second.read_at < kPolicyFreshFor;
}

Result<EscalationPolicy> RoutingService::load_policy(OrgId org) {
  const EscalationPolicy policy = WL_TRY(routing_.find_escalation_policy(org));
  remember_policy(policy);
  return policy;
}

const Reachability* RoutingService::fresh_reachability(UserId user, Timestamp now) const {
  const auto found = availability_.find(user);
  if (found == availability_.end() || now < found->second.read_at ||
      now - found->second.read_at >= kAvailabilityFreshFor) {
    return nullptr;
  }
  return &found->second.reach;
}

std::optional<Reachability> RoutingService::cached_reachability(UserId user) const {
  const Timestamp now = clock_.now();
  const std::lock_guard lock(availability_mutex_);
  const Reachability* reach = fresh_reachability(user, now);
  return reach != nullptr ? std::optional<Reachability>(*reach) : std::nullopt;
}

bool RoutingService::reaches_directly(UserId user, UserId sender) const {
  const Timestamp now = clock_.now();
  const std::lock_guard lock(availability_mutex_);
  const Reachability* reach = fresh_reachability(user, now);
  return reach != nullptr && reach->direct_at(now, sender);
}

Result<Reachability> RoutingService::load_reachability(UserId user) {
  const Timestamp now = clock_.now();
  Reachability reach;
  reach.periods = WL_TRY(routing_.list_availability(user, now));
  reach.forwarding = WL_TRY(routing_.find_forwarding(user));
  reach.gatekeepers = WL_TRY(routing_.list_gatekeepers(user));
  const std::lock_guard lock(availability_mutex_);
  if (availability_.size() >= kAvailabilityCacheLimit) {
    availability_.clear();
  }
  availability_[user] = CachedReachability{reach, now};
  return reach;
}

Result<std::unordered_map<UserId, Reachability>> RoutingService::load_reachability_of(
    std::span<const UserId> users) {
  const Timestamp now = clock_.now();
  std::unordered_map<UserId, Reachability> found;
  for (std::size_t first = 0; first < users.size(); first += RoutingStore::kMaxUsersPerRead) {
    const auto part =
        users.subspan(first, std::min(RoutingStore::kMaxUsersPerRead, users.size() - first));
    for (const UserId user : part) {
      found.try_emplace(user);
    }
    for (AvailabilityPeriod& period : WL_TRY(routing_.list_availability_of(part, now))) {
      found[period.user_id].periods.push_back(std::move(period));
    }
    for (Forwarding& forwarding : WL_TRY(routing_.list_forwarding_of(part))) {
      found[forwarding.user_id].forwarding = std::move(forwarding);
    }
    for (const Gatekeeping& gatekeeping : WL_TRY(routing_.list_gatekeepers_of(part))) {
      found[gatekeeping.user].gatekeepers.push_back(gatekeeping.gatekeeper);
    }
  }
  const std::lock_guard lock(availability_mutex_);
  if (availability_.size() + found.size() >= kAvailabilityCacheLimit) {
    availability_.clear();
  }
  for (const auto& [user, reach] : found) {
    availability_[user] = CachedReachability{reach, now};
  }
  return found;
}

Result<Forwarded> RoutingService::forward(OrgId org, UserId addressee) {
  const Timestamp now = clock_.now();
  Forwarded forwarded;
  std::vector<UserId> chain{addressee};
  for (std::size_t hop = 0; hop <= kMaxForwardHops; ++hop) {
    const UserId from = chain.back();
    // Every caller has just read the addressee (a send, a role's route, a preview), so
    // the first step takes that answer from the cache; the steps after it are read.
    auto cached = hop == 0 ? cached_reachability(from) : std::nullopt;
    const Reachability reach = cached ? std::move(*cached) : WL_TRY(load_reachability(from));
    if (!reach.forwards_at(now)) {
      if (from != addressee) {
        forwarded.to.push_back(RoutedTo{from, std::string(kReasonForwarded), chain.end()[-2]});
      }
      return forwarded;
    }
    if (hop == kMaxForwardHops) {
      break;  // Still forwarding after the longest chain followed: stopped as a loop.
    }
    const Forwarding& forwarding = *reach.forwarding;
    if (forwarding.to_role.is_set()) {
      // Whoever holds the role now (its fallback if nobody does); nobody: not followed.
      const Resolution holders = WL_TRY(resolve(org, forwarding.to_role, now));
      for (const RoutedTo& holder : holders.to) {
        if (holder.user != from) {
          forwarded.to.push_back(RoutedTo{holder.user, std::string(kReasonForwarded), from});
        }
      }
      return forwarded;
    }
    if (std::ranges::find(chain, forwarding.to_user) != chain.end()) {
      break;  // Back to someone already in the chain.
    }
    const auto target = users_.find_user(forwarding.to_user);
    if (!target || target->org_id != org || target->disabled) {
      // Nobody to forward to any more: the message stays with the last who can take it.
      if (from != addressee) {
        forwarded.to.push_back(RoutedTo{from, std::string(kReasonForwarded), chain.end()[-2]});
      }
      return forwarded;
    }
    chain.push_back(forwarding.to_user);
  }
  forwarded.loop = true;
  return forwarded;
}

// ---- Forwarding ----

Result<std::optional<Forwarding>> RoutingService::forwarding(const Principal& actor, UserId user) {
  if (user != actor.user) {
    WL_TRY(require_colleague(actor, user, "forwarding.read"));
  }
  return routing_.find_forwarding(user);
}

Result<Forwarding> RoutingService::set_forwarding(const Principal& actor, UserId user,
                                                  const ForwardingInput& input) {
  WL_TRY(require_self_or_admin(actor, user, "forwarding.set",
                               "only administrators set a colleague's forwarding"));
  if (input.to_user.is_set() == input.to_role.is_set()) {
    return error(Code::kInvalidArgument, "forward to a person or to a role");
  }
  if (input.to_user == user) {
    return error(Code::kInvalidArgument, "a person cannot forward to themselves");
  }
  if (input.to_user.is_set()) {
    WL_TRY(require_colleague(actor, input.to_user, "forwarding.set"));
  } else {
    WL_TRY(find_visible_role(actor, input.to_role, "forwarding.set"));
  }
  const Timestamp now = clock_.now();
  Forwarding forwarding;
  forwarding.org_id = actor.org;
  forwarding.user_id = user;
  forwarding.to_user = input.to_user;
  forwarding.to_role = input.to_role;
  forwarding.starts_at = std::max(input.starts_at.value_or(now), now);
  forwarding.ends_at = input.ends_at;
  forwarding.set_by = actor.user;
  forwarding.set_at = now;
  const Timestamp horizon = now + limits_.max_availability_ahead;
  if (forwarding.starts_at > horizon || (forwarding.ends_at && *forwarding.ends_at > horizon)) {
    return error(Code::kInvalidArgument, "forwarding is set at most a year ahead");
  }
  if (forwarding.ends_at && *forwarding.ends_at <= forwarding.starts_at) {
    return error(Code::kInvalidArgument, "a forwarding must end after it starts");
  }
  WriteBatch batch;
  const std::size_t set = batch.add(SetForwarding{forwarding});
  batch.audit(audit_draft(actor, now, "forwarding.set", user_target(user), "ok",
                          input.to_user.is_set()
                              ? fmt::format("to_user={}", input.to_user.value())
                              : fmt::format("to_role={}", input.to_role.value())));
  return WL_TRY(commit_availability(actor.org, user, std::move(batch))).result<Forwarding>(set);
}

Result<void> RoutingService::clear_forwarding(const Principal& actor, UserId user) {
  WL_TRY(require_self_or_admin(actor, user, "forwarding.clear",
                               "only administrators change a colleague's forwarding"));
  const Timestamp now = clock_.now();
  WriteBatch batch;
  const std::size_t cleared = batch.add(ClearForwarding{actor.org, user, actor.user, now});
  batch.audit(audit_draft(actor, now, "forwarding.clear", user_target(user), "ok"),
              [cleared](AuditDraft&, const std::vector<MutationResult>& results) {
                return std::get<bool>(results.at(cleared));
              });
  if (!WL_TRY(commit_availability(actor.org, user, std::move(batch))).result<bool>(cleared)) {
    return error(Code::kNotFound, "no forwarding is set");
  }
  return ok();
}

// ---- Gatekeepers ----

Result<std::vector<UserId>> RoutingService::gatekeepers(const Principal& actor, UserId user) {
  if (user != actor.user) {
    WL_TRY(require_colleague(actor, user, "gatekeepers.read"));
  }
  return routing_.list_gatekeepers(user);
}

Result<void> RoutingService::set_gatekeepers(const Principal& actor, UserId user,
                                             std::vector<UserId> gatekeepers) {
  WL_TRY(require_self_or_admin(actor, user, "gatekeepers.set",
                               "only administrators set a colleague's gatekeepers"));
  std::string detail;
  for (const UserId gatekeeper : gatekeepers) {
    WL_TRY(require_colleague(actor, gatekeeper, "gatekeepers.set"));
    detail += fmt::format("{}{}", detail.empty() ? "users=" : ",", gatekeeper.value());
  }
  const Timestamp now = clock_.now();
  WriteBatch batch;
  batch.add(SetGatekeepers{actor.org, user, std::move(gatekeepers), actor.user, now});
  batch.audit(audit_draft(actor, now, "gatekeepers.set", user_target(user), "ok", detail));
  // With none left, what they screened waits as if held (the release timer decides).
  WL_TRY(commit_availability(actor.org, user, std::move(batch)));
  return ok();
}

// ---- Hand-off notes ----

Result<SendResult> RoutingService::write_handoff(const Principal& actor, RoleId role_id,
                                                 UserId next, const HandOffNote& note) {
  const Role role = WL_TRY(find_visible_role(actor, role_id, "role.handoff"));
  if (next == actor.user) {
    return error(Code::kInvalidArgument, "a hand-off note is for someone else");
  }
  WL_TRY(require_colleague(actor, next, "role.handoff"));
  const auto holders = WL_TRY(routing_.list_role_holders(role.id, clock_.now()));
  WL_TRY(require(
      std::ranges::any_of(
          holders, [&actor](const RoleHolder& holder) { return holder.user_id == actor.user; }),
      actor, "role.handoff", role_target(role.id),
      "only a holder of this role writes its hand-off notes"));
  const ThreadView thread = WL_TRY(messaging_.open_role_thread(actor, role.id, role.name));
  SendRequest request{thread.thread.id, note.client_id, note.body};
  request.hand_off_to = next;
  SendResult sent = WL_TRY(messaging_.send(actor, request));
  if (!sent.duplicate) {
    WL_TRY(audit_.record(
        audit_draft(actor, clock_.now(), "role.handoff", role_target(role.id), "ok",
                    fmt::format("to={} message={}", next.value(), sent.message.id.value()))));
  }
  return sent;
}

Result<std::vector<HandOff>> RoutingService::pending_handoffs(const Principal& actor) {
  return routing_.list_pending_handoffs(actor.user, limits_.max_pending_handoffs);
}

Result<HandOff> RoutingService::accept_handoff(const Principal& actor, EventId message) {
  const std::string target = fmt::format("message:{}", message.value());
  auto handoff = routing_.find_handoff(message);
  if (!handoff && handoff.error().code() != Code::kNotFound) {
    return std::unexpected(handoff.error());
  }
  if (!handoff || handoff->to_user != actor.user || handoff->org_id != actor.org) {
    WL_TRY(audit_.record(
        audit_draft(actor, clock_.now(), "handoff.accept", target, "denied", "not_found")));
    return error(Code::kNotFound, "no such hand-off note");
  }
  if (handoff->accepted_at) {
    return std::move(*handoff);
  }
  const Timestamp now = clock_.now();
  WriteBatch batch;
  const std::size_t accepted = batch.add(AcceptHandOff{message, actor.user, now});
  batch.add(RouteMessage{handoff->thread_id,
                         handoff->role_id,
                         {RoutedTo{actor.user, std::string(kReasonAccepted), actor.user}},
                         now,
                         message});
  batch.audit(audit_draft(actor, now, "handoff.accept", target, "ok",
                          fmt::format("role={}", handoff->role_id.value())));
  const auto committed = commit(std::move(batch));
  if (!committed && committed.error().code() == Code::kAlreadyExists) {
    // Accepted meanwhile (another device): that acceptance stands, shown once.
    return routing_.find_handoff(message);
  }
  if (!committed) {
    return std::unexpected(committed.error());
  }
  (void)committed->result<bool>(accepted);
  handoff->accepted_at = now;
  return std::move(*handoff);
}

}  // namespace wl
