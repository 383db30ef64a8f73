#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/status.hpp"
#include "core/time.hpp"
#include "ports/records.hpp"

// Users' call-back numbers (services/callback, docs/callback.md): at most one number of
// each kind per user, sealed (the store never sees a number in clear), each with who may
// see it and whether the user prefers it.
namespace wl {

// What a number is. Stored as its value: never renumber.
enum class PhoneKind : std::uint8_t { kWork = 1, kMobile = 2, kPager = 3 };

// Who, besides its owner, sees a number. Stored as its value: never renumber.
enum class PhoneVisibility : std::uint8_t {
  kEveryone = 1,    // Every user of the owner's org.
  kColleagues = 2,  // Users who are members of a thread the owner is a member of.
  kAdmins = 3,      // The org's admins.
};

// One stored number of a user.
struct StoredPhone {
  UserId user_id;
  PhoneKind kind = PhoneKind::kWork;
  std::string number_sealed;  // KeyRing::seal of the normalised number (docs/callback.md).
  PhoneVisibility visibility = PhoneVisibility::kEveryone;
  bool preferred = false;
};

// ---- Mutations (written through a WriteBatch, ports/write_batch.hpp) ----

/// Replaces every number of `user` with `phones` (each with user_id == user, kinds
/// distinct, at most one preferred: the service checks) and appends a kUserChanged event
/// about `user` by `actor` at `at`, so that clients refresh the profile. Result:
/// std::monostate. Errors: NotFound for an unknown user; InvalidArgument for two numbers
/// of one kind or another user's number.
struct SetUserPhones {
  UserId user;
  std::vector<StoredPhone> phones;
  UserId actor;
  Timestamp at;
};

/// Users' numbers, and who shares a thread with whom (the "colleagues" visibility).
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class PhoneStore {
 public:
  virtual ~PhoneStore() = default;

  /// The numbers of `user`, by kind; empty for none or an unknown user.
  virtual Result<std::vector<StoredPhone>> list_user_phones(UserId user) = 0;
  /// Every number of every user of `org`, by user then kind.
  virtual Result<std::vector<StoredPhone>> list_org_phones(OrgId org) = 0;
  /// The users, other than `user`, who are now members of a thread `user` is now a
  /// member of, by id.
  virtual Result<std::vector<UserId>> list_thread_peers(UserId user) = 0;
};

}  // namespace wl
