#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "ports/records.hpp"

namespace wl {

struct NewUser {
  OrgId org_id;
  std::string username;
  std::string display_name;
  std::string title;
  std::string department;
  std::string password_hash;
  bool is_admin = false;
  bool is_operator = false;
  bool is_scheduler = false;
  Timestamp created_at;
};

// The writes below are mutations (written through a WriteBatch, with the audit entry
// that records them). Their result is std::monostate unless one is named.

/// Result: the Org, with the default idle lock. Errors: AlreadyExists if an org with
/// this name exists.
struct CreateOrg {
  std::string name;
  Timestamp at;
};

/// Sets how long a session of the org may go without a user action before it locks,
/// and appends a kOrgChanged event by `actor` at `at`. Errors: NotFound.
struct SetOrgIdleLock {
  OrgId org;
  std::chrono::seconds idle_lock{0};
  UserId actor;
  Timestamp at;
};

/// Creates the user and appends a kUserChanged event about them by `actor` at
/// user.created_at. Result: the User. Errors: AlreadyExists if the username is taken
/// in the org; NotFound for no org.
struct CreateUser {
  NewUser user;
  UserId actor;
};

/// Sets a new password hash and clears failed logins and lockout. Errors: NotFound.
struct SetPasswordHash {
  UserId user;
  std::string password_hash;
};

/// Records the failure count and lockout decided by the identity service. Errors:
/// NotFound.
struct SetLoginFailures {
  UserId user;
  int failed_logins = 0;
  std::optional<Timestamp> locked_until;
};

/// Disables or enables the user and appends a kUserChanged event about them by
/// `actor` at `at`. Errors: NotFound.
struct SetUserDisabled {
  UserId user;
  bool disabled = false;
  UserId actor;
  Timestamp at;
};

/// Sets the unlock PIN's hash (empty: no PIN). Errors: NotFound.
struct SetPinHash {
  UserId user;
  std::string pin_hash;
};

/// Grants or withdraws the operator permission (server-wide operations). Errors:
/// NotFound.
struct SetUserOperator {
  UserId user;
  bool is_operator = false;
};

/// Grants or withdraws the scheduler permission (building and importing the org's
/// on-call schedules) and appends a kUserChanged event about the user by `actor` at
/// `at`. Errors: NotFound.
struct SetUserScheduler {
  UserId user;
  bool is_scheduler = false;
  UserId actor;
  Timestamp at;
};

/// Orgs and their users (services/identity; messaging finds users here): reads.
/// Writes are the mutations above.
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class UserStore {
 public:
  virtual ~UserStore() = default;

  /// Errors: NotFound.
  virtual Result<Org> find_org(OrgId id) = 0;
  virtual Result<Org> find_org_by_name(std::string_view name) = 0;
  virtual Result<std::vector<Org>> list_orgs() = 0;

  /// Errors: NotFound.
  virtual Result<User> find_user(UserId id) = 0;
  virtual Result<User> find_user_by_name(OrgId org, std::string_view username) = 0;
  /// Users of an org ordered by username.
  virtual Result<std::vector<User>> list_users(OrgId org) = 0;
};

}  // namespace wl
