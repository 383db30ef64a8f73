// Clinical routing through the real server: a schedule imported from an iCalendar
// file and a CSV with `wardline admin schedule import` (and over HTTPS), idempotent,
// with its problems reported; the imported shifts deciding where a message to the
// role goes; and what survives a restart.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/time.hpp"
#include "integration/fixture.hpp"

namespace wl::testing {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view kOrg = "Mercy General (demo)";

class RoutingTest : public ServerTest {
 protected:
  // Runs `wardline admin --data-dir D <arguments>`; its exit code, output in output_.
  int admin(std::vector<std::string> arguments) {
    std::vector<std::string> command{"admin", "--data-dir", server_->data_dir().string()};
    command.insert(command.end(), arguments.begin(), arguments.end());
    output_.clear();
    return run_wardline(command, &output_);
  }

  fs::path write_file(std::string_view name, std::string_view text) {
    const fs::path path = temp_.path() / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // A role of the demo by name.
  static std::int64_t role_named(TestClient& client, std::string_view name) {
    const json::value roles = client.get("/api/v1/roles");
    for (const json::value& role : roles.at("roles").as_array()) {
      if (role.at("name").as_string() == name) {
        return role.at("id").as_int64();
      }
    }
    ADD_FAILURE() << "no role " << name;
    return 0;
  }

  std::string output_;
};

// An iCalendar feed as a rostering tool exports it: a night shift given with a TZID,
// folded lines, an attendee named by e-mail and one by name only, an unknown person,
// and an unknown role.
std::string night_feed(Timestamp start) {
  const std::string from = format_rfc3339(start);
  const std::string to = format_rfc3339(start + 12h);
  auto ical_time = [](std::string rfc3339) {
    // 2026-12-07T19:00:00.000000Z -> 20261207T190000Z
    std::string out;
    for (char c : rfc3339.substr(0, 19)) {
      if (c != '-' && c != ':') {
        out.push_back(c);
      }
    }
    return out + "Z";
  };
  return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example Rota//EN\r\nX-WR-CALNAME:Nights\r\n"
         "BEGIN:VEVENT\r\nUID:night-1@rota.example\r\nDTSTAMP:20261201T120000Z\r\n"
         "DTSTART:" +
         ical_time(from) + "\r\nDTEND:" + ical_time(to) +
         "\r\nSUMMARY:Cardiology On\r\n  Call\r\n"
         "ATTENDEE;CN=Dr. Yasmin Haddad:mailto:dr.haddad@mercy.example\r\n"
         "END:VEVENT\r\n"
         "BEGIN:VEVENT\r\nUID:night-2@rota.example\r\nDTSTAMP:20261201T120000Z\r\n"
         "DTSTART:" +
         ical_time(from) + "\r\nDTEND:" + ical_time(to) +
         "\r\nSUMMARY:Cardiology On Call\r\n"
         "ATTENDEE;CN=Kenji Tanaka:mailto:k.tanaka@elsewhere.example\r\n"
         "END:VEVENT\r\n"
         "BEGIN:VEVENT\r\nUID:night-3@rota.example\r\nDTSTAMP:20261201T120000Z\r\n"
         "DTSTART:" +
         ical_time(from) + "\r\nDTEND:" + ical_time(to) +
         "\r\nSUMMARY:Cardiology Fellow Nights\r\n"
         "ATTENDEE;CN=Dr. Nina Patel:mailto:dr.patel@mercy.example\r\n"
         "END:VEVENT\r\nEND:VCALENDAR\r\n";
}

TEST_F(RoutingTest, AnImportedScheduleDecidesWhereAMessageToTheRoleGoes) {
  auto harper = login("rn.harper");
  const std::int64_t cardiology = role_named(*harper, "Cardiology On Call");
  // A night a month ahead, beyond the demo's week.
  const Timestamp start = std::chrono::floor<std::chrono::hours>(
                              std::chrono::time_point_cast<std::chrono::microseconds>(
                                  std::chrono::system_clock::now())) +
                          30 * 24h;
  const fs::path feed = write_file("nights.ics", night_feed(start));

  ASSERT_EQ(admin({"schedule", "import", "--org", std::string(kOrg), feed.string()}), 0) << output_;
  EXPECT_NE(output_.find("3 entries, 3 shifts: 1 created, 0 updated, 0 unchanged, 0 deleted, "
                         "2 problems"),
            std::string::npos)
      << output_;
  EXPECT_NE(output_.find("nobody in this organisation is \"k.tanaka@elsewhere.example\""),
            std::string::npos)
      << output_;
  EXPECT_NE(output_.find("no role is named \"Cardiology Fellow Nights\""), std::string::npos)
      << output_;
  EXPECT_NE(output_.find("imported 1 of 1 shifts"), std::string::npos) << output_;

  // Again: nothing changes.
  ASSERT_EQ(admin({"schedule", "import", "--org", std::string(kOrg), feed.string()}), 0) << output_;
  EXPECT_NE(output_.find("0 created, 0 updated, 1 unchanged"), std::string::npos) << output_;

  // The shift is in the schedule, as the file said, for everyone in the org.
  const json::value shifts =
      harper->get("/api/v1/shifts?from=" + format_rfc3339(start) +
                  "&to=" + format_rfc3339(start + 1h) + "&role_id=" + std::to_string(cardiology));
  bool found = false;
  for (const json::value& shift : shifts.at("shifts").as_array()) {
    if (shift.at("user_id").as_int64() == harper->user_id_of("dr.haddad") &&
        shift.at("starts_at").as_string() == format_rfc3339(start)) {
      found = true;
      EXPECT_EQ(shift.at("ends_at").as_string(), format_rfc3339(start + 12h));
      EXPECT_TRUE(shift.at("source_key").as_string().starts_with("ical:"));
    }
  }
  EXPECT_TRUE(found) << json::serialize(shifts);
}

TEST_F(RoutingTest, ACsvImportOverHttpsShowsProgressAndItsProblems) {
  auto scheduler = login("sched.ito");
  const std::string csv =
      "Person,Role,Start,End,Time_Zone\r\n"
      "dr.okafor,Hospitalist On Call,2027-03-13 19:00,2027-03-14 07:00,America/New_York\r\n"
      "\"García, Lucía\",Hospitalist On Call,2027-03-14 19:00,2027-03-15 07:00,America/New_York\r\n"
      "dr.garcia,Hospitalist On Call,2027-03-15 07:00,2027-03-15 06:00,America/New_York\r\n";
  const HttpAnswer started = scheduler->call(
      "POST", "/api/v1/schedule-imports?format=csv&time_zone=America/New_York", csv);
  ASSERT_EQ(started.status, 200) << json::serialize(started.body);
  const std::int64_t id = started.body.at("id").as_int64();
  json::value status = started.body;
  for (int tries = 0; tries < 400 && status.at("state").as_string() == "running"; ++tries) {
    std::this_thread::sleep_for(50ms);
    status = scheduler->get("/api/v1/schedule-imports/" + std::to_string(id));
  }
  ASSERT_EQ(status.at("state").as_string(), "done") << json::serialize(status);
  const json::value& report = status.at("report");
  EXPECT_EQ(report.at("entries").as_int64(), 3);
  EXPECT_EQ(report.at("created").as_int64(), 1);
  EXPECT_EQ(status.at("done").as_int64(), 1);
  EXPECT_EQ(status.at("total").as_int64(), 1);
  // The spring-forward night is 11 hours, as the zone's rules say.
  const json::value shifts =
      scheduler->get("/api/v1/shifts?from=2027-03-13T00:00:00Z&to=2027-03-16T00:00:00Z");
  ASSERT_EQ(shifts.at("shifts").as_array().size(), 1u) << json::serialize(shifts);
  EXPECT_EQ(shifts.at("shifts").at(0).at("starts_at").as_string(), "2027-03-14T00:00:00.000000Z");
  EXPECT_EQ(shifts.at("shifts").at(0).at("ends_at").as_string(), "2027-03-14T11:00:00.000000Z");
  // Two rows it could not use, each with its line and why.
  const json::array& problems = report.at("problems").as_array();
  ASSERT_EQ(problems.size(), 2u) << json::serialize(report);
  std::set<std::string> lines;
  for (const json::value& problem : problems) {
    lines.insert(std::string(problem.at("where").as_string()));
    EXPECT_FALSE(problem.at("reason").as_string().empty());
  }
  EXPECT_EQ(lines, (std::set<std::string>{"line 3", "line 4"}));

  // Someone without the permission is refused, and nothing is queued.
  auto nurse = login("rn.santos");
  EXPECT_EQ(nurse->call("POST", "/api/v1/schedule-imports?format=csv", csv).status, 403);
}

TEST_F(RoutingTest, AMessageToARoleReachesItsHolderAndTheRoutingSurvivesARestart) {
  auto harper = login("rn.harper");
  auto santos = login("rn.santos");
  const std::int64_t charge = role_named(*harper, "4 West Charge Nurse");
  // rn.harper holds the unit's phone (the demo signs her in); she hands it to rn.santos.
  const HttpAnswer handed =
      harper->call("POST", "/api/v1/roles/" + std::to_string(charge) + "/hand-over",
                   json::serialize(json::object{{"user_id", harper->user_id_of("rn.santos")}}));
  ASSERT_EQ(handed.status, 204) << json::serialize(handed.body);

  auto okafor = login("dr.okafor");
  const json::value thread =
      okafor->post("/api/v1/roles/" + std::to_string(charge) + "/thread", json::object{});
  EXPECT_EQ(thread.at("kind").as_string(), "role");
  EXPECT_EQ(thread.at("title").as_string(), "4 West Charge Nurse");
  const std::int64_t thread_id = thread.at("id").as_int64();
  santos->connect();
  okafor->connect();
  const json::value sent = okafor->send_message(thread_id, "r-1", "Bed 12 needs a sitter tonight");
  ASSERT_EQ(sent.at("type").as_string(), "sent") << json::serialize(sent);
  ASSERT_EQ(sent.at("routed_to").as_array().size(), 1u);
  EXPECT_EQ(sent.at("routed_to").at(0).at("user_id").as_int64(), santos->user_id());
  EXPECT_EQ(sent.at("routed_to").at(0).at("reason").as_string(), "signed_in");
  const json::value arrived =
      santos->next_matching([](const json::value& frame) { return is_event(frame, "routed"); });
  ASSERT_FALSE(arrived.is_null());
  EXPECT_EQ(arrived.at("event").at("user_id").as_int64(), santos->user_id());

  // After a restart the thread, its members and the sign-in are all still there.
  santos->disconnect();
  okafor->disconnect();
  server_->stop();
  server_->start();
  auto okafor_again = login("dr.okafor");
  const json::value preview =
      okafor_again->get("/api/v1/roles/" + std::to_string(charge) + "/preview");
  ASSERT_EQ(preview.at("recipients").as_array().size(), 1u);
  EXPECT_EQ(preview.at("recipients").at(0).at("user_id").as_int64(),
            okafor_again->user_id_of("rn.santos"));
  const json::value reopened = okafor_again->get("/api/v1/threads/" + std::to_string(thread_id));
  EXPECT_EQ(reopened.at("member_ids").as_array().size(), 2u);
  EXPECT_EQ(reopened.at("role_id").as_int64(), charge);
}

TEST_F(RoutingTest, TheAdminCommandSetsThePolicyAndABackupChainOnTheRunningServer) {
  auto patel = login("dr.patel");
  ASSERT_EQ(admin({"escalation", "policy", "--org", std::string(kOrg), "--urgent-after", "60",
                   "--normal-after", "600", "--realert-every", "30"}),
            0)
      << output_;
  const json::value policy = patel->get("/api/v1/escalation-policy");
  EXPECT_EQ(policy.at("urgent_after_seconds").as_int64(), 60);
  EXPECT_EQ(policy.at("normal_after_seconds").as_int64(), 600);
  EXPECT_EQ(policy.at("realert_every_seconds").as_int64(), 30);

  ASSERT_EQ(admin({"escalation", "backups", "--org", std::string(kOrg), "--username", "dr.patel",
                   "--backup", "user:dr.haddad", "--backup", "role:rapid response rn"}),
            0)
      << output_;
  EXPECT_NE(output_.find("'dr.patel' has 2 backups"), std::string::npos) << output_;
  const json::value chain =
      patel->get("/api/v1/users/" + std::to_string(patel->user_id()) + "/backups");
  const json::array& steps = chain.at("backups").as_array();
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].at("user_id").as_int64(), patel->user_id_of("dr.haddad"));
  EXPECT_EQ(steps[1].at("role_id").as_int64(), role_named(*patel, "Rapid Response RN"));

  EXPECT_NE(admin({"escalation", "backups", "--org", std::string(kOrg), "--username", "dr.patel",
                   "--backup", "dr.haddad"}),
            0);
  EXPECT_NE(output_.find("give user:USERNAME or role:ROLE NAME"), std::string::npos) << output_;
  EXPECT_NE(admin({"escalation", "backups", "--org", std::string(kOrg), "--username", "dr.patel",
                   "--backup", "user:dr.patel"}),
            0);
  EXPECT_NE(output_.find("a person cannot be their own backup"), std::string::npos) << output_;
}

}  // namespace
}  // namespace wl::testing
