// The authorisation matrix: every HTTPS route and every WebSocket frame, tried as no
// one, with an ended token, as a member of the org outside the thread, as a user of
// another org and as another org's admin. Each refusal must come with its answer and
// its audit entry. The tables below must list every route of HttpApi::routes() and
// every frame of ClientSession::frame_types(): a new one fails this test until it is
// placed in the matrix.

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "adapters/sqlite/sqlite_store.hpp"
#include "api/client_session.hpp"
#include "api/http_api.hpp"
#include "integration/fixture.hpp"
#include "services/audit/audit_chain.hpp"

namespace wl::testing {
namespace {
namespace json = boost::json;

// What one actor must get: nullopt = allowed (its own data, or its org's as admin).
struct Refusal {
  int status = 0;
  std::string action;  // The audit entry's action; its outcome is "denied".
};

// The ids the requests name: a direct thread of dr.patel and rn.harper, a message in
// it, a device of dr.patel; and the users of the matrix.
struct World {
  std::int64_t thread = 0;
  std::int64_t message = 0;
  std::int64_t device = 0;
  std::int64_t patel = 0;
  std::int64_t chen = 0;
  std::int64_t role = 0;   // A demo role ("Cardiology On Call").
  std::int64_t shift = 0;  // One of its shifts.
  std::int64_t held = 0;   // A message of rn.harper's held for dr.patel, off duty.
  std::int64_t quick_note = 0;  // An org-wide quick note.
};

struct RouteCase {
  std::string method;
  std::string path;  // As HttpApi::routes() spells it.
  std::function<std::string(const World&)> target;
  std::string body;
  std::optional<Refusal> non_member;
  std::optional<Refusal> outsider;
  std::optional<Refusal> outsider_admin;
};

std::string id(std::int64_t value) { return std::to_string(value); }

std::vector<RouteCase> route_cases() {
  const auto fixed = [](std::string target) { return [target](const World&) { return target; }; };
  const auto thread = [](std::string rest) {
    return [rest](const World& world) { return "/api/v1/threads/" + id(world.thread) + rest; };
  };
  const auto message = [](std::string rest) {
    return [rest](const World& world) { return "/api/v1/messages/" + id(world.message) + rest; };
  };
  const Refusal not_found_thread_get{404, "thread.get"};
  const auto role = [](std::string rest) {
    return [rest](const World& world) { return "/api/v1/roles/" + id(world.role) + rest; };
  };
  const auto shift = [](const World& world) { return "/api/v1/shifts/" + id(world.shift); };
  const std::string shift_body =
      R"({"role_id":1,"user_id":1,"starts_at":"2026-12-07T07:00:00Z",)"
      R"("ends_at":"2026-12-07T19:00:00Z","time_zone":"America/New_York"})";
  return {
      // Routing: every user reads their org's roles and schedule; admins change roles,
      // admins and schedulers the schedule; another org's are missing ones.
      {"GET", "/api/v1/roles", fixed("/api/v1/roles"), "", {}, {}, {}},
      {"POST",
       "/api/v1/roles",
       fixed("/api/v1/roles"),
       R"({"name":"Matrix Role"})",
       Refusal{403, "role.create"},
       Refusal{403, "role.create"},
       {}},
      {"GET",
       "/api/v1/roles/{id}",
       role(""),
       "",
       {},
       Refusal{404, "role.get"},
       Refusal{404, "role.get"}},
      {"PUT", "/api/v1/roles/{id}", role(""), R"({"name":"Renamed Role"})",
       Refusal{403, "role.update"}, Refusal{403, "role.update"}, Refusal{404, "role.update"}},
      {"GET",
       "/api/v1/roles/{id}/preview",
       role("/preview"),
       "",
       {},
       Refusal{404, "role.preview"},
       Refusal{404, "role.preview"}},
      {"POST",
       "/api/v1/roles/{id}/thread",
       role("/thread"),
       "{}",
       {},
       Refusal{404, "role.thread"},
       Refusal{404, "role.thread"}},
      {"POST",
       "/api/v1/roles/{id}/sign-in",
       role("/sign-in"),
       "{}",
       {},
       Refusal{404, "role.sign_in"},
       Refusal{404, "role.sign_in"}},
      {"POST",
       "/api/v1/roles/{id}/sign-out",
       role("/sign-out"),
       "",
       {},
       Refusal{404, "role.sign_out"},
       Refusal{404, "role.sign_out"}},
      {"POST",
       "/api/v1/roles/{id}/hand-over",
       role("/hand-over"),
       R"({"user_id":1})",
       {},
       Refusal{404, "role.hand_over"},
       Refusal{404, "role.hand_over"}},
      {"GET", "/api/v1/sign-ins", fixed("/api/v1/sign-ins"), "", {}, {}, {}},
      {"GET",
       "/api/v1/shifts",
       fixed("/api/v1/shifts?from=2026-12-01T00:00:00Z&to=2026-12-08T00:00:00Z"),
       "",
       {},
       {},
       {}},
      {"POST", "/api/v1/shifts", fixed("/api/v1/shifts"), shift_body, Refusal{403, "shift.save"},
       Refusal{403, "shift.save"}, Refusal{404, "shift.save"}},
      {"PUT", "/api/v1/shifts/{id}", shift, shift_body, Refusal{403, "shift.save"},
       Refusal{403, "shift.save"}, Refusal{404, "shift.save"}},
      {"DELETE", "/api/v1/shifts/{id}", shift, "", Refusal{403, "shift.delete"},
       Refusal{403, "shift.delete"}, Refusal{404, "shift.delete"}},
      {"POST",
       "/api/v1/schedule-imports",
       fixed("/api/v1/schedule-imports?format=csv"),
       "role,person,start,end\n",
       Refusal{403, "schedule.import"},
       Refusal{403, "schedule.import"},
       {}},
      {"GET", "/api/v1/schedule-imports/{id}", fixed("/api/v1/schedule-imports/1"), "", {}, {}, {}},
      // Escalation: colleagues read a person's backups; the person or an admin sets them;
      // admins set the org's policy.
      {"GET",
       "/api/v1/users/{id}/backups",
       [](const World& world) { return "/api/v1/users/" + id(world.patel) + "/backups"; },
       "",
       {},
       Refusal{404, "backups.read"},
       Refusal{404, "backups.read"}},
      {"PUT", "/api/v1/users/{id}/backups",
       [](const World& world) { return "/api/v1/users/" + id(world.patel) + "/backups"; },
       R"({"backups":[]})", Refusal{403, "backups.set"}, Refusal{403, "backups.set"},
       Refusal{404, "backups.set"}},
      {"GET", "/api/v1/escalation-policy", fixed("/api/v1/escalation-policy"), "", {}, {}, {}},
      // Availability: colleagues read it and preview; the person or an admin sets it.
      {"GET",
       "/api/v1/users/{id}/availability",
       [](const World& world) { return "/api/v1/users/" + id(world.patel) + "/availability"; },
       "",
       {},
       Refusal{404, "availability.read"},
       Refusal{404, "availability.read"}},
      {"POST", "/api/v1/users/{id}/availability",
       [](const World& world) { return "/api/v1/users/" + id(world.patel) + "/availability"; },
       R"({"status":"busy"})", Refusal{403, "availability.set"}, Refusal{403, "availability.set"},
       Refusal{404, "availability.set"}},
      // Forwarding: colleagues read it; the person or an admin sets and clears it.
      {"GET",
       "/api/v1/users/{id}/forwarding",
       [](const World& world) { return "/api/v1/users/" + id(world.patel) + "/forwarding"; },
       "",
       {},
       Refusal{404, "forwarding.read"},
       Refusal{404, "forwarding.read"}},
      {"PUT", "/api/v1/users/{id}/forwarding",
       [](const World& world) { return "/api/v1/users/" + id(world.patel) + "/forwarding"; },
       R"({"to_user_id":1})", Refusal{403, "forwarding.set"}, Refusal{403, "forwarding.set"},
       Refusal{404, "forwarding.set"}},
      {"DELETE", "/api/v1/users/{id}/forwarding",
       [](const World& world) { return "/api/v1/users/" + id(world.patel) + "/forwarding"; }, "",
       Refusal{403, "forwarding.clear"}, Refusal{403, "forwarding.clear"},
       Refusal{404, "forwarding.clear"}},
      {"DELETE", "/api/v1/users/{id}/availability/{id}",
       [](const World& world) { return "/api/v1/users/" + id(world.patel) + "/availability/1"; },
       "", Refusal{403, "availability.delete"}, Refusal{403, "availability.delete"},
       Refusal{404, "availability.delete"}},
      {"GET",
       "/api/v1/users/{id}/preview",
       [](const World& world) { return "/api/v1/users/" + id(world.patel) + "/preview"; },
       "",
       {},
       Refusal{404, "user.preview"},
       Refusal{404, "user.preview"}},
      {"GET", "/api/v1/threads/{id}/preview", thread("/preview"), "", Refusal{403, "thread.get"},
       not_found_thread_get, not_found_thread_get},
      // Held messages: only their sender lists (as a member) and withdraws them.
      {"GET", "/api/v1/threads/{id}/held", thread("/held"), "", Refusal{403, "held.list"},
       Refusal{404, "held.list"}, Refusal{404, "held.list"}},
      {"DELETE", "/api/v1/held/{id}",
       [](const World& world) { return "/api/v1/held/" + id(world.held); }, "",
       Refusal{404, "message.withdraw"}, Refusal{404, "message.withdraw"},
       Refusal{404, "message.withdraw"}},
      // Hand-off notes: only a holder of the role writes one (none of the three holds
      // it); only the person a note is to accepts it; everyone lists their own.
      {"POST", "/api/v1/roles/{id}/handoff-notes", role("/handoff-notes"),
       R"({"user_id":1,"client_id":"h-1","body":"All quiet"})", Refusal{403, "role.handoff"},
       Refusal{404, "role.handoff"}, Refusal{404, "role.handoff"}},
      {"GET", "/api/v1/handoffs", fixed("/api/v1/handoffs"), "", {}, {}, {}},
      {"POST", "/api/v1/handoffs/{id}/accept",
       [](const World& world) { return "/api/v1/handoffs/" + id(world.message) + "/accept"; }, "",
       Refusal{404, "handoff.accept"}, Refusal{404, "handoff.accept"},
       Refusal{404, "handoff.accept"}},
      // Gatekeepers: colleagues read them; the person or an admin names them; only a
      // gatekeeper of its addressee decides on a screened message (the matrix's held
      // message is held off duty, screened by nobody: every decision is refused).
      {"GET",
       "/api/v1/users/{id}/gatekeepers",
       [](const World& world) { return "/api/v1/users/" + id(world.patel) + "/gatekeepers"; },
       "",
       {},
       Refusal{404, "gatekeepers.read"},
       Refusal{404, "gatekeepers.read"}},
      {"PUT", "/api/v1/users/{id}/gatekeepers",
       [](const World& world) { return "/api/v1/users/" + id(world.patel) + "/gatekeepers"; },
       R"({"user_ids":[]})", Refusal{403, "gatekeepers.set"}, Refusal{403, "gatekeepers.set"},
       Refusal{404, "gatekeepers.set"}},
      {"GET", "/api/v1/screening", fixed("/api/v1/screening"), "", {}, {}, {}},
      {"POST", "/api/v1/screening/{id}",
       [](const World& world) { return "/api/v1/screening/" + id(world.held); },
       R"({"action":"hold"})", Refusal{404, "screening.hold"}, Refusal{404, "screening.hold"},
       Refusal{404, "screening.hold"}},
      {"PUT",
       "/api/v1/escalation-policy",
       fixed("/api/v1/escalation-policy"),
       R"({"normal_after_seconds":900,"urgent_after_seconds":120,"realert_every_seconds":120})",
       Refusal{403, "escalation.policy"},
       Refusal{403, "escalation.policy"},
       {}},
      // The caller's own data: only a valid session is needed.
      {"POST", "/api/v1/logout", fixed("/api/v1/logout"), "", {}, {}, {}},
      {"GET", "/api/v1/session", fixed("/api/v1/session"), "", {}, {}, {}},
      {"POST", "/api/v1/session/lock", fixed("/api/v1/session/lock"), "", {}, {}, {}},
      {"POST",
       "/api/v1/session/unlock",
       fixed("/api/v1/session/unlock"),
       R"({"pin":"402913"})",
       {},
       {},
       {}},
      {"POST", "/api/v1/session/activity", fixed("/api/v1/session/activity"), "", {}, {}, {}},
      {"GET", "/api/v1/me", fixed("/api/v1/me"), "", {}, {}, {}},
      {"PUT",
       "/api/v1/me/pin",
       fixed("/api/v1/me/pin"),
       R"({"password":"wardline-demo-password","pin":"402913"})",
       {},
       {},
       {}},
      {"GET", "/api/v1/me/storage-key", fixed("/api/v1/me/storage-key"), "", {}, {}, {}},
      {"GET", "/api/v1/users", fixed("/api/v1/users"), "", {}, {}, {}},
      // The directory: every user searches their own org (another org's is never
      // searched); the org screen is read by all and edited by the org's admins.
      {"GET", "/api/v1/directory", fixed("/api/v1/directory?q=card"), "", {}, {}, {}},
      {"GET", "/api/v1/org-screen", fixed("/api/v1/org-screen"), "", {}, {}, {}},
      {"PUT",
       "/api/v1/org-screen",
       fixed("/api/v1/org-screen"),
       R"({"version":1,"sections":[]})",
       Refusal{403, "admin.org_screen.save"},
       Refusal{403, "admin.org_screen.save"},
       {}},
      {"PUT", "/api/v1/admin/users/{id}/directory",
       [](const World& world) { return "/api/v1/admin/users/" + id(world.patel) + "/directory"; },
       R"({"title":"Matrix","department":"Matrix"})", Refusal{403, "admin.user.directory"},
       Refusal{404, "admin.user.directory"}, Refusal{404, "admin.user.directory"}},
      // Call back: everyone keeps their own numbers; another user's visible ones are
      // for their org only. Quick notes: org-wide ones are the org's admins' to keep.
      {"GET", "/api/v1/me/phones", fixed("/api/v1/me/phones"), "", {}, {}, {}},
      {"PUT", "/api/v1/me/phones", fixed("/api/v1/me/phones"), R"({"phones":[]})", {}, {}, {}},
      {"GET",
       "/api/v1/users/{id}/phones",
       [](const World& world) { return "/api/v1/users/" + id(world.patel) + "/phones"; },
       "",
       {},
       Refusal{404, "phones.read"},
       Refusal{404, "phones.read"}},
      {"GET", "/api/v1/quick-notes", fixed("/api/v1/quick-notes"), "", {}, {}, {}},
      {"POST",
       "/api/v1/quick-notes",
       fixed("/api/v1/quick-notes"),
       R"({"scope":"org","title":"Matrix","text":"Matrix"})",
       Refusal{403, "quick_note.create"},
       Refusal{403, "quick_note.create"},
       {}},
      {"PUT", "/api/v1/quick-notes/{id}",
       [](const World& world) { return "/api/v1/quick-notes/" + id(world.quick_note); },
       R"({"title":"Matrix","text":"Matrix"})", Refusal{403, "quick_note.update"},
       Refusal{404, "quick_note.update"}, Refusal{404, "quick_note.update"}},
      {"DELETE", "/api/v1/quick-notes/{id}",
       [](const World& world) { return "/api/v1/quick-notes/" + id(world.quick_note); }, "",
       Refusal{403, "quick_note.delete"}, Refusal{404, "quick_note.delete"},
       Refusal{404, "quick_note.delete"}},
      {"GET", "/api/v1/devices", fixed("/api/v1/devices"), "", {}, {}, {}},
      {"GET", "/api/v1/patients", fixed("/api/v1/patients"), "", {}, {}, {}},
      {"GET", "/api/v1/patients/search", fixed("/api/v1/patients/search?q=alma"), "", {}, {}, {}},
      // A demo patient: anyone of the org sees the banner; to another org it is missing.
      {"GET",
       "/api/v1/patients/{id}",
       fixed("/api/v1/patients/1"),
       "",
       {},
       Refusal{404, "patient.read"},
       Refusal{404, "patient.read"}},
      // The HL7 feed's stored messages: admins of the org only; another org's admin
      // finds none of this org's.
      {"GET",
       "/api/v1/hl7/messages",
       fixed("/api/v1/hl7/messages"),
       "",
       Refusal{403, "hl7.list"},
       Refusal{403, "hl7.list"},
       {}},
      {"GET", "/api/v1/hl7/messages/{id}", fixed("/api/v1/hl7/messages/1"), "",
       Refusal{403, "hl7.read"}, Refusal{403, "hl7.read"}, Refusal{404, "hl7.read"}},
      {"POST", "/api/v1/hl7/messages/{id}/replay", fixed("/api/v1/hl7/messages/1/replay"), "",
       Refusal{403, "hl7.replay"}, Refusal{403, "hl7.replay"}, Refusal{404, "hl7.replay"}},
      {"GET", "/api/v1/threads", fixed("/api/v1/threads"), "", {}, {}, {}},
      // Another user's device: the owner or the org's admin only; other orgs see none.
      {"DELETE", "/api/v1/devices/{id}",
       [](const World& world) { return "/api/v1/devices/" + id(world.device); }, "",
       Refusal{403, "device.revoke"}, Refusal{404, "device.revoke"}, Refusal{404, "device.revoke"}},
      // Naming a user of another org is a lookup across orgs.
      {"POST",
       "/api/v1/threads",
       [](const World&) { return std::string("/api/v1/threads"); },
       "",
       {},
       Refusal{404, "thread.create"},
       Refusal{404, "thread.create"}},
      {"GET", "/api/v1/threads/{id}", thread(""), "", Refusal{403, "thread.get"},
       not_found_thread_get, not_found_thread_get},
      {"PATCH", "/api/v1/threads/{id}", thread(""), R"({"title":"Renamed"})",
       Refusal{403, "thread.rename"}, Refusal{404, "thread.rename"}, Refusal{404, "thread.rename"}},
      {"GET", "/api/v1/threads/{id}/messages", thread("/messages"), "",
       Refusal{403, "thread.history"}, Refusal{404, "thread.history"},
       Refusal{404, "thread.history"}},
      {"POST", "/api/v1/threads/{id}/members", thread("/members"), "",
       Refusal{403, "thread.member.add"}, Refusal{404, "thread.member.add"},
       Refusal{404, "thread.member.add"}},
      {"DELETE", "/api/v1/threads/{id}/members/{id}",
       [](const World& world) {
         return "/api/v1/threads/" + id(world.thread) + "/members/" + id(world.patel);
       },
       "", Refusal{403, "thread.member.remove"}, Refusal{404, "thread.member.remove"},
       Refusal{404, "thread.member.remove"}},
      {"POST", "/api/v1/threads/{id}/read", thread("/read"), R"({"up_to_seq":1})",
       Refusal{403, "thread.mark_read"}, Refusal{404, "thread.mark_read"},
       Refusal{404, "thread.mark_read"}},
      {"GET", "/api/v1/messages/{id}", message(""), "", Refusal{403, "message.read"},
       Refusal{404, "message.read"}, Refusal{404, "message.read"}},
      {"GET", "/api/v1/messages/{id}/status", message("/status"), "",
       Refusal{403, "message.status"}, Refusal{404, "message.status"},
       Refusal{404, "message.status"}},
      // Everyone searches only their own messages: nothing to refuse.
      {"GET",
       "/api/v1/search/messages",
       fixed("/api/v1/search/messages?q=let%20me%20in"),
       "",
       {},
       {},
       {}},
      // Per org: an admin rotates its own org's data key.
      {"POST",
       "/api/v1/admin/keys/rotate",
       fixed("/api/v1/admin/keys/rotate"),
       "{}",
       Refusal{403, "admin.keys.rotate"},
       Refusal{403, "admin.keys.rotate"},
       {}},
      // Per org: an admin sets its own org's idle lock.
      {"PUT",
       "/api/v1/admin/idle-lock",
       fixed("/api/v1/admin/idle-lock"),
       R"({"idle_lock_seconds":600})",
       Refusal{403, "admin.org.idle_lock"},
       Refusal{403, "admin.org.idle_lock"},
       {}},
      // Server-wide: operators only, never an org admin.
      {"POST", "/api/v1/operator/kek/rotate", fixed("/api/v1/operator/kek/rotate"), "{}",
       Refusal{403, "operator.kek.rotate"}, Refusal{403, "operator.kek.rotate"},
       Refusal{403, "operator.kek.rotate"}},
      // The system routes: only the server's admin token, never a session token
      // (checked below with an org admin's session).
      {"GET", "/api/v1/system/orgs", fixed("/api/v1/system/orgs"), "", {}, {}, {}},
      {"POST",
       "/api/v1/system/orgs",
       fixed("/api/v1/system/orgs"),
       R"({"name":"Forged"})",
       {},
       {},
       {}},
      {"PUT",
       "/api/v1/system/orgs/{id}/idle-lock",
       fixed("/api/v1/system/orgs/1/idle-lock"),
       R"({"idle_lock_seconds":60})",
       {},
       {},
       {}},
      {"GET",
       "/api/v1/system/orgs/{id}/users",
       fixed("/api/v1/system/orgs/1/users"),
       "",
       {},
       {},
       {}},
      {"POST",
       "/api/v1/system/orgs/{id}/users",
       fixed("/api/v1/system/orgs/1/users"),
       R"({"username":"forged","display_name":"F","password":"forged-password-long"})",
       {},
       {},
       {}},
      {"POST",
       "/api/v1/system/orgs/{id}/patients",
       fixed("/api/v1/system/orgs/1/patients"),
       R"({"mrn":"1","name":"Forged"})",
       {},
       {},
       {}},
      {"PUT",
       "/api/v1/system/users/{id}/password",
       [](const World& world) { return "/api/v1/system/users/" + id(world.patel) + "/password"; },
       R"({"password":"forged-password-long"})",
       {},
       {},
       {}},
      {"PUT",
       "/api/v1/system/users/{id}/directory",
       [](const World& world) { return "/api/v1/system/users/" + id(world.patel) + "/directory"; },
       R"({"title":"Matrix","department":"Matrix"})",
       {},
       {},
       {}},
      {"PUT",
       "/api/v1/system/users/{id}/scheduler",
       [](const World& world) { return "/api/v1/system/users/" + id(world.patel) + "/scheduler"; },
       R"({"is_scheduler":true})",
       {},
       {},
       {}},
      {"PUT",
       "/api/v1/system/orgs/{id}/escalation-policy",
       fixed("/api/v1/system/orgs/1/escalation-policy"),
       R"({"normal_after_seconds":900,"urgent_after_seconds":120,"realert_every_seconds":120})",
       {},
       {},
       {}},
      {"PUT",
       "/api/v1/system/orgs/{id}/users/{id}/backups",
       [](const World& world) {
         return "/api/v1/system/orgs/1/users/" + id(world.patel) + "/backups";
       },
       R"({"backups":[]})",
       {},
       {},
       {}},
      {"GET",
       "/api/v1/system/orgs/{id}/roles",
       fixed("/api/v1/system/orgs/1/roles"),
       "",
       {},
       {},
       {}},
      {"POST",
       "/api/v1/system/orgs/{id}/roles",
       fixed("/api/v1/system/orgs/1/roles"),
       R"({"name":"Forged Role"})",
       {},
       {},
       {}},
      {"POST",
       "/api/v1/system/orgs/{id}/schedule-imports",
       fixed("/api/v1/system/orgs/1/schedule-imports?format=csv"),
       "role,person,start,end\n",
       {},
       {},
       {}},
      {"GET",
       "/api/v1/system/orgs/{id}/schedule-imports/{id}",
       fixed("/api/v1/system/orgs/1/schedule-imports/1"),
       "",
       {},
       {},
       {}},
      {"PUT",
       "/api/v1/system/users/{id}/disabled",
       [](const World& world) { return "/api/v1/system/users/" + id(world.patel) + "/disabled"; },
       R"({"disabled":true})",
       {},
       {},
       {}},
      {"PUT",
       "/api/v1/system/users/{id}/operator",
       [](const World& world) { return "/api/v1/system/users/" + id(world.patel) + "/operator"; },
       R"({"is_operator":true})",
       {},
       {},
       {}},
      {"GET",
       "/api/v1/system/users/{id}/devices",
       [](const World& world) { return "/api/v1/system/users/" + id(world.patel) + "/devices"; },
       "",
       {},
       {},
       {}},
      {"DELETE",
       "/api/v1/system/devices/{id}",
       [](const World& world) { return "/api/v1/system/devices/" + id(world.device); },
       "",
       {},
       {},
       {}},
      {"POST", "/api/v1/system/keys/rotate", fixed("/api/v1/system/keys/rotate"), "{}", {}, {}, {}},
      // The provider directory: public registry data for every signed-in user; a thread's
      // invitations for its members only.
      {"GET", "/api/v1/providers", fixed("/api/v1/providers?q=wiebe"), "", {}, {}, {}},
      {"POST", "/api/v1/threads/{id}/invitations", thread("/invitations"),
       R"({"npi":"1679576722"})", Refusal{403, "provider.invite"}, Refusal{404, "provider.invite"},
       Refusal{404, "provider.invite"}},
      {"GET", "/api/v1/threads/{id}/invitations", thread("/invitations"), "",
       Refusal{403, "provider.invitations.list"}, Refusal{404, "provider.invitations.list"},
       Refusal{404, "provider.invitations.list"}},
      {"POST",
       "/api/v1/system/npi/providers",
       fixed("/api/v1/system/npi/providers"),
       R"({"providers":[]})",
       {},
       {},
       {}},
      {"POST",
       "/api/v1/system/npi/taxonomies",
       fixed("/api/v1/system/npi/taxonomies"),
       R"({"taxonomies":[]})",
       {},
       {},
       {}},
      {"POST",
       "/api/v1/system/npi/imports",
       fixed("/api/v1/system/npi/imports"),
       R"({"rows_read":0,"used":0,"rejected":0,"deactivated":0})",
       {},
       {},
       {}},
  };
}

// The WebSocket frames, with what a signed-in non-member and a user of another org
// get when the frame names the thread (nullopt: nothing to refuse).
struct FrameCase {
  std::string type;
  std::function<json::object(const World&)> frame;
  std::optional<Refusal> non_member;  // status is unused: frames answer with codes.
  std::optional<Refusal> outsider;
  bool acts = false;  // A user action: refused while the session is locked.
};

std::vector<FrameCase> frame_cases() {
  return {
      {"send",
       [](const World& world) {
         return json::object{{"type", "send"},
                             {"thread_id", world.thread},
                             {"client_id", "matrix-1"},
                             {"body", "let me in"}};
       },
       Refusal{0, "message.send"}, Refusal{0, "message.send"}, true},
      {"read",
       [](const World& world) {
         return json::object{{"type", "read"}, {"thread_id", world.thread}, {"up_to_seq", 1}};
       },
       Refusal{0, "thread.mark_read"}, Refusal{0, "thread.mark_read"}, true},
      {"typing",
       [](const World& world) {
         return json::object{{"type", "typing"}, {"thread_id", world.thread}};
       },
       Refusal{0, "thread.typing"}, Refusal{0, "thread.typing"}, true},
      // Acknowledging ids one cannot see delivers nothing and reveals nothing.
      {"ack",
       [](const World& world) {
         return json::object{{"type", "ack"}, {"message_ids", json::array{world.message}}};
       },
       {},
       {}},
      {"ping",
       [](const World&) {
         return json::object{{"type", "ping"}};
       },
       {},
       {}},
      {"hello",
       [](const World&) {
         return json::object{{"type", "hello"}, {"token", "x"}};
       },
       {},
       {}},
  };
}

class AuthorizationTest : public ServerTest {
 protected:
  // Client options speaking from its own loopback address, so that each anonymous
  // refusal has an audit entry of its own (refusals are budgeted per address).
  net::ClientOptions from(int host, std::string_view subnet = "127.0.1.") {
    net::ClientOptions options = server_->client_options();
    options.source_address = std::string(subnet) + std::to_string(host);
    return options;
  }

  static constexpr std::string_view kDemoOrg = "Mercy General (demo)";

  // A demo user signed in naming the org (the server then hosts two).
  std::unique_ptr<TestClient> member(std::string_view username) {
    return std::make_unique<TestClient>(server_->client_options(), username, kDemoPassword,
                                        kDemoOrg);
  }

  void make_other_org() {
    server_->stop();
    const std::string data = server_->data_dir().string();
    ASSERT_EQ(run_wardline({"admin", "--data-dir", data, "org", "create", "Other Clinic"}), 0);
    for (const auto& [username, admin] :
         std::vector<std::pair<std::string, bool>>{{"outsider", false}, {"outadmin", true}}) {
      std::vector<std::string> arguments = {
          "admin",      "--data-dir", data,     "--fast-password-hashing",
          "user",       "create",     "--org",  "Other Clinic",
          "--username", username,     "--name", "Out Sider"};
      if (admin) {
        arguments.push_back("--admin");
      }
      std::string output;
      ASSERT_EQ(run_wardline(arguments, &output, {"WARDLINE_PASSWORD=outsider-password-long"}), 0)
          << output;
    }
    server_->start();
  }
};

TEST_F(AuthorizationTest, EveryRouteAndFrameIsInTheMatrix) {
  std::set<std::pair<std::string, std::string>> listed = {{"POST", "/api/v1/login"}};
  for (const RouteCase& route : route_cases()) {
    listed.emplace(route.method, route.path);
  }
  for (const api::RouteInfo& route : api::HttpApi::routes()) {
    EXPECT_TRUE(listed.contains({std::string(route.method), std::string(route.path)}))
        << route.method << " " << route.path
        << " is not in the authorisation matrix (tests/integration/authorization_test.cpp)";
    if (route.path != "/api/v1/login") {
      EXPECT_NE(route.access, api::Access::kPublic) << route.path;
    }
  }
  EXPECT_EQ(listed.size(), api::HttpApi::routes().size());
  std::set<std::string> frames;
  for (const FrameCase& frame : frame_cases()) {
    frames.insert(frame.type);
  }
  for (const std::string_view type : api::ClientSession::frame_types()) {
    EXPECT_TRUE(frames.contains(std::string(type)))
        << "frame '" << type << "' is not in the authorisation matrix";
  }
  EXPECT_EQ(frames.size(), api::ClientSession::frame_types().size());
}

TEST_F(AuthorizationTest, EveryRefusalIsAnsweredAndAudited) {
  make_other_org();
  World world;
  auto harper = member("rn.harper");
  auto patel = member("dr.patel");
  world.thread = direct_thread(*harper, "dr.patel");
  harper->connect();
  world.message =
      harper->send_message(world.thread, "m-1", "matrix message").at("message_id").as_int64();
  world.patel = harper->user_id_of("dr.patel");
  world.chen = harper->user_id_of("rn.chen");
  ASSERT_EQ(patel
                ->call("POST", "/api/v1/users/" + id(world.patel) + "/availability",
                       R"({"status":"off_duty"})")
                .status,
            200);
  world.held = harper->send_message(world.thread, "m-held", "held matrix message")
                   .at("held")
                   .at("held_id")
                   .as_int64();
  const json::value roles = harper->get("/api/v1/roles");
  for (const json::value& role : roles.at("roles").as_array()) {
    if (role.at("name").as_string() == "Cardiology On Call") {
      world.role = role.at("id").as_int64();
      world.shift = role.at("holders").as_array().at(0).at("shift_id").as_int64();
    }
  }
  ASSERT_NE(world.shift, 0);
  world.quick_note = member("admin")
                         ->post("/api/v1/quick-notes",
                                json::object{{"scope", "org"}, {"title", "Org"}, {"text", "Org"}})
                         .at("id")
                         .as_int64();
  const json::value devices = patel->get("/api/v1/devices");
  for (const json::value& device : devices.at("devices").as_array()) {
    world.device = device.at("id").as_int64();
  }

  auto non_member = member("rn.chen");
  TestClient outsider(server_->client_options(), "outsider", "outsider-password-long",
                      "Other Clinic");
  TestClient outsider_admin(server_->client_options(), "outadmin", "outsider-password-long",
                            "Other Clinic");
  ASSERT_FALSE(outsider.token().empty());
  ASSERT_FALSE(outsider_admin.token().empty());
  const std::int64_t outsider_id = outsider.user_id();
  const std::int64_t outsider_admin_id = outsider_admin.user_id();

  // An ended session, speaking from addresses of its own (above those of the routes,
  // 1 and up, and of their admin-token checks, 101 and up): six sessions, each for a
  // sixth of the routes, so that no address passes the audit's burst of 20 refusals
  // (RefusalAudit), which would hold some entries back.
  constexpr int kEndedHosts[] = {240, 241, 242, 243, 244, 245};
  std::vector<std::unique_ptr<TestClient>> ended;
  for (const int ended_host : kEndedHosts) {
    ended.push_back(
        std::make_unique<TestClient>(from(ended_host), "rn.harper", kDemoPassword, kDemoOrg));
    ASSERT_EQ(ended.back()->call("POST", "/api/v1/logout").status, 204);
  }
  // Locked sessions: only what unlocks, locks, logs out or says the session's state
  // works; everything else is 423, audited with the user. The audit writes at most 60
  // refusals a minute per user (AuditLog), so the routes take turns between two users
  // and the frames have a third.
  std::vector<std::unique_ptr<TestClient>> locked_sessions;
  for (const char* username : {"rn.harper", "rn.santos", "rn.muller"}) {
    locked_sessions.push_back(member(username));
    ASSERT_EQ(locked_sessions.back()->call("POST", "/api/v1/session/lock").status, 204);
  }
  TestClient& locked_frames = *locked_sessions[2];
  std::set<std::string> open_while_locked;
  std::set<std::string> admin_token_routes;
  for (const api::RouteInfo& route : api::HttpApi::routes()) {
    const std::string label = std::string(route.method) + " " + std::string(route.path);
    if (route.access == api::Access::kLockedSession) {
      open_while_locked.insert(label);
    } else if (route.access == api::Access::kAdminToken) {
      admin_token_routes.insert(label);
    }
  }
  EXPECT_EQ(open_while_locked,
            (std::set<std::string>{"POST /api/v1/logout", "GET /api/v1/session",
                                   "POST /api/v1/session/lock", "POST /api/v1/session/unlock"}));

  struct Expected {
    std::int64_t actor = 0;  // 0: anonymous (matched by its address instead).
    std::string remote;      // For anonymous refusals.
    std::string action;
    std::string target;  // For anonymous refusals: the route's path.
    std::string label;
  };
  std::vector<Expected> expected;

  int next_host = 1;
  for (const RouteCase& route : route_cases()) {
    const std::string target = route.target(world);
    std::string body = route.body;
    if (route.method == "POST" && route.path == "/api/v1/threads") {
      body = json::serialize(json::object{{"kind", "direct"}, {"user_id", world.patel}});
    } else if (route.path == "/api/v1/threads/{id}/members") {
      body = json::serialize(json::object{{"user_id", world.chen}});
    }
    const std::string label = route.method + " " + route.path;

    // No one: 401 with WWW-Authenticate, audited with the address.
    const int host = next_host++;
    TestClient nobody(from(host));
    const HttpAnswer anonymous = nobody.call(route.method, target, body);
    EXPECT_EQ(anonymous.status, 401) << label << " as no one";
    expected.push_back(
        {0, "127.0.1." + std::to_string(host), "auth.refused", route.path, label + " as no one"});

    // An ended session: 401, audited with the address.
    const std::size_t quarter = static_cast<std::size_t>(host) % ended.size();
    const HttpAnswer ended_answer = ended[quarter]->call(route.method, target, body);
    EXPECT_EQ(ended_answer.status, 401) << label << " with an ended token";
    expected.push_back({0, "127.0.1." + std::to_string(kEndedHosts[quarter]), "auth.refused",
                        route.path, label + " ended token"});

    if (admin_token_routes.contains(label)) {
      // A session token, even an org admin's, is not the admin token: 401, audited
      // with the address (its own, so that no refusal budget holds the entry back).
      // (Another /24 than the routes' own addresses, which run past 100.)
      TestClient org_admin(from(host, "127.0.2."), "admin", kDemoPassword, kDemoOrg);
      const HttpAnswer answer = org_admin.call(route.method, target, body);
      EXPECT_EQ(answer.status, 401) << label << " with a session token";
      expected.push_back({0, "127.0.2." + std::to_string(host), "auth.refused", route.path,
                          label + " with a session token"});
      continue;
    }

    if (!open_while_locked.contains(label)) {
      TestClient& locked = *locked_sessions[static_cast<std::size_t>(host) % 2];
      const HttpAnswer answer = locked.call(route.method, target, body);
      EXPECT_EQ(answer.status, 423) << label << " locked: " << json::serialize(answer.body);
      expected.push_back({locked.user_id(), "", "auth.refused", "", label + " locked"});
    }

    const auto check = [&](TestClient& client, std::int64_t actor,
                           const std::optional<Refusal>& refusal, std::string_view who) {
      if (!refusal) {
        return;  // Allowed: not exercised here (the route's own tests cover it).
      }
      const HttpAnswer answer = client.call(route.method, target, body);
      EXPECT_EQ(answer.status, refusal->status)
          << label << " as " << who << ": " << json::serialize(answer.body);
      expected.push_back({actor, "", refusal->action, "", label + " as " + std::string(who)});
    };
    check(*non_member, non_member->user_id(), route.non_member, "a non-member");
    check(outsider, outsider_id, route.outsider, "another org's user");
    check(outsider_admin, outsider_admin_id, route.outsider_admin, "another org's admin");
  }

  for (const FrameCase& frame : frame_cases()) {
    // Any frame before a valid hello: an error, close 1008, audited.
    const int host = next_host++;
    auto socket = net::WsClient::connect(from(host), "/api/v1/ws");
    ASSERT_TRUE(socket) << socket.error().to_string();
    ASSERT_TRUE((*socket)->send(json::serialize(frame.frame(world))));
    const auto reply = (*socket)->receive(std::chrono::seconds(10));
    ASSERT_TRUE(reply) << reply.error().to_string();
    const json::value error_frame = json::parse(*reply);
    EXPECT_EQ(error_frame.at("code").as_string(), "unauthenticated") << frame.type;
    expected.push_back(
        {0, "127.0.1." + std::to_string(host), "auth.refused", "ws", frame.type + " before hello"});

    const auto check = [&](TestClient& client, std::int64_t actor,
                           const std::optional<Refusal>& refusal, std::string_view who,
                           std::string_view code) {
      if (!refusal) {
        return;
      }
      client.send_frame(frame.frame(world));
      const json::value answer = client.next_matching(
          [](const json::value& reply) { return reply.at("type").as_string() == "error"; });
      ASSERT_FALSE(answer.is_null()) << frame.type << " as " << who;
      EXPECT_EQ(answer.at("code").as_string(), code) << frame.type << " as " << who;
      expected.push_back({actor, "", refusal->action, "", frame.type + " as " + std::string(who)});
    };
    non_member->connect();
    check(*non_member, non_member->user_id(), frame.non_member, "a non-member",
          "permission_denied");
    non_member->disconnect();
    outsider.connect();
    check(outsider, outsider_id, frame.outsider, "another org's user", "not_found");
    outsider.disconnect();
    if (frame.acts) {
      locked_frames.connect();
      check(locked_frames, locked_frames.user_id(), Refusal{0, "auth.refused"}, "a locked session",
            "session_locked");
      locked_frames.disconnect();
    }
  }
  // A hello with an ended token.
  {
    auto socket = net::WsClient::connect(from(239), "/api/v1/ws");
    ASSERT_TRUE(socket);
    ASSERT_TRUE((*socket)->send(
        json::serialize(json::object{{"type", "hello"}, {"token", ended.front()->token()}})));
    const auto reply = (*socket)->receive(std::chrono::seconds(10));
    ASSERT_TRUE(reply);
    EXPECT_EQ(json::parse(*reply).at("code").as_string(), "unauthenticated");
    expected.push_back({0, "127.0.1.239", "auth.refused", "ws", "hello with an ended token"});
  }

  server_->stop();  // Also writes the refusals still queued.
  const std::vector<AuditEntry> entries = audit_entries();
  std::vector<bool> used(entries.size(), false);
  for (const Expected& want : expected) {
    bool found = false;
    for (std::size_t i = 0; i < entries.size() && !found; ++i) {
      const AuditDraft& entry = entries[i].draft;
      if (used[i] || entry.action != want.action || entry.outcome != "denied") {
        continue;
      }
      const bool matches =
          want.actor != 0 ? entry.actor.value() == want.actor
                          : entry.target == want.target &&
                                entry.detail.find("remote=" + want.remote) != std::string::npos &&
                                !entry.actor.is_set();
      if (matches) {
        used[i] = found = true;
      }
    }
    EXPECT_TRUE(found) << "no audit entry for " << want.label << " (" << want.action << ")";
  }
}

// An operator (granted on the host) rotates the KEK; an org admin cannot, and neither
// can anyone twice in a row (rate-limited for the whole server).
TEST_F(AuthorizationTest, OnlyOperatorsRotateTheKeyEncryptionKey) {
  auto admin = login("admin");
  EXPECT_EQ(admin->call("POST", "/api/v1/operator/kek/rotate", "{}").status, 403);
  server_->stop();
  std::string output;
  ASSERT_EQ(run_wardline({"admin", "--data-dir", server_->data_dir().string(), "user", "operator",
                          "--org", "Mercy General (demo)", "--username", "admin"},
                         &output),
            0)
      << output;
  server_->start();
  auto operator_client = login("admin");
  EXPECT_EQ(operator_client->call("POST", "/api/v1/operator/kek/rotate", "{}").status, 204);
  EXPECT_EQ(operator_client->call("POST", "/api/v1/operator/kek/rotate", "{}").status, 204);
  EXPECT_EQ(operator_client->call("POST", "/api/v1/operator/kek/rotate", "{}").status, 429);
  server_->stop();
  const auto entries = audit_entries();
  const auto count = [&](std::string_view outcome) {
    return std::count_if(entries.begin(), entries.end(), [&](const AuditEntry& entry) {
      return entry.draft.action == "operator.kek.rotate" && entry.draft.outcome == outcome;
    });
  };
  EXPECT_EQ(count("denied"), 1);
  EXPECT_EQ(count("ok"), 2);
  EXPECT_EQ(count("throttled"), 1);
}

}  // namespace
}  // namespace wl::testing
