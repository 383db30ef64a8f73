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

/// Devices and login sessions (services/identity). A write returns only after it is
/// durable.
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // ---- Devices and sessions ----

  /// Errors: NotFound for an unknown user.
  virtual Result<Device> create_device(UserId user, std::string_view name_sealed,
                                       Timestamp now) = 0;
  virtual Result<Device> find_device(DeviceId id) = 0;
  virtual Result<std::vector<Device>> list_devices(UserId user) = 0;
  /// Revokes the device and every session on it. Errors: NotFound.
  virtual Result<void> revoke_device(DeviceId id, Timestamp now) = 0;

  virtual Result<void> create_session(const Session& session) = 0;
  /// Errors: NotFound for an unknown token hash.
  virtual Result<Session> find_session(std::string_view token_hash) = 0;
  /// Sets last_used (and the device's last_seen).
  virtual Result<void> touch_session(std::string_view token_hash, Timestamp now) = 0;
  virtual Result<void> revoke_session(std::string_view token_hash) = 0;
  /// Locks the session. Errors: NotFound.
  virtual Result<void> lock_session(std::string_view token_hash) = 0;
  /// Unlocks the session: clears the lock and the PIN failures, and sets last_used (and
  /// the device's last_seen) to now. Errors: NotFound.
  virtual Result<void> unlock_session(std::string_view token_hash, Timestamp now) = 0;
  /// Records the wrong PINs since the session's last unlock. Errors: NotFound.
  virtual Result<void> set_session_pin_failures(std::string_view token_hash, int failures) = 0;

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
