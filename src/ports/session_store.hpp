#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "ports/records.hpp"

namespace wl {

// A device name that a version before schema 4 stored in clear, with what sealing it
// needs: the owner's org, and the owner and creation instant that are its record.
struct DeviceNameInClear {
  DeviceId id;
  OrgId org_id;
  UserId user_id;
  Timestamp created_at;
  std::string name;
};

struct SealedDeviceName {
  DeviceId id;
  std::string name_sealed;
};

/// Deletes every session whose absolute expiry is before `expired_before`, revoked or
/// not: what a login did stays in the audit log, not here. Result: how many were
/// deleted (std::int64_t). A mutation: written through a WriteBatch.
struct PurgeSessions {
  Timestamp expired_before;
};

// The writes below are mutations (written through a WriteBatch, with the audit entry
// that records them). Their result is std::monostate unless one is named.

/// A login: creates a device of `session.user_id` named `device_name_sealed`, created
/// (and last seen) at session.created_at, and the session on it (session.device_id is
/// set to the new device's), and appends a kDevicesChanged event for the user. Result:
/// the Device. Errors: NotFound for an unknown user; AlreadyExists if the token hash
/// is taken.
struct OpenSession {
  Session session;
  std::string device_name_sealed;
};

/// Revokes the device and every session on it at `at`, and appends a
/// kDevicesChanged event for its owner by `actor`. Errors: NotFound.
struct RevokeDevice {
  DeviceId device;
  Timestamp at;
  UserId actor;
};

/// Sets the session's last_used (and its device's last_seen) to `at`. Errors:
/// NotFound for an unknown token hash.
struct TouchSession {
  std::string token_hash;
  Timestamp at;
};

/// Ends the session (a logout). Errors: NotFound.
struct RevokeSession {
  std::string token_hash;
};

/// Locks the session. Errors: NotFound.
struct LockSession {
  std::string token_hash;
};

/// Unlocks the session: clears the lock and the PIN failures, and sets last_used (and
/// the device's last_seen) to `at`. Errors: NotFound.
struct UnlockSession {
  std::string token_hash;
  Timestamp at;
};

/// Records the wrong PINs since the session's last unlock. Errors: NotFound.
struct SetSessionPinFailures {
  std::string token_hash;
  int failures = 0;
};

/// Devices and login sessions (services/identity): reads, and the sealing of names
/// older versions stored in clear. Writes are the mutations above.
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  virtual Result<Device> find_device(DeviceId id) = 0;
  virtual Result<std::vector<Device>> list_devices(UserId user) = 0;
  /// Errors: NotFound for an unknown token hash.
  virtual Result<Session> find_session(std::string_view token_hash) = 0;

  // ---- Device names that versions before schema 4 stored in clear ----
  //
  // Services seal these once, at start (docs/storage.md, "Values older versions
  // stored in clear"). Rows written through this interface are never in clear.

  /// Devices whose name is stored in clear, with id > after, in id order, at most
  /// `limit`.
  virtual Result<std::vector<DeviceNameInClear>> list_device_names_in_clear(DeviceId after,
                                                                            std::size_t limit) = 0;
  /// Replaces each device's clear name by its sealed form, atomically. Before it
  /// returns, the clear bytes are erased from the store's files, not just unlinked, as
  /// far as the adapter can (SQLite: fully). Errors: NotFound, changing nothing, if a
  /// device does not exist or its name is not in clear; Unavailable if the erasing
  /// could not finish after the names were sealed (their old bytes then go with a
  /// later checkpoint).
  virtual Result<void> seal_device_names(std::span<const SealedDeviceName> names) = 0;
};

}  // namespace wl
