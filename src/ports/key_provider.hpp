#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace wl {

/// Holds the key-encryption keys (KEKs) that wrap each org's data keys. The default
/// adapter is a 0600 key file (adapters/keyfile); an HSM adapter (PKCS#11) fits the
/// same interface. KEKs never leave the provider. Implementations are thread-safe.
class KeyProvider {
 public:
  virtual ~KeyProvider() = default;

  /// The id of the KEK that wrap() uses now.
  virtual std::string current_kek_id() const = 0;

  /// Wraps a data key with the current KEK. The result is opaque and self-describing
  /// (it names its KEK). Errors: Internal if the provider cannot encrypt.
  virtual Result<std::string> wrap(std::string_view data_key) = 0;

  /// Unwraps a value made by wrap() with any KEK this provider still holds.
  /// Errors: NotFound if its KEK is unknown; DataLoss if it fails authentication.
  virtual Result<std::string> unwrap(std::string_view wrapped) = 0;

  /// Makes a new KEK current and durable (old KEKs stay for unwrap). Returns its id.
  virtual Result<std::string> rotate() = 0;
};

}  // namespace wl
