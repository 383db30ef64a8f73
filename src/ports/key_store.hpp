#pragma once

#include <span>
#include <vector>

#include "core/status.hpp"
#include "ports/records.hpp"

namespace wl {

/// Org data keys, wrapped by a KEK (services/keys).
///
/// Errors common to all methods: Unavailable if the database cannot be reached or is
/// busy beyond its retry budget; Internal for a failed invariant.
class KeyStore {
 public:
  virtual ~KeyStore() = default;

  virtual Result<void> put_data_key(const DataKeyRecord& key) = 0;
  /// All data keys of all orgs.
  virtual Result<std::vector<DataKeyRecord>> list_data_keys() = 0;
  /// Replaces the wrapped form of existing keys (KEK rotation), atomically.
  virtual Result<void> rewrap_data_keys(std::span<const DataKeyRecord> keys) = 0;
};

}  // namespace wl
