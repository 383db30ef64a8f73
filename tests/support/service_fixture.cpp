#include "support/service_fixture.hpp"

#include <random>
#include <utility>

#include "core/crypto/ed25519.hpp"
#include "services/audit/audit_chain.hpp"

namespace wl::testing {
namespace {

std::filesystem::path make_temp_directory() {
  std::random_device random;
  std::filesystem::path directory =
      std::filesystem::temp_directory_path() /
      ("wl_service_test_" + std::to_string(random()) + std::to_string(random()));
  std::filesystem::create_directories(directory);
  return directory;
}

}  // namespace

void RecordingSubscriber::on_event(std::span<const UserId> recipients,
                                   const std::shared_ptr<const Event>& event) {
  std::lock_guard lock(mutex_);
  events_.push_back(Published{{recipients.begin(), recipients.end()}, *event});
}

void RecordingSubscriber::on_presence(OrgId, UserId, bool) {}

std::vector<RecordingSubscriber::Published> RecordingSubscriber::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

std::vector<RecordingSubscriber::Published> RecordingSubscriber::events_of_kind(
    EventKind kind) const {
  std::vector<Published> matching;
  for (Published& published : events()) {
    if (published.event.kind == kind) {
      matching.push_back(std::move(published));
    }
  }
  return matching;
}

void RecordingSubscriber::clear() {
  std::lock_guard lock(mutex_);
  events_.clear();
}

ServiceFixture::ServiceFixture(IdentityPolicy policy, MessagingLimits limits)
    : directory(make_temp_directory()) {
  auto provider = FileKeyProvider::open_or_create(directory / "kek");
  WL_CHECK(provider.has_value());
  key_provider = std::move(*provider);
  auto opened = SqliteStore::open(directory / "wardline.db", make_audit_chainer());
  WL_CHECK(opened.has_value());
  store = std::move(*opened);
  keys = std::make_unique<KeyRing>(*store, *key_provider, clock);
  WL_CHECK(keys->load().has_value());
  audit = std::make_unique<AuditLog>(*store, clock, crypto::ed25519_generate());
  bus.subscribe(&published);
  identity = std::make_unique<IdentityService>(*store, *store, *store, *keys, clock, *audit, bus,
                                               hasher, policy);
  directory_service =
      std::make_unique<DirectoryService>(*store, *store, *store, *store, *audit, bus, clock);
  patients = std::make_unique<PatientService>(*store, *store, *keys, *audit, clock);
  messaging = std::make_unique<MessagingService>(*store, *store, *store, *store, *keys, *audit, bus,
                                                 clock, *patients, limits);
  routing =
      std::make_unique<RoutingService>(*store, *store, *store, *messaging, *audit, bus, clock);
  messaging->set_router(routing.get());
  directory_service->set_group_lister(
      [this](const Principal& actor) { return messaging->list_groups(actor); });
  escalator = std::make_unique<Escalator>(*routing, *store, *store, *store, *store, clock);
}

ServiceFixture::~ServiceFixture() {
  bus.unsubscribe(&published);
  // The services and the store go before the directory that holds the database.
  escalator.reset();
  routing.reset();
  messaging.reset();
  patients.reset();
  directory_service.reset();
  identity.reset();
  audit.reset();
  keys.reset();
  store.reset();
  key_provider.reset();
  std::error_code ignored;
  std::filesystem::remove_all(directory, ignored);
}

Org ServiceFixture::create_org(std::string_view name) {
  auto org = identity->create_org(IdentityService::system_principal(), name);
  WL_CHECK(org.has_value());
  return *org;
}

User ServiceFixture::create_user(OrgId org, std::string_view username, bool is_admin) {
  auto user = identity->create_user(IdentityService::system_principal(), org, username, "Test User",
                                    "RN", kPassword, is_admin);
  WL_CHECK(user.has_value());
  return *user;
}

Principal ServiceFixture::principal_of(const User& user) {
  return Principal{user.id,          user.org_id, DeviceId(),       user.is_admin,
                   user.is_operator, "",          user.is_scheduler};
}

Principal ServiceFixture::login_as(const User& user, std::string_view org_name) {
  LoginRequest request;
  request.org = std::string(org_name);
  request.username = user.username;
  request.password = std::string(kPassword);
  request.device_name = "test device";
  request.remote_address = "192.0.2.1";
  auto login = identity->login(request);
  WL_CHECK(login.has_value());
  auto principal = identity->authenticate(login->token);
  WL_CHECK(principal.has_value());
  return *principal;
}

std::vector<AuditEntry> ServiceFixture::audit_entries() {
  std::vector<AuditEntry> entries;
  while (true) {
    const std::int64_t after = entries.empty() ? 0 : entries.back().seq;
    auto page = store->read_audit(after, 1000);
    WL_CHECK(page.has_value());
    if (page->empty()) {
      return entries;
    }
    entries.insert(entries.end(), page->begin(), page->end());
  }
}

std::vector<AuditEntry> ServiceFixture::audit_entries(std::string_view action,
                                                      std::string_view outcome) {
  std::vector<AuditEntry> matching;
  for (AuditEntry& entry : audit_entries()) {
    if (entry.draft.action == action && (outcome.empty() || entry.draft.outcome == outcome)) {
      matching.push_back(std::move(entry));
    }
  }
  return matching;
}

}  // namespace wl::testing
