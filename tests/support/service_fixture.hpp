#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/keyfile/file_key_provider.hpp"
#include "adapters/local_bus/local_bus.hpp"
#include "adapters/sqlite/sqlite_store.hpp"
#include "ports/bus.hpp"
#include "ports/clock.hpp"
#include "services/audit/audit_log.hpp"
#include "services/directory/directory_service.hpp"
#include "services/identity/identity_service.hpp"
#include "services/identity/password_hasher.hpp"
#include "services/keys/key_ring.hpp"
#include "services/messaging/messaging_service.hpp"
#include "services/patients/patient_service.hpp"
#include "services/routing/escalation.hpp"
#include "services/routing/routing_service.hpp"

namespace wl::testing {

// A BusSubscriber that keeps every published event with its recipients, so tests can
// see what the services fanned out. Thread-safe: the store calls commit hooks on its
// writer thread, before the write returns to the caller.
class RecordingSubscriber final : public BusSubscriber {
 public:
  struct Published {
    std::vector<UserId> recipients;
    Event event;
  };

  void on_event(std::span<const UserId> recipients,
                const std::shared_ptr<const Event>& event) override;
  void on_presence(OrgId org, UserId user, bool online) override;

  // Copies of everything published so far, in publish order.
  std::vector<Published> events() const;
  // Only the events of `kind`.
  std::vector<Published> events_of_kind(EventKind kind) const;
  void clear();

 private:
  mutable std::mutex mutex_;
  std::vector<Published> events_;  // GUARDED_BY(mutex_)
};

// The product services wired as `wardline serve` wires them (cli/runtime.cpp), over
// the real adapters: a SqliteStore and a FileKeyProvider in a fresh temporary
// directory, the real audit chain, a LocalBus with a RecordingSubscriber, Argon2id at
// libsodium's minimum strength, and a ManualClock that moves only when a test says so.
//
// Construction aborts the test binary (WL_CHECK) if the adapters cannot open; the
// directory is removed on destruction. Not thread-safe itself; the services are.
class ServiceFixture {
 public:
  // A fixed, arbitrary start instant (2027-01-15), so no test depends on the host clock.
  static constexpr std::int64_t kStartMicros = 1'800'000'000'000'000;
  // Meets the default policy (15 to 128 characters).
  static constexpr std::string_view kPassword = "correct horse battery staple";

  explicit ServiceFixture(IdentityPolicy policy = {}, MessagingLimits limits = {});
  ServiceFixture(const ServiceFixture&) = delete;
  ServiceFixture& operator=(const ServiceFixture&) = delete;
  ~ServiceFixture();

  // Creates an org directly in the store. WL_CHECKs success.
  Org create_org(std::string_view name);
  // Creates a user through IdentityService (as the system principal) with kPassword.
  // WL_CHECKs success.
  User create_user(OrgId org, std::string_view username, bool is_admin = false);

  // The principal an authenticated session of `user` would carry (no session exists;
  // for services that only authorise against it).
  static Principal principal_of(const User& user);
  // Logs `user` in with kPassword and authenticates the token: a real session.
  Principal login_as(const User& user, std::string_view org_name = {});

  // Every audit entry, in chain order.
  std::vector<AuditEntry> audit_entries();
  // Audit entries with this action (and outcome, if not empty), in chain order.
  std::vector<AuditEntry> audit_entries(std::string_view action, std::string_view outcome = {});

  void advance(std::chrono::microseconds by) { clock.advance(by); }

  ManualClock clock{from_micros(kStartMicros)};
  const std::filesystem::path directory;
  std::unique_ptr<FileKeyProvider> key_provider;
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<KeyRing> keys;
  std::unique_ptr<AuditLog> audit;
  PasswordHasher hasher{PasswordHasher::Strength::kMinimum};
  LocalBus bus;
  RecordingSubscriber published;
  std::unique_ptr<IdentityService> identity;
  std::unique_ptr<DirectoryService> directory_service;  // Its groups come from messaging.
  std::unique_ptr<PatientService> patients;
  std::unique_ptr<MessagingService> messaging;
  std::unique_ptr<RoutingService> routing;
  std::unique_ptr<Escalator> escalator;
};

}  // namespace wl::testing
