// `wardline admin` while `wardline serve` runs (through the admin API, with the token
// of the data directory's run file) and on the stopped store (directly), checked
// through what a client then sees: who can sign in.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "cli/run_file.hpp"
#include "integration/fixture.hpp"

namespace wl::testing {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::string_view kOrg = "Mercy General (demo)";

class AdminTest : public ServerTest {
 protected:
  fs::path run_file() const { return server_->data_dir() / cli::kRunFileName; }

  // Runs `wardline admin --data-dir D <arguments>`; returns its exit code and keeps
  // its output in output_.
  int admin(std::vector<std::string> arguments, const std::string& password = "") {
    std::vector<std::string> command{"admin", "--data-dir", server_->data_dir().string(),
                                     "--fast-password-hashing"};
    command.insert(command.end(), arguments.begin(), arguments.end());
    std::vector<std::string> environment;
    if (!password.empty()) {
      environment.push_back("WARDLINE_PASSWORD=" + password);
    }
    output_.clear();
    return run_wardline(command, &output_, environment);
  }

  // The HTTP status of a login (200 signed in, 401 refused).
  int login_status(std::string_view username, std::string_view password) {
    TestClient anonymous(server_->client_options());
    return anonymous
        .call("POST", "/api/v1/login",
              json::serialize(json::object{{"username", username}, {"password", password}}))
        .status;
  }

  // Stdout lines only (the stopped store also logs its audit checkpoint to stderr).
  static std::vector<std::string> data_lines(const std::string& output) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < output.size()) {
      const std::size_t end = std::min(output.find('\n', start), output.size());
      const std::string line = output.substr(start, end - start);
      if (!line.empty() && line.find(" [audit] ") == std::string::npos) {
        lines.push_back(line);
      }
      start = end + 1;
    }
    return lines;
  }

  std::string output_;
};

TEST_F(AdminTest, AMissingDataDirectoryIsRefusedUnlessToldToCreateOne) {
  // A mistyped path, or admin run from the wrong folder.
  const fs::path missing = server_->data_dir().string() + "-mistyped";
  std::string output;
  EXPECT_EQ(run_wardline({"admin", "--data-dir", missing.string(), "org", "list"}, &output), 1);
  EXPECT_NE(output.find("no data directory at " + missing.string()), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(missing));

  EXPECT_EQ(run_wardline({"admin", "--data-dir", missing.string(), "--create-data-dir", "org",
                          "create", "Harbor Clinic"},
                         &output),
            0)
      << output;
  EXPECT_TRUE(fs::is_directory(missing));
  EXPECT_EQ(run_wardline({"admin", "--data-dir", missing.string(), "org", "list"}, &output), 0);
  EXPECT_NE(output.find("Harbor Clinic"), std::string::npos) << output;
  fs::remove_all(missing);
}

TEST_F(AdminTest, ServeWritesAPrivateRunFileAndRemovesItAtAStop) {
  ASSERT_TRUE(fs::exists(run_file()));
  EXPECT_EQ(fs::status(run_file()).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  auto run = cli::read_run_file(run_file());
  ASSERT_TRUE(run) << run.error().to_string();
  EXPECT_EQ(run->port, server_->port());
  EXPECT_EQ(run->address, "127.0.0.1");
  EXPECT_TRUE(cli::is_process_alive(run->pid));
  server_->stop();
  EXPECT_FALSE(fs::exists(run_file()));
  // A new start has a new token.
  server_->start();
  auto again = cli::read_run_file(run_file());
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_NE(again->admin_token, run->admin_token);
}

// Every user command, run while the server serves: the store is the server's (SQLite
// refuses a second process), so each one went through the admin API.
TEST_F(AdminTest, UserCommandsWorkWhileServing) {
  ASSERT_EQ(admin({"user", "create", "--org", std::string(kOrg), "--username", "rn.live", "--name",
                   "Live Nurse", "--title", "RN, 6 North"},
                  "live-nurse-password-1"),
            0)
      << output_;
  EXPECT_NE(output_.find("created user "), std::string::npos) << output_;
  EXPECT_EQ(login_status("rn.live", "live-nurse-password-1"), 200);

  // The server checks the password policy, as for any password.
  EXPECT_EQ(admin({"user", "create", "--org", std::string(kOrg), "--username", "rn.weak", "--name",
                   "Weak"},
                  "short"),
            1);
  EXPECT_NE(output_.find("invalid_argument: password must be at least 15 characters"),
            std::string::npos)
      << output_;
  EXPECT_EQ(
      admin({"user", "create", "--org", "No Such Org", "--username", "rn.lost", "--name", "Lost"},
            "live-nurse-password-1"),
      1);
  EXPECT_NE(output_.find("not_found: no org named 'No Such Org'"), std::string::npos) << output_;

  ASSERT_EQ(admin({"user", "password", "--org", std::string(kOrg), "--username", "rn.live"},
                  "live-nurse-password-2"),
            0)
      << output_;
  EXPECT_EQ(login_status("rn.live", "live-nurse-password-1"), 401);
  EXPECT_EQ(login_status("rn.live", "live-nurse-password-2"), 200);

  TestClient live(server_->client_options(), "rn.live", "live-nurse-password-2");
  ASSERT_EQ(admin({"user", "disable", "--org", std::string(kOrg), "--username", "rn.live"}), 0)
      << output_;
  EXPECT_EQ(output_, "'rn.live' is disabled\n");
  EXPECT_EQ(login_status("rn.live", "live-nurse-password-2"), 401);
  EXPECT_EQ(live.call("GET", "/api/v1/me").status, 401);  // Its session ended too.
  ASSERT_EQ(admin({"user", "list", "--org", std::string(kOrg)}), 0) << output_;
  EXPECT_NE(output_.find("rn.live\tLive Nurse\tRN, 6 North\tdisabled"), std::string::npos)
      << output_;
  ASSERT_EQ(admin({"user", "enable", "--org", std::string(kOrg), "--username", "rn.live"}), 0)
      << output_;
  EXPECT_EQ(login_status("rn.live", "live-nurse-password-2"), 200);

  ASSERT_EQ(admin({"device", "list", "--org", std::string(kOrg), "--username", "rn.live"}), 0)
      << output_;
  const std::vector<std::string> devices = data_lines(output_);
  ASSERT_FALSE(devices.empty()) << output_;
  const std::string device = devices.front().substr(0, devices.front().find('\t'));
  ASSERT_EQ(admin({"device", "revoke", "--id", device}), 0) << output_;
  EXPECT_EQ(output_, "revoked device " + device + "\n");
  ASSERT_EQ(admin({"device", "list", "--org", std::string(kOrg), "--username", "rn.live"}), 0);
  EXPECT_NE(output_.find(device + "\t"), std::string::npos);
  EXPECT_NE(output_.find("\trevoked"), std::string::npos) << output_;

  ASSERT_EQ(admin({"user", "operator", "--org", std::string(kOrg), "--username", "admin"}), 0)
      << output_;
  EXPECT_EQ(output_, "'admin' is now an operator\n");
  EXPECT_EQ(login("admin")->call("POST", "/api/v1/operator/kek/rotate", "{}").status, 204);
}

TEST_F(AdminTest, OrgPatientAndKeyCommandsWorkWhileServing) {
  ASSERT_EQ(admin({"org", "idle-lock", "--org", std::string(kOrg), "--minutes", "10"}), 0)
      << output_;
  EXPECT_EQ(login("rn.harper")->get("/api/v1/session").at("idle_lock_seconds").as_int64(), 600);
  EXPECT_EQ(admin({"org", "idle-lock", "--org", std::string(kOrg), "--minutes", "45"}), 1);
  EXPECT_NE(output_.find("the idle lock must be 60 to 1800 seconds"), std::string::npos) << output_;

  ASSERT_EQ(admin({"patient", "add", "--org", std::string(kOrg), "--mrn", "MRN-55501", "--name",
                   "Rivera, Ana", "--location", "6 North, room 4"}),
            0)
      << output_;
  const json::value patients = login("dr.patel")->get("/api/v1/patients");
  bool found = false;
  for (const json::value& patient : patients.at("patients").as_array()) {
    found = found || (patient.at("mrn").as_string() == "MRN-55501" &&
                      patient.at("location").as_string() == "6 North, room 4");
  }
  EXPECT_TRUE(found) << json::serialize(patients);

  ASSERT_EQ(admin({"keys", "rotate"}), 0) << output_;
  EXPECT_EQ(output_, "rotated the key-encryption key and the data keys of 1 orgs\n");
  // Sealing and opening go on with the new keys.
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  harper->connect();
  EXPECT_EQ(harper->send_message(thread, "after-rotation", "still sealed").at("type").as_string(),
            "sent");

  ASSERT_EQ(admin({"org", "create", "Harbor Clinic"}), 0) << output_;
  ASSERT_EQ(admin({"org", "list"}), 0) << output_;
  EXPECT_NE(output_.find("\tHarbor Clinic\n"), std::string::npos) << output_;
  EXPECT_EQ(admin({"org", "create", "Harbor Clinic"}), 1);
  EXPECT_NE(output_.find("already_exists"), std::string::npos) << output_;

  // Only what the key file holds runs beside a server; a new audit key needs a stop.
  EXPECT_EQ(admin({"audit-key"}), 0) << output_;
  EXPECT_EQ(admin({"audit-key", "--create"}), 1);
  EXPECT_NE(output_.find("cannot run while the server runs"), std::string::npos) << output_;
}

// The same commands print the same lines whichever way they went.
TEST_F(AdminTest, OutputIsTheSameServingOrStopped) {
  const std::vector<std::vector<std::string>> commands = {
      {"org", "list"},
      {"user", "list", "--org", std::string(kOrg)},
      {"device", "list", "--org", std::string(kOrg), "--username", "admin"},
  };
  std::vector<std::vector<std::string>> serving;
  for (const auto& command : commands) {
    ASSERT_EQ(admin(command), 0) << output_;
    serving.push_back(data_lines(output_));
  }
  server_->stop();
  for (std::size_t i = 0; i < commands.size(); ++i) {
    ASSERT_EQ(admin(commands[i]), 0) << output_;
    EXPECT_EQ(data_lines(output_), serving[i]) << commands[i][0];
  }
}

TEST_F(AdminTest, UserCommandsWorkOnTheStoppedStoreToo) {
  server_->stop();
  ASSERT_EQ(admin({"user", "create", "--org", std::string(kOrg), "--username", "rn.cold", "--name",
                   "Cold Start"},
                  "cold-start-password-1"),
            0)
      << output_;
  ASSERT_EQ(admin({"user", "password", "--org", std::string(kOrg), "--username", "rn.cold"},
                  "cold-start-password-2"),
            0)
      << output_;
  ASSERT_EQ(admin({"user", "disable", "--org", std::string(kOrg), "--username", "dr.patel"}), 0)
      << output_;
  server_->start();
  EXPECT_EQ(login_status("rn.cold", "cold-start-password-1"), 401);
  EXPECT_EQ(login_status("rn.cold", "cold-start-password-2"), 200);
  EXPECT_EQ(login_status("dr.patel", kDemoPassword), 401);
}

TEST_F(AdminTest, AStaleRunFileIsIgnoredAndRemoved) {
  server_->kill_hard();
  ASSERT_TRUE(fs::exists(run_file()));  // Nobody removed it.
  ASSERT_EQ(admin({"user", "create", "--org", std::string(kOrg), "--username", "rn.after", "--name",
                   "After Crash"},
                  "after-crash-password"),
            0)
      << output_;
  EXPECT_FALSE(fs::exists(run_file()));
  server_->start();
  EXPECT_EQ(login_status("rn.after", "after-crash-password"), 200);
}

TEST_F(AdminTest, AnUnsafeOrBrokenRunFileIsRefusedNotIgnored) {
  fs::permissions(run_file(), fs::perms::group_read, fs::perm_options::add);
  EXPECT_EQ(admin({"org", "list"}), 1);
  EXPECT_NE(output_.find("chmod 600"), std::string::npos) << output_;
  fs::permissions(run_file(), fs::perms::group_read, fs::perm_options::remove);
  const std::string saved = [&] {
    std::ifstream stream(run_file());
    return std::string(std::istreambuf_iterator<char>(stream), {});
  }();
  std::ofstream(run_file(), std::ios::trunc) << saved << "extra line\n";
  EXPECT_EQ(admin({"org", "list"}), 1);
  EXPECT_NE(output_.find("the run file is not valid"), std::string::npos) << output_;
  std::ofstream(run_file(), std::ios::trunc) << saved;
  EXPECT_EQ(admin({"org", "list"}), 0) << output_;
}

// Every call with the admin token is audited as the system, and every refused token.
TEST_F(AdminTest, AdminCallsAndRefusedTokensAreAudited) {
  ASSERT_EQ(admin({"user", "create", "--org", std::string(kOrg), "--username", "rn.audit", "--name",
                   "Audit Trail"},
                  "audit-trail-password"),
            0)
      << output_;
  // "created user N 'rn.audit'"
  const std::string created = output_.substr(13, output_.find(' ', 13) - 13);
  TestClient forger(server_->client_options());
  forger.set_token(std::string(64, 'f'));
  EXPECT_EQ(forger.call("GET", "/api/v1/system/orgs").status, 401);
  auto admin_session = login("admin");  // A session token is not the admin token.
  EXPECT_EQ(admin_session->call("GET", "/api/v1/system/orgs").status, 401);
  server_->stop();

  const auto entries = audit_entries();
  const auto count = [&](std::string_view action, std::string_view target, std::string_view outcome,
                         std::string_view detail) {
    return std::count_if(entries.begin(), entries.end(), [&](const AuditEntry& entry) {
      return entry.draft.action == action && entry.draft.target.find(target) == 0 &&
             entry.draft.outcome == outcome &&
             entry.draft.detail.find(detail) != std::string::npos && !entry.draft.actor.is_set();
    });
  };
  // The org lookup (by name, through the org list) and the create itself.
  EXPECT_GE(count("system.api", "GET /api/v1/system/orgs", "ok", "via=admin_token"), 1);
  EXPECT_EQ(count("system.api", "POST /api/v1/system/orgs/{id}/users", "ok",
                  "via=admin_token id=1 status=200 remote=127.0.0.1"),
            1);
  // The service's own entry of the write, in its batch, as the system.
  EXPECT_EQ(count("admin.user.create", "user:" + created, "ok", "admin=false"), 1);
  EXPECT_EQ(count("auth.refused", "/api/v1/system/orgs", "denied", "admin token"), 2);
}

}  // namespace
}  // namespace wl::testing
