#pragma once

#include <chrono>
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
  std::string password_hash;
  bool is_admin = false;
  bool is_operator = false;
  Timestamp created_at;
};

/// Orgs and their users (services/identity; messaging finds users here). A write
/// returns only after it is durable.
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class UserStore {
 public:
  virtual ~UserStore() = default;

  // ---- Orgs and users ----

  /// Errors: AlreadyExists if an org with this name exists.
  virtual Result<Org> create_org(std::string_view name, Timestamp now) = 0;
  /// Errors: NotFound.
  virtual Result<Org> find_org(OrgId id) = 0;
  virtual Result<Org> find_org_by_name(std::string_view name) = 0;
  virtual Result<std::vector<Org>> list_orgs() = 0;
  /// Sets how long a session of the org may go without a user action before it locks.
  /// Errors: NotFound.
  virtual Result<void> set_org_idle_lock(OrgId id, std::chrono::seconds idle_lock) = 0;

  /// Errors: AlreadyExists if the username is taken in the org; NotFound for no org.
  virtual Result<User> create_user(const NewUser& user) = 0;
  virtual Result<User> find_user(UserId id) = 0;
  virtual Result<User> find_user_by_name(OrgId org, std::string_view username) = 0;
  /// Users of an org ordered by username.
  virtual Result<std::vector<User>> list_users(OrgId org) = 0;
  /// Sets a new password hash and clears failed logins and lockout. Errors: NotFound.
  virtual Result<void> set_password_hash(UserId id, std::string_view password_hash) = 0;
  /// Records the failure count and lockout decided by the identity service.
  virtual Result<void> set_login_failures(UserId id, int failed_logins,
                                          std::optional<Timestamp> locked_until) = 0;
  virtual Result<void> set_user_disabled(UserId id, bool disabled) = 0;
  /// Sets the unlock PIN's hash (empty: no PIN). Errors: NotFound.
  virtual Result<void> set_pin_hash(UserId id, std::string_view pin_hash) = 0;
  /// Grants or withdraws the operator permission (server-wide operations). Errors:
  /// NotFound.
  virtual Result<void> set_user_operator(UserId id, bool is_operator) = 0;
};

}  // namespace wl
