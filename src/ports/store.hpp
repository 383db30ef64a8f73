#pragma once

#include "ports/audit_store.hpp"
#include "ports/directory_store.hpp"
#include "ports/key_store.hpp"
#include "ports/message_log.hpp"
#include "ports/patient_store.hpp"
#include "ports/phone_store.hpp"
#include "ports/provider_store.hpp"
#include "ports/quick_note_store.hpp"
#include "ports/routing_store.hpp"
#include "ports/session_store.hpp"
#include "ports/store_stats.hpp"
#include "ports/thread_store.hpp"
#include "ports/timer_store.hpp"
#include "ports/user_store.hpp"
#include "ports/write.hpp"
#include "ports/write_batch.hpp"

namespace wl {

/// The durable state of Wardline, as one adapter provides it: every port at once, and
/// the Committer that writes batches across them. Two
/// adapters (SQLite, PostgreSQL) and one contract suite per port (tests/contract).
/// Only wiring (cli/runtime) and the contract suite see a Store; a service takes the
/// ports it uses.
///
/// Every method may block (disk, network, group commit): never call one on an
/// io_context thread; the *_async writes return at once. All methods are thread-safe.
/// A write returns only after it is durable (committed and fsync'd). Writes that take
/// a CommitHook call it before returning, on the commit thread.
///
/// The contract does not assume one writer or one node: sequence assignment, client-id
/// idempotency and uniqueness keys hold when several processes write at once.
class Store : public Committer,
              public UserStore,
              public SessionStore,
              public PatientStore,
              public ThreadStore,
              public MessageLog,
              public KeyStore,
              public AuditStore,
              public TimerStore,
              public RoutingStore,
              public ProviderStore,
              public DirectoryStore,
              public PhoneStore,
              public QuickNoteStore {
 public:
  ~Store() override = default;

  /// The writer's counters since open (StoreStats), for the load benchmark. Cheap for
  /// SQLite; PostgreSQL also reads the cluster's WAL position and statistics (one
  /// query on a read connection; those fields stay nullopt if it fails). Thread-safe.
  virtual StoreStats stats() = 0;
};

}  // namespace wl
