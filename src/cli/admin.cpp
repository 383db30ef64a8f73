#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/admin_target.hpp"
#include "cli/backup.hpp"
#include "cli/commands.hpp"
#include "cli/npi_import.hpp"
#include "cli/password_input.hpp"
#include "cli/runtime.hpp"
#include "core/time.hpp"
#include "core/utf8.hpp"

namespace wl::cli {
namespace {

struct AdminOptions {
  std::string data_dir = "wardline-data";
  std::string store;  // RuntimeOptions::store: "" for the data directory's SQLite.
  std::string org;
  std::string username;
  std::string display_name;
  std::string title;
  std::string department;
  bool is_admin = false;
  bool revoke = false;
  std::string password_file;
  std::int64_t device_id = 0;
  std::int64_t idle_lock_minutes = 30;
  bool fast_password_hashing = false;
  std::string audit_key_file;
  std::string audit_head_file;
  bool create_audit_key = false;
  bool create_data_dir = false;
  // Patients.
  std::string mrn, name, dob, location, attending;
  // Roles and schedules.
  std::string role_kind = "role";
  std::string description;
  std::string file;
  std::string format;  // ics or csv; empty: from the file's extension.
  std::string time_zone = "UTC";
  std::string all_day_starts = "07:00";
  // Escalation.
  std::int64_t normal_after = 0, urgent_after = 120, realert_every = 120;
  std::vector<std::string> backups;
  // The provider directory.
  std::string taxonomy_file;
  bool dry_run = false;
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
  runtime_options.store = options.store;
  return runtime_options;
}

// Runs action on the command's target (open_admin_target: the running server, or the
// stopped store), ends it (the stopped store signs an audit checkpoint, also after a
// failed action: a refusal may have been audited), and turns an error into exit code 1.
template <typename Action>
int with_target(const AdminOptions& options, Action action) {
  auto target = open_admin_target(AdminTargetOptions{.data_dir = options.data_dir,
                                                     .runtime = runtime_options_for(options),
                                                     .create_data_dir = options.create_data_dir});
  if (!target) {
    return fail(target.error());
  }
  Result<void> done = action(**target);
  if (auto finished = (*target)->finish(); !finished) {
    return fail(finished.error());
  }
  return done ? 0 : fail(done.error());
}

UserName user_name(const AdminOptions& options) { return UserName{options.org, options.username}; }

// The schedule file the options name, read whole, with its format and settings.
Result<ScheduleImport> schedule_file(const AdminOptions& options) {
  ScheduleImport file;
  std::string format = options.format;
  if (format.empty()) {
    const std::string extension = std::filesystem::path(options.file).extension().string();
    format = extension == ".csv" ? "csv" : "ics";
  }
  if (format != "ics" && format != "csv") {
    return error(Code::kInvalidArgument, "--format is ics or csv");
  }
  file.format = format == "csv" ? ScheduleFormat::kCsv : ScheduleFormat::kICalendar;
  int hours = 0;
  int minutes = 0;
  if (options.all_day_starts.size() != 5 ||
      std::sscanf(options.all_day_starts.c_str(), "%2d:%2d", &hours, &minutes) != 2 || hours < 0 ||
      hours > 23 || minutes < 0 || minutes > 59) {
    return error(Code::kInvalidArgument, "--all-day-starts is a time of day such as 07:00");
  }
  file.all_day_starts = std::chrono::hours(hours) + std::chrono::minutes(minutes);
  file.default_time_zone = options.time_zone;
  std::ifstream in(options.file, std::ios::binary);
  if (!in) {
    return error(Code::kNotFound, fmt::format("cannot read {}", options.file));
  }
  std::ostringstream text;
  text << in.rdbuf();
  file.text = std::move(text).str();
  return file;
}

// Prints an import's report: its counts, then every problem with where it is.
void print_report(const ImportReport& report) {
  std::cout << fmt::format(
      "{} entries, {} shifts: {} created, {} updated, {} unchanged, {} deleted, {} problems\n",
      report.entries, report.rows, report.created, report.updated, report.unchanged, report.deleted,
      report.problems.size() + report.problems_not_listed);
  for (const ScheduleProblem& problem : report.problems) {
    std::cout << fmt::format("  {}: {}\n", problem.where, problem.reason);
  }
  if (report.problems_not_listed > 0) {
    std::cout << fmt::format("  ... and {} more\n", report.problems_not_listed);
  }
}

}  // namespace

void add_admin_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<AdminOptions>();
  CLI::App* admin = app.add_subcommand(
      "admin", "Manage orgs, users, devices, patients, roles, schedules and keys");
  admin->require_subcommand(1);
  admin->add_option("--data-dir", options->data_dir, "Data directory")->capture_default_str();
  admin->add_flag("--create-data-dir", options->create_data_dir,
                  "Make the data directory (a new, empty store) if it does not exist; "
                  "without it a missing directory is refused");
  admin->add_option("--store", options->store,
                    "sqlite (the data directory's database, the default) or a postgres:// URI; "
                    "with no server on the data directory, admin writes it directly");
  admin->add_flag("--fast-password-hashing", options->fast_password_hashing,
                  "Argon2id at libsodium's minimum cost (tests only)");
  admin->add_option(
      "--audit-key-file", options->audit_key_file,
      "Audit signing seed, as given to serve (default: DATA_DIR/keys/audit-signing.key)");
  admin->add_option("--audit-head-file", options->audit_head_file,
                    "Append each new audit checkpoint head here, as serve does");

  CLI::App* org = admin->add_subcommand("org", "Orgs")->require_subcommand(1);
  org->add_subcommand("create", "Create an org")
      ->callback([options, &exit_code] {
        exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
          const Org created = WL_TRY(target.create_org(options->org));
          std::cout << fmt::format("created org {} '{}'\n", created.id.value(), created.name);
          return ok();
        });
      })
      ->add_option("name", options->org, "Org name")
      ->required();
  org->add_subcommand("list", "List orgs")->callback([options, &exit_code] {
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      for (const Org& each : WL_TRY(target.list_orgs())) {
        std::cout << fmt::format("{}\t{}\n", each.id.value(), each.name);
      }
      return ok();
    });
  });

  CLI::App* org_idle_lock = org->add_subcommand(
      "idle-lock", "Set how long an org's sessions may stay idle before they lock");
  org_idle_lock->add_option("--org", options->org, "Org name")->required();
  org_idle_lock->add_option("--minutes", options->idle_lock_minutes, "1 to 30 minutes")->required();
  org_idle_lock->callback([options, &exit_code] {
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      const Org found = WL_TRY(
          target.set_idle_lock(options->org, std::chrono::minutes(options->idle_lock_minutes)));
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
  user_create->callback([options, &exit_code] {
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      const User created = WL_TRY(target.create_user(NewUserRequest{
          .org = options->org,
          .username = options->username,
          .display_name = options->display_name,
          .title = options->title,
          .password = WL_TRY(read_password(options->password_file, "New password: ")),
          .is_admin = options->is_admin}));
      std::cout << fmt::format("created user {} '{}'\n", created.id.value(), created.username);
      return ok();
    });
  });
  CLI::App* user_password = user->add_subcommand("password", "Reset a user's password");
  user_password->add_option("--org", options->org, "Org name")->required();
  user_password->add_option("--username", options->username, "Login name")->required();
  user_password->add_option("--password-file", options->password_file, "Read the password here");
  user_password->callback([options, &exit_code] {
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      const std::string password = WL_TRY(read_password(options->password_file, "New password: "));
      const User found = WL_TRY(target.set_password(user_name(*options), password));
      std::cout << fmt::format("password reset for '{}'; failed logins cleared\n", found.username);
      return ok();
    });
  });
  for (const bool disable : {true, false}) {
    CLI::App* user_disable = user->add_subcommand(
        disable ? "disable" : "enable",
        disable ? "Disable an account: it cannot sign in, and its sessions stop working"
                : "Enable a disabled account again");
    user_disable->add_option("--org", options->org, "Org name")->required();
    user_disable->add_option("--username", options->username, "Login name")->required();
    user_disable->callback([options, disable, &exit_code] {
      exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
        const User found = WL_TRY(target.set_disabled(user_name(*options), disable));
        std::cout << fmt::format("'{}' is {}\n", found.username, disable ? "disabled" : "enabled");
        return ok();
      });
    });
  }
  CLI::App* user_operator = user->add_subcommand(
      "operator", "Grant (or with --revoke withdraw) the server-wide operator permission");
  user_operator->add_option("--org", options->org, "Org name")->required();
  user_operator->add_option("--username", options->username, "Login name")->required();
  user_operator->add_flag("--revoke", options->revoke, "Withdraw it");
  user_operator->callback([options, &exit_code] {
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      const User found = WL_TRY(target.set_operator(user_name(*options), !options->revoke));
      std::cout << fmt::format("'{}' is {} an operator\n", found.username,
                               options->revoke ? "no longer" : "now");
      return ok();
    });
  });
  CLI::App* user_scheduler = user->add_subcommand(
      "scheduler", "Grant (or with --revoke withdraw) the permission to edit on-call schedules");
  user_scheduler->add_option("--org", options->org, "Org name")->required();
  user_scheduler->add_option("--username", options->username, "Login name")->required();
  user_scheduler->add_flag("--revoke", options->revoke, "Withdraw it");
  user_scheduler->callback([options, &exit_code] {
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      const User found = WL_TRY(target.set_scheduler(user_name(*options), !options->revoke));
      std::cout << fmt::format("'{}' is {} a scheduler\n", found.username,
                               options->revoke ? "no longer" : "now");
      return ok();
    });
  });
  CLI::App* user_directory = user->add_subcommand(
      "directory", "Set a user's title and department, as the directory shows them");
  user_directory->add_option("--org", options->org, "Org name")->required();
  user_directory->add_option("--username", options->username, "Login name")->required();
  user_directory->add_option("--title", options->title, "Title, e.g. 'RN, 4 West'")->required();
  user_directory->add_option("--department", options->department, "Department, e.g. Cardiology")
      ->required();
  user_directory->callback([options, &exit_code] {
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      const User found =
          WL_TRY(target.set_directory(user_name(*options), options->title, options->department));
      std::cout << fmt::format("'{}' is '{}' in '{}'\n", found.username, found.title,
                               found.department);
      return ok();
    });
  });
  CLI::App* user_list = user->add_subcommand("list", "List an org's users");
  user_list->add_option("--org", options->org, "Org name")->required();
  user_list->callback([options, &exit_code] {
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      for (const User& each : WL_TRY(target.list_users(options->org))) {
        std::cout << fmt::format(
            "{}\t{}\t{}\t{}{}{}{}{}\n", each.id.value(), each.username, each.display_name,
            each.title, each.is_admin ? "\tadmin" : "", each.is_operator ? "\toperator" : "",
            each.is_scheduler ? "\tscheduler" : "", each.disabled ? "\tdisabled" : "");
      }
      return ok();
    });
  });

  CLI::App* device = admin->add_subcommand("device", "Devices")->require_subcommand(1);
  CLI::App* device_list = device->add_subcommand("list", "List a user's devices");
  device_list->add_option("--org", options->org, "Org name")->required();
  device_list->add_option("--username", options->username, "Login name")->required();
  device_list->callback([options, &exit_code] {
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      for (const DeviceView& each : WL_TRY(target.list_devices(user_name(*options)))) {
        std::cout << fmt::format("{}\t{}\tlast seen {}{}\n", each.id.value(), each.name,
                                 format_rfc3339(each.last_seen), each.revoked ? "\trevoked" : "");
      }
      return ok();
    });
  });
  CLI::App* device_revoke = device->add_subcommand("revoke", "Revoke a device and its sessions");
  device_revoke->add_option("--id", options->device_id, "Device id")->required();
  device_revoke->callback([options, &exit_code] {
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      WL_TRY(target.revoke_device(DeviceId(options->device_id)));
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
  patient_add->callback([options, &exit_code] {
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      PatientView fields;
      fields.mrn = options->mrn;
      fields.name = options->name;
      fields.date_of_birth = options->dob;
      fields.location = options->location;
      fields.attending = options->attending;
      const PatientView stored = WL_TRY(target.upsert_patient(options->org, fields));
      std::cout << fmt::format("patient {} saved\n", stored.id.value());
      return ok();
    });
  });

  CLI::App* role =
      admin->add_subcommand("role", "Roles (on-call, units, rooms)")->require_subcommand(1);
  CLI::App* role_create = role->add_subcommand("create", "Create a role");
  role_create->add_option("--org", options->org, "Org name")->required();
  role_create->add_option("--name", options->name, "The role's name")->required();
  role_create->add_option("--kind", options->role_kind, "role, unit or room")
      ->capture_default_str();
  role_create->add_option("--description", options->description, "What it is for");
  role_create->callback([options, &exit_code] {
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      RoleInput input;
      input.name = options->name;
      input.description = options->description;
      if (options->role_kind == "unit") {
        input.kind = RoleKind::kUnit;
      } else if (options->role_kind == "room") {
        input.kind = RoleKind::kRoom;
      } else if (options->role_kind != "role") {
        return error(Code::kInvalidArgument, "--kind is role, unit or room");
      }
      const Role created = WL_TRY(target.create_role(options->org, input));
      std::cout << fmt::format("created role {} '{}'\n", created.id.value(), created.name);
      return ok();
    });
  });
  CLI::App* role_list = role->add_subcommand("list", "List an org's roles");
  role_list->add_option("--org", options->org, "Org name")->required();
  role_list->callback([options, &exit_code] {
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      for (const Role& each : WL_TRY(target.list_roles(options->org))) {
        std::cout << fmt::format("{}\t{}\t{}\n", each.id.value(), each.name,
                                 each.kind == RoleKind::kUnit   ? "unit"
                                 : each.kind == RoleKind::kRoom ? "room"
                                                                : "role");
      }
      return ok();
    });
  });

  CLI::App* escalation =
      admin->add_subcommand("escalation", "How unread messages move on")->require_subcommand(1);
  CLI::App* policy = escalation->add_subcommand(
      "policy", "Set an org's escalation policy, in seconds (0: never; docs/routing.md)");
  policy->add_option("--org", options->org, "Org name")->required();
  policy
      ->add_option("--urgent-after", options->urgent_after,
                   "An urgent message unread this long moves on")
      ->capture_default_str();
  policy
      ->add_option("--normal-after", options->normal_after,
                   "A normal message unread this long moves on")
      ->capture_default_str();
  policy
      ->add_option("--realert-every", options->realert_every,
                   "An unread urgent message alerts again this often")
      ->capture_default_str();
  policy->callback([options, &exit_code] {
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      EscalationPolicy wanted;
      wanted.normal_after = std::chrono::seconds(options->normal_after);
      wanted.urgent_after = std::chrono::seconds(options->urgent_after);
      wanted.realert_every = std::chrono::seconds(options->realert_every);
      const EscalationPolicy set = WL_TRY(target.set_escalation_policy(options->org, wanted));
      std::cout << fmt::format(
          "'{}' escalates urgent messages after {} s and normal ones after {} s, and re-alerts "
          "every {} s (0: never)\n",
          options->org, set.urgent_after.count(), set.normal_after.count(),
          set.realert_every.count());
      return ok();
    });
  });
  CLI::App* backups = escalation->add_subcommand(
      "backups", "Set a person's backup chain, in order (no --backup: none)");
  backups->add_option("--org", options->org, "Org name")->required();
  backups->add_option("--username", options->username, "Whose chain")->required();
  backups->add_option("--backup", options->backups,
                      "user:USERNAME or role:ROLE NAME, repeated in order");
  backups->callback([options, &exit_code] {
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      std::vector<Backup> chain;
      std::vector<User> users;
      std::vector<Role> roles;
      for (const std::string& step : options->backups) {
        if (step.starts_with("user:")) {
          if (users.empty()) {
            users = WL_TRY(target.list_users(options->org));
          }
          const auto found = std::find_if(users.begin(), users.end(), [&step](const User& user) {
            return user.username == step.substr(5);
          });
          if (found == users.end()) {
            return error(Code::kNotFound,
                         fmt::format("no user '{}' in '{}'", step.substr(5), options->org));
          }
          chain.push_back(Backup{found->id, RoleId()});
        } else if (step.starts_with("role:")) {
          if (roles.empty()) {
            roles = WL_TRY(target.list_roles(options->org));
          }
          const auto found = std::find_if(roles.begin(), roles.end(), [&step](const Role& role) {
            return ascii_lower(role.name) == ascii_lower(step.substr(5));
          });
          if (found == roles.end()) {
            return error(Code::kNotFound,
                         fmt::format("no role '{}' in '{}'", step.substr(5), options->org));
          }
          chain.push_back(Backup{UserId(), found->id});
        } else {
          return error(Code::kInvalidArgument,
                       fmt::format("--backup '{}': give user:USERNAME or role:ROLE NAME", step));
        }
      }
      const std::size_t steps = chain.size();
      WL_TRY(target.set_backups(user_name(*options), std::move(chain)));
      std::cout << fmt::format("'{}' has {} backup{}\n", options->username, steps,
                               steps == 1 ? "" : "s");
      return ok();
    });
  });

  CLI::App* schedule =
      admin->add_subcommand("schedule", "On-call schedules")->require_subcommand(1);
  CLI::App* schedule_import = schedule->add_subcommand(
      "import", "Import shifts from an iCalendar (.ics) or CSV file (docs/schedules.md)");
  schedule_import->add_option("--org", options->org, "Org name")->required();
  schedule_import->add_option("file", options->file, "The schedule file")->required();
  schedule_import->add_option("--format", options->format, "ics or csv (default: by extension)");
  schedule_import
      ->add_option("--time-zone", options->time_zone,
                   "IANA zone of floating times and CSV rows without one")
      ->capture_default_str();
  schedule_import
      ->add_option("--all-day-starts", options->all_day_starts,
                   "When an all-day shift starts and ends, local time")
      ->capture_default_str();
  schedule_import->callback([options, &exit_code] {
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      const ScheduleImport file = WL_TRY(schedule_file(*options));
      std::size_t shown = 0;
      const ImportReport report = WL_TRY(
          target.import_schedule(options->org, file, [&shown](std::size_t done, std::size_t total) {
            // A line per tenth, so a long import shows it is moving.
            if (total > 0 &&
                (done == total || done >= shown + std::max<std::size_t>(total / 10, 1))) {
              shown = done;
              std::cerr << fmt::format("imported {} of {} shifts\n", done, total);
            }
          }));
      print_report(report);
      return ok();
    });
  });

  CLI::App* audit_key = admin->add_subcommand(
      "audit-key",
      "Print the audit signing public key and its fingerprint, for `audit verify --key` "
      "(reads only the key file, on this machine, so it works beside a running server)");
  audit_key->add_flag("--create", options->create_audit_key,
                      "Make a new key first (the file must not exist; only with the server "
                      "stopped); its checkpoints need the new key passed to `audit verify` "
                      "besides the old one");
  audit_key->callback([options, &exit_code] {
    const DataPaths paths{options->data_dir};
    // A running server signs with the key it loaded at start, whatever the file holds
    // now; the admin API offers no way to change it.
    if (options->create_audit_key && is_serving(paths)) {
      exit_code = fail(Status(Code::kFailedPrecondition,
                              "audit-key --create cannot run while the server runs (it signs "
                              "with the key it loaded at start): stop it first"));
      return;
    }
    const std::filesystem::path file = audit_key_file(paths, runtime_options_for(*options));
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

  CLI::App* npi =
      admin->add_subcommand("npi", "The provider directory (docs/npi.md)")->require_subcommand(1);
  CLI::App* npi_import = npi->add_subcommand(
      "import", "Import (or refresh from) an NPPES monthly data file, npidata_pfile_*.csv");
  npi_import->add_option("file", options->file, "The NPPES data file")->required();
  npi_import->add_option("--taxonomy", options->taxonomy_file,
                         "The NUCC taxonomy CSV (nucc_taxonomy_NNN.csv), imported first");
  npi_import->add_flag("--dry-run", options->dry_run,
                       "Read and check every row, write nothing (needs no store)");
  npi_import->callback([options, &exit_code] {
    const NpiImportOptions import{
        .file = options->file, .taxonomy = options->taxonomy_file, .dry_run = options->dry_run};
    std::map<std::string, std::vector<std::string>> examples;
    if (options->dry_run) {
      auto report = import_npi(nullptr, import, std::cerr, examples);
      if (!report) {
        exit_code = fail(report.error());
        return;
      }
      std::cout << format_npi_report(*report, examples, true);
      exit_code = 0;
      return;
    }
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      const NpiImportReport report = WL_TRY(import_npi(&target, import, std::cerr, examples));
      std::cout << format_npi_report(report, examples, false);
      return ok();
    });
  });

  add_backup_commands(*admin, options->data_dir, options->store, exit_code);

  CLI::App* keys = admin->add_subcommand("keys", "Encryption keys")->require_subcommand(1);
  CLI::App* rotate = keys->add_subcommand(
      "rotate", "New key-encryption key; re-wrap every data key; new data keys per org");
  rotate->callback([options, &exit_code] {
    exit_code = with_target(*options, [&](AdminTarget& target) -> Result<void> {
      const std::size_t orgs = WL_TRY(target.rotate_keys());
      std::cout << fmt::format("rotated the key-encryption key and the data keys of {} orgs\n",
                               orgs);
      return ok();
    });
  });
}

}  // namespace wl::cli
