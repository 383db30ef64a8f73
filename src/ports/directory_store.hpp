#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.hpp"
#include "ports/records.hpp"

namespace wl {

/// An org's screen (docs/directory.md, "The org screen"): the page its admins edit, as
/// the directory service's JSON text, which the store keeps as it is given. `version`
/// counts the saves: 1 after the first.
struct OrgScreen {
  OrgId org_id;
  std::int64_t version = 0;
  std::string body;
  UserId updated_by;  // Unset when the system saved it.
  Timestamp updated_at;
};

// The writes below are mutations (written through a WriteBatch, with the audit entry
// that records them).

/// Sets a user's directory fields (title and department) and appends a kUserChanged
/// event about them by `actor` at `at`. Result: std::monostate. Errors: NotFound.
struct SetUserDirectory {
  UserId user;
  std::string title;
  std::string department;
  UserId actor;
  Timestamp at;
};

/// Saves the org's screen if its stored version is still `expected_version` (0: none
/// was saved yet), as version expected_version + 1, and appends a kOrgChanged event by
/// `actor` at `at`. Result: the saved OrgScreen. Errors: Aborted if the stored version
/// is another (someone else saved since the caller read it: read again and redo);
/// NotFound for no org.
struct SaveOrgScreen {
  OrgId org;
  std::int64_t expected_version = 0;
  std::string body;
  UserId actor;
  Timestamp at;
};

/// What the directory reads besides users and roles: the org screen, and the version
/// that tells a cache of an org's directory that it is stale.
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class DirectoryStore {
 public:
  virtual ~DirectoryStore() = default;

  /// The org's screen; nullopt if none was saved.
  virtual Result<std::optional<OrgScreen>> find_org_screen(OrgId org) = 0;

  /// A number that goes up in every committed batch that appends a kUserChanged or a
  /// kRoleChanged event of the org (a user or a role created or changed, on any node
  /// writing the database); 0 before the first. Equal numbers: the org's users and
  /// roles are as they were. One indexed read.
  virtual Result<std::int64_t> directory_version(OrgId org) = 0;
};

}  // namespace wl
