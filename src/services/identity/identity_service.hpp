#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "ports/bus.hpp"
#include "ports/clock.hpp"
#include "ports/records.hpp"
#include "ports/session_store.hpp"
#include "ports/user_store.hpp"
#include "ports/write_batch.hpp"
#include "services/identity/login_throttle.hpp"
#include "services/identity/password_hasher.hpp"
#include "services/identity/principal.hpp"

namespace wl {

class AuditLog;
class KeyRing;

// Session, password and PIN rules. Defaults follow NIST SP 800-63B (docs/security.md):
// AAL2 reauthentication after at most 30 minutes idle (the session locks; the PIN or
// password, with the session secret, unlocks it) or 12 hours in all; passwords of 15 to
// 128 characters while the password is the only factor; throttling of repeated
// failures per username and address, and a slower account-wide lock.
struct IdentityPolicy {
  std::chrono::hours absolute_timeout{12};
  // Bounds of an org's idle lock (Org::idle_lock).
  std::chrono::seconds min_idle_lock{std::chrono::minutes(1)};
  std::chrono::seconds max_idle_lock{std::chrono::minutes(30)};
  // Every this many consecutive failures of one username from one address lock that
  // address out of it (in memory, per process).
  int source_lock_threshold = 5;
  // Every this many consecutive failures of an account from all addresses lock the
  // account (stored). Each further lock of either kind lasts twice as long.
  int account_lock_threshold = 50;
  std::chrono::minutes lockout{15};
  std::chrono::hours max_lockout{24};
  std::size_t throttle_capacity = 100000;  // Username-address pairs remembered.
  std::size_t min_password_length = 15;
  std::size_t max_password_length = 128;
  std::size_t min_pin_length = 6;
  std::size_t max_pin_length = 12;
  // Wrong PINs a session may make; after them only the password unlocks it.
  int pin_attempts = 5;
  // A session's last_used is written at most this often (each write costs a commit).
  std::chrono::seconds touch_interval{60};
};

struct LoginRequest {
  std::string org;  // Org name; may be empty when the server has exactly one org.
  std::string username;
  std::string password;
  std::string device_name;
  std::string remote_address;  // For the audit trail.
};

// A device with its name opened. Only services hold this form: at rest the name is
// sealed (kind "device", record device_record_key, field "name").
struct DeviceView {
  DeviceId id;
  UserId user_id;
  std::string name;
  Timestamp created_at;
  Timestamp last_seen;
  bool revoked = false;
};

struct LoginResult {
  std::string token;  // 256-bit random, base64url. Returned once, never stored.
  User user;
  DeviceView device;
  Timestamp expires_at;
  std::chrono::seconds idle_lock;  // The org's: the session locks after this long idle.
};

// A session that has not ended, as its holder may see it.
struct SessionState {
  Principal principal;
  bool locked = false;  // Locked by the user, or idle for idle_lock.
  std::chrono::seconds idle_lock;
  Timestamp last_used;  // The last user action or unlock.
  Timestamp expires_at;
  bool has_pin = false;    // The user has set an unlock PIN.
  int pin_tries_left = 0;  // Wrong PINs left before only the password unlocks.
};

// Exactly one of pin and password.
struct UnlockRequest {
  std::string pin;
  std::string password;
  std::string remote_address;  // For the sign-in throttle and the audit trail.
};

struct PinChange {
  std::string password;  // The user's current password.
  std::string pin;
  std::string remote_address;
};

// Users, passwords, devices and sessions. Thread-safe; every method blocks on the
// store (and login on Argon2id), so call them from worker threads. Store, keys,
// clock, audit and hasher must outlive the service.
class IdentityService {
 public:
  IdentityService(Committer& committer, UserStore& users, SessionStore& sessions, KeyRing& keys,
                  const Clock& clock, AuditLog& audit, Bus& bus, const PasswordHasher& hasher,
                  IdentityPolicy policy = {});

  // Checks the password and opens a session on a new device. Errors:
  // Unauthenticated for an unknown org, an unknown user, a wrong password or a
  // disabled account (one message, and one password check's time, for all four);
  // ResourceExhausted while this username is locked for this address or the account
  // is locked; InvalidArgument for a missing field or several orgs and none named.
  // Every outcome is audited. The device name is sealed with the user's org key.
  Result<LoginResult> login(const LoginRequest& request);

  // Resolves the token of an unlocked session and counts the request as the user's
  // activity. Errors: Unauthenticated if unknown, revoked, past its absolute expiry or
  // the account is disabled (with a message saying which); the device revoked counts
  // as revoked; SessionLocked if the session is locked, or idle for the org's
  // idle_lock (it is then locked).
  Result<Principal> authenticate(std::string_view token);

  // Resolves the token of a session that has not ended, locked or not, without
  // counting as activity: for what a locked session may still do (receive its stream,
  // unlock, lock, log out). Errors: as authenticate(), but never SessionLocked.
  Result<SessionState> identify(std::string_view token);

  // The principal's session state, without counting as activity. For live
  // connections, which are re-checked periodically so that locks, the absolute
  // expiry and device revocation reach them. Errors: as identify().
  Result<SessionState> validate(const Principal& principal);

  // Counts a user action (send, read) on a live connection as activity, so the
  // session does not lock while the user works. Errors: as authenticate().
  Result<void> record_activity(const Principal& principal);
  // As record_activity(), for a state just read by identify().
  Result<void> count_activity(const SessionState& state);

  // Locks the caller's session: until an unlock, only what identify() admits works.
  // Audited. Errors: as identify().
  Result<void> lock(const Principal& principal);

  // Unlocks the caller's session with the user's PIN or password, and counts as
  // activity. Errors: InvalidArgument unless exactly one is given; FailedPrecondition
  // for a PIN when the user has none or this session has used up its PIN tries (the
  // password is then needed); PermissionDenied for a wrong PIN (the message says how
  // many tries are left) or a wrong password; ResourceExhausted while sign-in is locked
  // for this username and address or for the account (wrong passwords count toward
  // both, as at login); as identify(). Every outcome is audited; no secret is.
  Result<void> unlock(const Principal& principal, const UnlockRequest& request);

  // Sets or changes the caller's unlock PIN, which needs their current password.
  // Errors: InvalidArgument for a PIN against check_pin_rules; PermissionDenied and
  // ResourceExhausted for the password, as unlock(). Audited (never the PIN).
  Result<void> set_pin(const Principal& principal, const PinChange& change);

  // Ends the caller's session. Audited.
  Result<void> logout(const Principal& principal);

  // ---- Administration (admins of the org, or the system principal) ----

  // Every org, by id. Only the system principal or an operator may. Errors:
  // PermissionDenied.
  Result<std::vector<Org>> list_orgs(const Principal& actor);
  // One org. Errors: NotFound, also for an org other than the actor's unless the actor
  // is the system principal or an operator.
  Result<Org> find_org(const Principal& actor, OrgId org);

  // Creates an org. Only the system principal or an operator may. Audited. Errors:
  // PermissionDenied (audited); InvalidArgument for a name that is empty, longer than
  // 200 bytes or not UTF-8; AlreadyExists.
  Result<Org> create_org(const Principal& actor, std::string_view name);

  // Errors: InvalidArgument for a bad username or weak password; AlreadyExists.
  Result<User> create_user(const Principal& actor, OrgId org, std::string_view username,
                           std::string_view display_name, std::string_view title,
                           std::string_view password, bool is_admin);
  Result<void> set_password(const Principal& actor, UserId user, std::string_view password);
  // Grants or withdraws the operator permission (server-wide operations, such as the
  // KEK rotation). Only the system principal or an operator may. Errors:
  // PermissionDenied (audited), NotFound.
  Result<void> set_operator(const Principal& actor, UserId user, bool is_operator);
  // Grants or withdraws the scheduler permission (building and importing the org's
  // on-call schedules, docs/routing.md). The system principal or an admin of the
  // user's org. Errors: PermissionDenied (audited), NotFound.
  Result<void> set_scheduler(const Principal& actor, UserId user, bool is_scheduler);
  // Disables the account (its sessions stop working at their next request, and it
  // cannot sign in) or enables it again. Audited. Errors: PermissionDenied (audited)
  // unless an admin of the user's org or the system; FailedPrecondition for an admin
  // disabling themselves; NotFound.
  Result<void> set_disabled(const Principal& actor, UserId user, bool disabled);
  // Sets how long the org's sessions may go without a user action before they lock.
  // Errors: PermissionDenied (audited) unless an admin of the org or the system;
  // InvalidArgument outside [min_idle_lock, max_idle_lock]; NotFound.
  Result<void> set_idle_lock(const Principal& actor, OrgId org, std::chrono::seconds idle_lock);
  // The user's devices with their names opened, for the user or an admin of their org.
  // Errors: NotFound for an unknown user; PermissionDenied; DataLoss or NotFound if a
  // name fails to open (KeyRing::open).
  Result<std::vector<DeviceView>> list_devices(const Principal& actor, UserId user);
  Result<void> revoke_device(const Principal& actor, DeviceId device);

  // Directory: users of the caller's org (no password hashes leave the service).
  Result<std::vector<User>> list_users(const Principal& actor);
  // The users of `org`, disabled ones too, without password or PIN hashes: for an
  // admin of the org or the system principal. Errors: PermissionDenied; NotFound for
  // an unknown org.
  Result<std::vector<User>> list_org_users(const Principal& actor, OrgId org);
  Result<User> find_user(const Principal& actor, UserId user);

  // Seals the device names that versions before schema 4 stored in clear, a batch at
  // a time, and audits how many (once, if any). For start-up, before the service
  // serves anyone: it blocks on the store until none is left, and then none is left
  // in the store's files either (SessionStore::seal_device_names). Returns the count.
  // Errors: as KeyRing::seal and the store; what was sealed before an error stays
  // sealed, and calling again goes on from there.
  Result<std::size_t> seal_device_names_in_clear();

  // Rotates every key (docs/keys.md, "Rotation"): a new key-encryption key re-wraps
  // every data key, then every org gets a new data key. Only the system principal or
  // an operator may. Audited once ("admin.keys.rotate", "orgs=N"). Returns the number
  // of orgs. Errors: PermissionDenied (audited); as KeyRing::rotate_kek and
  // rotate_data_key (the rotations before an error stay done).
  Result<std::size_t> rotate_keys(const Principal& actor);

  // A principal that may administer any org: for `wardline admin` on the server's host.
  static Principal system_principal();

  // Errors: InvalidArgument with a reason (too short, too long, not UTF-8).
  Result<void> check_password_rules(std::string_view password) const;
  // A PIN is 6 to 12 digits, and not one a guesser tries first: one digit or a short
  // block repeated (000000, 121212, 123123), or a run up or down (123456, 987654)
  // (NIST SP 800-63B 5.1.1.2). Errors: InvalidArgument with the reason.
  Result<void> check_pin_rules(std::string_view pin) const;

 private:
  Result<void> require_admin_of(const Principal& actor, OrgId org) const;
  Result<void> require_operator(const Principal& actor) const;
  // The org a login names (or the only one), or nullopt if no org has that name.
  Result<std::optional<OrgId>> resolve_org(std::string_view name);
  void verify_against_nothing(std::string_view password) const;
  // The session's validity at now: Unauthenticated with the reason, or the session.
  Result<Session> live_session(std::string_view token_hash, Timestamp now);
  // The state of a session that has not ended (Unauthenticated otherwise), at now.
  // Stores (and audits) the lock of a session found idle past its org's idle_lock.
  Result<SessionState> session_state(std::string_view token_hash, Timestamp now);
  // Counts a user action on the session: SessionLocked if it is locked; otherwise
  // moves last_used to now, at most once per touch_interval.
  Result<void> count_activity_at(const SessionState& state, Timestamp now);
  // Counts a wrong password of `user` toward the account-wide lock (docs/security.md,
  // "Sign-in throttling") and audits a lock it starts. Returns when that lock ends, if
  // this failure started one.
  Result<std::optional<Timestamp>> count_account_failure(const Principal& subject, const User& user,
                                                         std::string_view detail);
  // Checks the password of a signed-in user for `action` (unlock, PIN change): throttled
  // and counted exactly as at login. Errors: ResourceExhausted while locked or when this
  // failure locks; PermissionDenied for a wrong password. Failures are audited.
  Result<void> check_password(const Principal& subject, const User& user, std::string_view password,
                              std::string_view remote_address, std::string_view action);
  // The audit entry of `action` by `actor`, at now.
  AuditDraft draft(const Principal& actor, std::string_view action, std::string target,
                   std::string_view outcome, std::string detail) const;
  // Commits a batch (its changes with their audit entries) and publishes its events.
  Result<BatchResult> commit(WriteBatch batch);
  // Commits one change with the audit entry that records it.
  Result<BatchResult> commit_audited(Mutation mutation, AuditDraft audit);
  // Appends an audit entry that records no change of state (a refusal, a failed
  // check). Callers ignore its failure on paths already failing.
  [[nodiscard]] Result<void> audit_event(const Principal& actor, std::string_view action,
                                         std::string target, std::string_view outcome,
                                         std::string detail);
  // Opens the name of a device of a user of `org`.
  Result<DeviceView> open_device(OrgId org, const Device& device);

  Committer& committer_;
  UserStore& users_;
  SessionStore& sessions_;
  KeyRing& keys_;
  const Clock& clock_;
  AuditLog& audit_;
  Bus& bus_;
  const PasswordHasher& hasher_;
  IdentityPolicy policy_;
  LoginThrottle throttle_;
};

// "Alice.Smith" -> "alice.smith". Usernames are 1-64 of [a-z0-9._-] after lowering.
Result<std::string> normalize_username(std::string_view username);

// The sealing record of a device's name: its owner and creation instant, which are
// known before the device has an id and never change.
std::string device_record_key(UserId user, Timestamp created_at);

}  // namespace wl
