#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "ports/clock.hpp"
#include "ports/records.hpp"
#include "ports/store.hpp"
#include "services/identity/login_throttle.hpp"
#include "services/identity/password_hasher.hpp"
#include "services/identity/principal.hpp"

namespace wl {

class AuditLog;
class KeyRing;

// Session and password rules. Defaults follow NIST SP 800-63B (docs/security.md):
// AAL2 reauthentication after 30 minutes idle or 12 hours in all; passwords of 15 to
// 128 characters while the password is the only factor; throttling of repeated
// failures per username and address, and a slower account-wide lock.
struct IdentityPolicy {
  std::chrono::minutes idle_timeout{30};
  std::chrono::hours absolute_timeout{12};
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
};

// Users, passwords, devices and sessions. Thread-safe; every method blocks on the
// store (and login on Argon2id), so call them from worker threads. Store, keys,
// clock, audit and hasher must outlive the service.
class IdentityService {
 public:
  IdentityService(Store& store, KeyRing& keys, const Clock& clock, AuditLog& audit,
                  const PasswordHasher& hasher, IdentityPolicy policy = {});

  // Checks the password and opens a session on a new device. Errors:
  // Unauthenticated for an unknown org, an unknown user, a wrong password or a
  // disabled account (one message, and one password check's time, for all four);
  // ResourceExhausted while this username is locked for this address or the account
  // is locked; InvalidArgument for a missing field or several orgs and none named.
  // Every outcome is audited. The device name is sealed with the user's org key.
  Result<LoginResult> login(const LoginRequest& request);

  // Resolves a session token. Errors: Unauthenticated if unknown, revoked, idle past
  // idle_timeout or past its absolute expiry (with a message saying which); the
  // device revoked counts as revoked.
  Result<Principal> authenticate(std::string_view token);

  // Checks that the principal's session is still valid (not ended, revoked, idle or
  // expired) without counting as activity. For live connections, which are re-checked
  // periodically so that automatic logoff and device revocation reach them.
  // Errors: as authenticate().
  Result<void> validate(const Principal& principal);

  // Counts a user action (send, read) on a live connection as activity, so the
  // session does not time out while the user works.
  Result<void> record_activity(const Principal& principal);

  // Ends the caller's session. Audited.
  Result<void> logout(const Principal& principal);

  // ---- Administration (admins of the org, or the system principal) ----

  // Errors: InvalidArgument for a bad username or weak password; AlreadyExists.
  Result<User> create_user(const Principal& actor, OrgId org, std::string_view username,
                           std::string_view display_name, std::string_view title,
                           std::string_view password, bool is_admin);
  Result<void> set_password(const Principal& actor, UserId user, std::string_view password);
  // Grants or withdraws the operator permission (server-wide operations, such as the
  // KEK rotation). Only the system principal or an operator may. Errors:
  // PermissionDenied (audited), NotFound.
  Result<void> set_operator(const Principal& actor, UserId user, bool is_operator);
  // The user's devices with their names opened, for the user or an admin of their org.
  // Errors: NotFound for an unknown user; PermissionDenied; DataLoss or NotFound if a
  // name fails to open (KeyRing::open).
  Result<std::vector<DeviceView>> list_devices(const Principal& actor, UserId user);
  Result<void> revoke_device(const Principal& actor, DeviceId device);

  // Directory: users of the caller's org (no password hashes leave the service).
  Result<std::vector<User>> list_users(const Principal& actor);
  Result<User> find_user(const Principal& actor, UserId user);

  // Seals the device names that versions before schema 4 stored in clear, a batch at
  // a time, and audits how many (once, if any). For start-up, before the service
  // serves anyone: it blocks on the store until none is left, and then none is left
  // in the store's files either (Store::seal_device_names). Returns the count.
  // Errors: as KeyRing::seal and the store; what was sealed before an error stays
  // sealed, and calling again goes on from there.
  Result<std::size_t> seal_device_names_in_clear();

  // A principal that may administer any org: for `wardline admin` on the server's host.
  static Principal system_principal();

  // Errors: InvalidArgument with a reason (too short, too long, not UTF-8).
  Result<void> check_password_rules(std::string_view password) const;

 private:
  Result<void> require_admin_of(const Principal& actor, OrgId org) const;
  Result<void> require_operator(const Principal& actor) const;
  // The org a login names (or the only one), or nullopt if no org has that name.
  Result<std::optional<OrgId>> resolve_org(std::string_view name);
  void verify_against_nothing(std::string_view password) const;
  // The session's validity at now: Unauthenticated with the reason, or the session.
  Result<Session> live_session(std::string_view token_hash, Timestamp now);
  // Appends an audit entry. Callers propagate its failure on success paths (an action
  // that cannot be audited does not happen) and ignore it on paths already failing.
  [[nodiscard]] Result<void> audit_event(const Principal& actor, std::string_view action, std::string target,
                   std::string_view outcome, std::string detail);
  // Opens the name of a device of a user of `org`.
  Result<DeviceView> open_device(OrgId org, const Device& device);

  Store& store_;
  KeyRing& keys_;
  const Clock& clock_;
  AuditLog& audit_;
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
