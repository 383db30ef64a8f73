#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/password_input.hpp"
#include "cli/runtime.hpp"
#include "core/time.hpp"

namespace wl::cli {
namespace {

struct AdminOptions {
  std::string data_dir = "wardline-data";
  std::string org;
  std::string username;
  std::string display_name;
  std::string title;
  bool is_admin = false;
  bool revoke = false;
  std::string password_file;
  std::int64_t device_id = 0;
  std::int64_t idle_lock_minutes = 30;
  bool fast_password_hashing = false;
  std::string audit_key_file;
  std::string audit_head_file;
  bool create_audit_key = false;
  // Patients.
  std::string mrn, name, dob, location, attending;
};

int fail(const Status& status) {
  std::cerr << "wardline admin: " << status.to_string() << "\n";
  return 1;
}

RuntimeOptions runtime_options_for(const AdminOptions& options) {
  RuntimeOptions runtime_options;
  if (options.fast_password_hashing) {
    runtime_options.password_strength = PasswordHasher::Strength::kMinimum;
  }
  runtime_options.audit_key_file = options.audit_key_file;
  runtime_options.audit_head_file = options.audit_head_file;
  return runtime_options;
}

// Opens the data directory, runs action, signs an audit checkpoint over whatever it
// wrote to the log, and turns an error into exit code 1.
template <typename Action>
int with_runtime(const AdminOptions& options, Action action) {
  auto runtime = Runtime::open(options.data_dir, runtime_options_for(options));
  if (!runtime) {
    return fail(runtime.error());
  }
  if ((*runtime)->created_audit_key()) {
    std::cout << audit_key_line((*runtime)->audit().public_key()) << "\n";
  }
  Result<void> done = action(**runtime);
  // No server runs beside admin to sign later, so sign now (also after a failed
  // action: a refusal may have been audited).
  if ((*runtime)->has_written_audit()) {
    if (auto pinned = (*runtime)->sign_audit_checkpoint(); !pinned) {
      return fail(pinned.error());
    }
  }
  return done ? 0 : fail(done.error());
}

Result<Org> find_org(Runtime& runtime, std::string_view name) {
  auto org = runtime.store().find_org_by_name(name);
  if (!org) {
    return error(Code::kNotFound, fmt::format("no org named '{}'", name));
  }
  return org;
}

Result<User> find_user(Runtime& runtime, const AdminOptions& options) {
  const Org org = WL_TRY(find_org(runtime, options.org));
  auto user = runtime.store().find_user_by_name(org.id, options.username);
  if (!user) {
    return error(Code::kNotFound, fmt::format("no user '{}' in '{}'", options.username, org.name));
  }
  return user;
}

}  // namespace

void add_admin_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<AdminOptions>();
  CLI::App* admin = app.add_subcommand("admin", "Manage orgs, users, devices, patients and keys");
  admin->require_subcommand(1);
  admin->add_option("--data-dir", options->data_dir, "Data directory")->capture_default_str();
  admin->add_flag("--fast-password-hashing", options->fast_password_hashing,
                  "Argon2id at libsodium's minimum cost (tests only)");
  admin->add_option(
      "--audit-key-file", options->audit_key_file,
      "Audit signing seed, as given to serve (default: DATA_DIR/keys/audit-signing.key)");
  admin->add_option("--audit-head-file", options->audit_head_file,
                    "Append each new audit checkpoint head here, as serve does");
  const Principal system = IdentityService::system_principal();

  CLI::App* org = admin->add_subcommand("org", "Orgs")->require_subcommand(1);
  org->add_subcommand("create", "Create an org")
      ->callback([options, system, &exit_code] {
        exit_code = with_runtime(*options, [&](Runtime& runtime) -> Result<void> {
          const Org created = WL_TRY(runtime.identity().create_org(system, options->org));
          std::cout << fmt::format("created org {} '{}'\n", created.id.value(), created.name);
          return ok();
        });
      })
      ->add_option("name", options->org, "Org name")
      ->required();
  org->add_subcommand("list", "List orgs")->callback([options, &exit_code] {
    exit_code = with_runtime(*options, [&](Runtime& runtime) -> Result<void> {
      for (const Org& each : WL_TRY(runtime.store().list_orgs())) {
        std::cout << fmt::format("{}\t{}\n", each.id.value(), each.name);
      }
      return ok();
    });
  });

  CLI::App* org_idle_lock = org->add_subcommand(
      "idle-lock", "Set how long an org's sessions may stay idle before they lock");
  org_idle_lock->add_option("--org", options->org, "Org name")->required();
  org_idle_lock->add_option("--minutes", options->idle_lock_minutes, "1 to 30 minutes")->required();
  org_idle_lock->callback([options, system, &exit_code] {
    exit_code = with_runtime(*options, [&](Runtime& runtime) -> Result<void> {
      const Org found = WL_TRY(find_org(runtime, options->org));
      WL_TRY(runtime.identity().set_idle_lock(system, found.id,
                                              std::chrono::minutes(options->idle_lock_minutes)));
      std::cout << fmt::format("sessions of '{}' lock after {} idle minutes\n", found.name,
                               options->idle_lock_minutes);
      return ok();
    });
  });

  CLI::App* user = admin->add_subcommand("user", "Users")->require_subcommand(1);
  CLI::App* user_create = user->add_subcommand("create", "Create a user (password prompted)");
  user_create->add_option("--org", options->org, "Org name")->required();
  user_create->add_option("--username", options->username, "Login name")->required();
  user_create->add_option("--name", options->display_name, "Display name")->required();
  user_create->add_option("--title", options->title, "Role or title, e.g. 'RN, 4 West'");
  user_create->add_flag("--admin", options->is_admin, "Org administrator");
  user_create->add_option("--password-file", options->password_file, "Read the password here");
  user_create->callback([options, system, &exit_code] {
    exit_code = with_runtime(*options, [&](Runtime& runtime) -> Result<void> {
      const Org found = WL_TRY(find_org(runtime, options->org));
      const std::string password = WL_TRY(read_password(options->password_file, "New password: "));
      const User created = WL_TRY(
          runtime.identity().create_user(system, found.id, options->username, options->display_name,
                                         options->title, password, options->is_admin));
      std::cout << fmt::format("created user {} '{}'\n", created.id.value(), created.username);
      return ok();
    });
  });
  CLI::App* user_password = user->add_subcommand("password", "Reset a user's password");
  user_password->add_option("--org", options->org, "Org name")->required();
  user_password->add_option("--username", options->username, "Login name")->required();
  user_password->add_option("--password-file", options->password_file, "Read the password here");
  user_password->callback([options, system, &exit_code] {
    exit_code = with_runtime(*options, [&](Runtime& runtime) -> Result<void> {
      const User found = WL_TRY(find_user(runtime, *options));
      const std::string password = WL_TRY(read_password(options->password_file, "New password: "));
      WL_TRY(runtime.identity().set_password(system, found.id, password));
      std::cout << fmt::format("password reset for '{}'; failed logins cleared\n", found.username);
      return ok();
    });
  });
  CLI::App* user_operator = user->add_subcommand(
      "operator", "Grant (or with --revoke withdraw) the server-wide operator permission");
  user_operator->add_option("--org", options->org, "Org name")->required();
  user_operator->add_option("--username", options->username, "Login name")->required();
  user_operator->add_flag("--revoke", options->revoke, "Withdraw it");
  user_operator->callback([options, system, &exit_code] {
    exit_code = with_runtime(*options, [&](Runtime& runtime) -> Result<void> {
      const User found = WL_TRY(find_user(runtime, *options));
      WL_TRY(runtime.identity().set_operator(system, found.id, !options->revoke));
      std::cout << fmt::format("'{}' is {} an operator\n", found.username,
                               options->revoke ? "no longer" : "now");
      return ok();
    });
  });
  CLI::App* user_list = user->add_subcommand("list", "List an org's users");
  user_list->add_option("--org", options->org, "Org name")->required();
  user_list->callback([options, &exit_code] {
    exit_code = with_runtime(*options, [&](Runtime& runtime) -> Result<void> {
      const Org found = WL_TRY(find_org(runtime, options->org));
      for (const User& each : WL_TRY(runtime.store().list_users(found.id))) {
        std::cout << fmt::format("{}\t{}\t{}\t{}{}{}{}\n", each.id.value(), each.username,
                                 each.display_name, each.title, each.is_admin ? "\tadmin" : "",
                                 each.is_operator ? "\toperator" : "",
                                 each.disabled ? "\tdisabled" : "");
      }
      return ok();
    });
  });

  CLI::App* device = admin->add_subcommand("device", "Devices")->require_subcommand(1);
  CLI::App* device_list = device->add_subcommand("list", "List a user's devices");
  device_list->add_option("--org", options->org, "Org name")->required();
  device_list->add_option("--username", options->username, "Login name")->required();
  device_list->callback([options, system, &exit_code] {
    exit_code = with_runtime(*options, [&](Runtime& runtime) -> Result<void> {
      const User found = WL_TRY(find_user(runtime, *options));
      for (const DeviceView& each : WL_TRY(runtime.identity().list_devices(system, found.id))) {
        std::cout << fmt::format("{}\t{}\tlast seen {}{}\n", each.id.value(), each.name,
                                 format_rfc3339(each.last_seen), each.revoked ? "\trevoked" : "");
      }
      return ok();
    });
  });
  CLI::App* device_revoke = device->add_subcommand("revoke", "Revoke a device and its sessions");
  device_revoke->add_option("--id", options->device_id, "Device id")->required();
  device_revoke->callback([options, system, &exit_code] {
    exit_code = with_runtime(*options, [&](Runtime& runtime) -> Result<void> {
      WL_TRY(runtime.identity().revoke_device(system, DeviceId(options->device_id)));
      std::cout << fmt::format("revoked device {}\n", options->device_id);
      return ok();
    });
  });

  CLI::App* patient = admin->add_subcommand("patient", "Patients")->require_subcommand(1);
  CLI::App* patient_add = patient->add_subcommand("add", "Create or update a patient by MRN");
  patient_add->add_option("--org", options->org, "Org name")->required();
  patient_add->add_option("--mrn", options->mrn, "Medical record number")->required();
  patient_add->add_option("--name", options->name, "Family, Given")->required();
  patient_add->add_option("--dob", options->dob, "Date of birth, YYYY-MM-DD");
  patient_add->add_option("--location", options->location, "Unit and room");
  patient_add->add_option("--attending", options->attending, "Attending clinician");
  patient_add->callback([options, system, &exit_code] {
    exit_code = with_runtime(*options, [&](Runtime& runtime) -> Result<void> {
      const Org found = WL_TRY(find_org(runtime, options->org));
      PatientView fields;
      fields.mrn = options->mrn;
      fields.name = options->name;
      fields.date_of_birth = options->dob;
      fields.location = options->location;
      fields.attending = options->attending;
      const PatientView stored = WL_TRY(runtime.patients().upsert(system, found.id, fields));
      std::cout << fmt::format("patient {} saved\n", stored.id.value());
      return ok();
    });
  });

  CLI::App* audit_key = admin->add_subcommand(
      "audit-key",
      "Print the audit signing public key and its fingerprint, for `audit verify --key` "
      "(reads only the key file, so it works beside a running server)");
  audit_key->add_flag("--create", options->create_audit_key,
                      "Make a new key first (the file must not exist); its checkpoints need "
                      "the new key passed to `audit verify` besides the old one");
  audit_key->callback([options, &exit_code] {
    const std::filesystem::path file =
        audit_key_file(DataPaths{options->data_dir}, runtime_options_for(*options));
    auto key =
        options->create_audit_key ? create_audit_signing_key(file) : read_audit_signing_key(file);
    if (!key) {
      exit_code = fail(key.error().code() == Code::kNotFound && !options->create_audit_key
                           ? Status(Code::kNotFound,
                                    "no audit signing key yet: start the server once, or give "
                                    "the --audit-key-file it uses")
                           : key.error());
      return;
    }
    std::cout << audit_key_line(key->public_key) << "\n";
    exit_code = 0;
  });

  CLI::App* keys = admin->add_subcommand("keys", "Encryption keys")->require_subcommand(1);
  CLI::App* rotate = keys->add_subcommand(
      "rotate", "New key-encryption key; re-wrap every data key; new data keys per org");
  rotate->callback([options, &exit_code] {
    exit_code = with_runtime(*options, [&](Runtime& runtime) -> Result<void> {
      WL_TRY(runtime.keys().rotate_kek());
      std::size_t orgs = 0;
      for (const Org& each : WL_TRY(runtime.store().list_orgs())) {
        WL_TRY(runtime.keys().rotate_data_key(each.id));
        ++orgs;
      }
      WL_TRY(runtime.audit().record(AuditDraft{runtime.clock().now(), OrgId(), UserId(), DeviceId(),
                                               "admin.keys.rotate", "keys", "ok",
                                               fmt::format("orgs={}", orgs)}));
      std::cout << fmt::format("rotated the key-encryption key and the data keys of {} orgs\n",
                               orgs);
      return ok();
    });
  });
}

}  // namespace wl::cli
