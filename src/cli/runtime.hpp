#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "adapters/keyfile/file_key_provider.hpp"
#include "adapters/local_bus/local_bus.hpp"
#include "adapters/sqlite/sqlite_store.hpp"
#include "core/status.hpp"
#include "ports/clock.hpp"
#include "services/audit/audit_chain.hpp"
#include "services/audit/audit_log.hpp"
#include "services/audit/audit_verifier.hpp"
#include "services/identity/identity_service.hpp"
#include "services/identity/password_hasher.hpp"
#include "services/keys/key_ring.hpp"
#include "services/messaging/messaging_service.hpp"
#include "services/patients/patient_service.hpp"

namespace wl::cli {

// The files of a data directory (docs/operations.md).
struct DataPaths {
  std::filesystem::path root;
  std::filesystem::path database() const { return root / "wardline.db"; }
  std::filesystem::path key_file() const { return root / "keys" / "kek.json"; }
  std::filesystem::path audit_key() const { return root / "keys" / "audit-signing.key"; }
  std::filesystem::path tls_dir() const { return root / "tls"; }
};

struct RuntimeOptions {
  PasswordHasher::Strength password_strength = PasswordHasher::Strength::kInteractive;
};

// The services over one data directory, wired in layer order: store, keys, audit,
// identity, patients, messaging. Used by `serve` and by `admin`, which works on the
// same directory. Not thread-safe to build; the services it holds are.
class Runtime {
 public:
  // Creates the directory (0700) and its keys on first use. Errors: as the parts'.
  static Result<std::unique_ptr<Runtime>> open(const std::filesystem::path& data_dir,
                                               RuntimeOptions options = {});
  ~Runtime();

  const DataPaths& paths() const { return paths_; }
  const Clock& clock() const { return clock_; }
  SqliteStore& store() { return *store_; }
  KeyRing& keys() { return *keys_; }
  AuditLog& audit() { return *audit_; }
  LocalBus& bus() { return bus_; }
  IdentityService& identity() { return *identity_; }
  PatientService& patients() { return *patients_; }
  MessagingService& messaging() { return *messaging_; }

 private:
  Runtime() = default;

  DataPaths paths_;
  SystemClock clock_;
  LocalBus bus_;
  std::unique_ptr<FileKeyProvider> key_provider_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<KeyRing> keys_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<PasswordHasher> hasher_;
  std::unique_ptr<IdentityService> identity_;
  std::unique_ptr<PatientService> patients_;
  std::unique_ptr<MessagingService> messaging_;
};

}  // namespace wl::cli
