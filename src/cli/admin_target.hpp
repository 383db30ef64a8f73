#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/runtime.hpp"
#include "core/status.hpp"
#include "ports/records.hpp"
#include "services/identity/identity_service.hpp"
#include "services/patients/patient_service.hpp"
#include "services/providers/provider_service.hpp"
#include "services/routing/routing_service.hpp"

// What `wardline admin` administers: the running server, through its admin API
// (docs/protocol.md, "System administration"), or the stopped store, directly. Both
// act as the system principal and write the same audited batches, so a command's
// effect and output do not depend on which one it reached.
namespace wl::cli {

// A user as the command line names one: org name and login name.
struct UserName {
  std::string org;
  std::string username;
};

struct NewUserRequest {
  std::string org;
  std::string username;
  std::string display_name;
  std::string title;
  std::string password;
  bool is_admin = false;
};

// One administration target. Orgs are named by name, users by UserName; a name
// nothing has answers NotFound ("no org named 'X'", "no user 'u' in 'X'"). Every
// method blocks. Not thread-safe.
class AdminTarget {
 public:
  virtual ~AdminTarget() = default;

  // Errors of every method: as the identity and patient services' (IdentityService),
  // NotFound for names; a remote target also Unavailable or DeadlineExceeded when the
  // server stops answering, and Unauthenticated if it refuses the run file's token.
  virtual Result<Org> create_org(std::string_view name) = 0;
  virtual Result<std::vector<Org>> list_orgs() = 0;
  // Returns the org.
  virtual Result<Org> set_idle_lock(std::string_view org, std::chrono::seconds idle_lock) = 0;
  virtual Result<User> create_user(const NewUserRequest& request) = 0;
  virtual Result<std::vector<User>> list_users(std::string_view org) = 0;
  // Each returns the user it changed.
  virtual Result<User> set_password(const UserName& user, std::string_view password) = 0;
  virtual Result<User> set_disabled(const UserName& user, bool disabled) = 0;
  virtual Result<User> set_operator(const UserName& user, bool is_operator) = 0;
  virtual Result<User> set_scheduler(const UserName& user, bool is_scheduler) = 0;
  // Sets the user's title and department (DirectoryService::set_user_directory).
  virtual Result<User> set_directory(const UserName& user, std::string_view title,
                                     std::string_view department) = 0;
  // The org's roles, and a new one (RoutingService, acting as the org's administrator).
  virtual Result<std::vector<Role>> list_roles(std::string_view org) = 0;
  virtual Result<Role> create_role(std::string_view org, const RoleInput& role) = 0;
  // Escalation (RoutingService::set_policy, set_backups, as the org's administrator).
  virtual Result<EscalationPolicy> set_escalation_policy(std::string_view org,
                                                         const EscalationPolicy& policy) = 0;
  virtual Result<void> set_backups(const UserName& user, std::vector<Backup> chain) = 0;
  // Imports a schedule file into the org (RoutingService::import_schedule), telling
  // `progress` how far it is as it goes.
  virtual Result<ImportReport> import_schedule(std::string_view org, const ScheduleImport& file,
                                               const ImportProgress& progress) = 0;
  virtual Result<std::vector<DeviceView>> list_devices(const UserName& user) = 0;
  virtual Result<void> revoke_device(DeviceId device) = 0;
  virtual Result<PatientView> upsert_patient(std::string_view org, const PatientView& fields) = 0;
  // Returns how many orgs got a new data key.
  virtual Result<std::size_t> rotate_keys() = 0;
  // The provider directory's import (ProviderService::write_providers, write_taxonomies,
  // record_import): chunks of at most ProviderService::kMaxChunk. Each write returns how
  // many it wrote.
  virtual Result<std::int64_t> write_providers(std::vector<Provider> providers) = 0;
  virtual Result<std::int64_t> write_taxonomies(std::vector<TaxonomyCode> codes) = 0;
  virtual Result<void> record_npi_import(const NpiImportReport& report) = 0;

  // Ends the session: the stopped store signs an audit checkpoint over what this
  // process wrote (a server signs its own). Errors: as AuditLog::checkpoint.
  virtual Result<void> finish() = 0;
};

struct AdminTargetOptions {
  std::filesystem::path data_dir;
  RuntimeOptions runtime;  // For the stopped store.
  // Whether a data directory that does not exist is made (a new, empty store) rather
  // than refused (`admin --create-data-dir`).
  bool create_data_dir = false;
};

// The running server if the data directory's run file names a live process that
// answers over TLS with the pinned certificate; otherwise the stopped store, opened
// directly (a stale run file, whose process is gone, is removed). Errors:
// FailedPrecondition for a run file that is unsafe (group or others may read it) or
// not valid, which is never ignored; otherwise as Runtime::open, with a note when a
// live server named by the run file did not answer; NotFound for a data directory that
// does not exist, unless create_data_dir.
Result<std::unique_ptr<AdminTarget>> open_admin_target(const AdminTargetOptions& options);

// Whether the data directory's run file names a live process (a server that may hold
// the store, answering or not).
bool is_serving(const DataPaths& paths);

}  // namespace wl::cli
