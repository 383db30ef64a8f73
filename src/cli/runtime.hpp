#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "adapters/keyfile/file_key_provider.hpp"
#include "adapters/local_bus/dispatched_bus.hpp"
#include "adapters/local_bus/local_bus.hpp"
#include "adapters/postgres/postgres_store.hpp"
#include "adapters/sqlite/sqlite_store.hpp"
#include "cli/run_file.hpp"
#include "core/crypto/ed25519.hpp"
#include "core/status.hpp"
#include "ports/clock.hpp"
#include "services/audit/audit_anchor.hpp"
#include "services/audit/audit_chain.hpp"
#include "services/audit/audit_counts.hpp"
#include "services/audit/audit_log.hpp"
#include "services/audit/audit_tally.hpp"
#include "services/audit/audit_verifier.hpp"
#include "services/callback/callback_service.hpp"
#include "services/directory/directory_service.hpp"
#include "services/identity/identity_service.hpp"
#include "services/identity/password_hasher.hpp"
#include "services/keys/key_ring.hpp"
#include "services/messaging/messaging_service.hpp"
#include "services/patients/patient_service.hpp"
#include "services/providers/provider_service.hpp"
#include "services/quick_notes/quick_note_service.hpp"
#include "services/routing/escalation.hpp"
#include "services/routing/routing_service.hpp"

namespace wl::cli {

// The files of a data directory (docs/operations.md).
struct DataPaths {
  std::filesystem::path root;
  std::filesystem::path database() const { return root / "wardline.db"; }
  std::filesystem::path key_file() const { return root / "keys" / "kek.json"; }
  std::filesystem::path audit_key() const { return root / "keys" / "audit-signing.key"; }
  std::filesystem::path tls_dir() const { return root / "tls"; }
  // Written by a serving server for local admins (cli/run_file.hpp).
  std::filesystem::path run_file() const { return root / kRunFileName; }
};

// Whether `store` (RuntimeOptions::store, `--store`) names a PostgreSQL database: a
// postgres:// or postgresql:// URI.
inline bool is_postgres_store(std::string_view store) {
  return store.starts_with("postgres://") || store.starts_with("postgresql://");
}

struct RuntimeOptions {
  PasswordHasher::Strength password_strength = PasswordHasher::Strength::kInteractive;
  // The audit signing seed (`--audit-key-file`); empty: DataPaths::audit_key(). Created
  // (0600) if it does not exist.
  std::filesystem::path audit_key_file;
  // Where each new checkpoint head is appended as an audit-head line
  // (`--audit-head-file`); empty: only the "audit" logger gets it.
  std::filesystem::path audit_head_file;
  // The store (`--store`): empty or "sqlite" for the data directory's SQLite database;
  // a postgres:// or postgresql:// URI for that PostgreSQL database (docs/storage.md,
  // "PostgreSQL"). The keys stay in the data directory either way.
  std::string store;
  MessagingLimits messaging;
};

// The audit signing key file `options` name, or the data directory's.
std::filesystem::path audit_key_file(const DataPaths& paths, const RuntimeOptions& options);

// Reads the audit signing key pair from its seed file. Errors: as
// crypto::read_secret_file and crypto::ed25519_from_seed.
[[nodiscard]] Result<crypto::Ed25519KeyPair> read_audit_signing_key(
    const std::filesystem::path& file);

// Creates a new audit signing key in `file` (0600). Errors: AlreadyExists if the file
// exists; otherwise as crypto::create_secret_file.
[[nodiscard]] Result<crypto::Ed25519KeyPair> create_audit_signing_key(
    const std::filesystem::path& file);

// The line that shows the audit signing public key and its fingerprint, printed by
// `serve` when it creates the key and by `admin audit-key`:
// "wardline: audit public key KEY fingerprint SHA256:...".
std::string audit_key_line(std::string_view public_key);

// The services over one data directory, wired in layer order: store, keys, audit,
// identity, directory, patients, messaging, routing, the provider directory, call back and
// quick notes. Used by `serve` and by
// `admin`, which works on the same directory. Not thread-safe to build; the services it holds are.
class Runtime {
 public:
  // Creates the directory (0700) and its keys on first use; the audit signing key only
  // while the log has no checkpoint. Errors: as the parts'; FailedPrecondition if the
  // audit signing key file is missing but the log has checkpoints; Unavailable if the
  // head file cannot be opened for appending.
  static Result<std::unique_ptr<Runtime>> open(const std::filesystem::path& data_dir,
                                               RuntimeOptions options = {});
  ~Runtime();

  const DataPaths& paths() const { return paths_; }
  const Clock& clock() const { return clock_; }
  // Moves the services' time forward by `offset` from the system's (serve's test clock).
  void set_clock_offset_for_test(std::chrono::microseconds offset) { clock_.set_offset(offset); }
  Store& store() { return *store_; }
  KeyRing& keys() { return *keys_; }
  AuditLog& audit() { return *audit_; }
  // Counts the entries the store chains (for AuditCheckpointer).
  AuditTally& audit_tally() { return audit_tally_; }
  // The entries the store chained, by action and outcome (for /metrics).
  const AuditCounts& audit_counts() const { return audit_counts_; }
  // True if open() created the audit signing key: its public key must now be recorded
  // off the machine.
  bool created_audit_key() const { return created_audit_key_; }
  // True if this process has appended audit entries.
  bool has_written_audit() const { return audit_tally_.seq() > 0; }

  // Signs a checkpoint of the audit head (AuditLog::checkpoint) and exports it
  // (export_audit_head). Errors: as AuditLog::checkpoint. Blocks on the store.
  [[nodiscard]] Result<AuditCheckpoint> sign_audit_checkpoint();
  // Logs a checkpoint's head line on the "audit" logger at info and appends it to the
  // head file, once per head: re-signing the same head only logs at debug. A failed
  // append is logged (warn), not returned, since the checkpoint itself is stored.
  // Thread-safe; blocks on the head file.
  void export_audit_head(const AuditCheckpoint& checkpoint);
  // Events and presence, delivered to subscribers off the publishing thread.
  Bus& bus() { return dispatched_; }
  IdentityService& identity() { return *identity_; }
  DirectoryService& directory() { return *directory_; }
  PatientService& patients() { return *patients_; }
  MessagingService& messaging() { return *messaging_; }
  RoutingService& routing() { return *routing_; }
  ProviderService& providers() { return *providers_; }
  CallbackService& callbacks() { return *callbacks_; }
  QuickNoteService& quick_notes() { return *quick_notes_; }
  Escalator& escalator() { return *escalator_; }

 private:
  Runtime() = default;

  DataPaths paths_;
  std::filesystem::path audit_head_file_;
  ShiftedClock clock_;
  // Declared before store_, whose chainer notes entries here, so that they outlive it.
  AuditTally audit_tally_;
  AuditCounts audit_counts_;
  bool created_audit_key_ = false;
  std::mutex export_mutex_;
  std::int64_t exported_seq_ = 0;  // Guarded by export_mutex_.
  LocalBus bus_;
  // Declared before store_: the store's last commits may still publish while it closes.
  DispatchedBus dispatched_{bus_};
  std::unique_ptr<FileKeyProvider> key_provider_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<KeyRing> keys_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<PasswordHasher> hasher_;
  std::unique_ptr<IdentityService> identity_;
  std::unique_ptr<DirectoryService> directory_;
  std::unique_ptr<PatientService> patients_;
  std::unique_ptr<MessagingService> messaging_;
  std::unique_ptr<RoutingService> routing_;
  std::unique_ptr<ProviderService> providers_;
  std::unique_ptr<CallbackService> callbacks_;
  std::unique_ptr<QuickNoteService> quick_notes_;
  std::unique_ptr<Escalator> escalator_;
};

}  // namespace wl::cli
