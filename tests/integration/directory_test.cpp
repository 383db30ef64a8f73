// Directory search and the org screen over the protocol (docs/protocol.md, "Directory"
// and "Org screen"): the real server over TLS, on SQLite, and two nodes on PostgreSQL.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "integration/fixture.hpp"
#include "support/postgres_server.hpp"
#include "support/server_process.hpp"
#include "support/test_client.hpp"

namespace wl::testing {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;

class DirectoryTest : public ServerTest {
 protected:
  static json::array results(TestClient& client, std::string_view query) {
    const auto answer = client.call("GET", fmt::format("/api/v1/directory?{}", query));
    EXPECT_EQ(answer.status, 200) << query << ": " << json::serialize(answer.body);
    if (answer.status != 200) {
      return {};
    }
    return answer.body.at("results").as_array();
  }

  static std::string error_code(const HttpAnswer& answer) {
    if (!answer.body.is_object() || !answer.body.as_object().contains("error")) {
      return "";
    }
    return std::string(answer.body.at("error").at("code").as_string());
  }
};

TEST_F(DirectoryTest, FindsPeopleByPrefixWithoutCaseOrAccents) {
  auto harper = login("rn.harper");
  auto found = results(*harper, "q=garc");
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].at("kind").as_string(), "person");
  EXPECT_EQ(found[0].at("username").as_string(), "dr.garcia");
  EXPECT_EQ(found[0].at("display_name").as_string(), "Dr. Lucía García");
  EXPECT_EQ(found[0].at("department").as_string(), "Pediatrics");
  EXPECT_EQ(found[0].at("title").as_string(), "Pediatrics");
  EXPECT_FALSE(found[0].at("online").as_bool());
  EXPECT_EQ(found[0].at("match").as_string(), "word");
  // Accented or not, any case: the same person.
  for (const std::string_view query : {"q=M%C3%BCller", "q=MULLER", "q=mull"}) {
    found = results(*harper, query);
    ASSERT_EQ(found.size(), 1u) << query;
    EXPECT_EQ(found[0].at("username").as_string(), "rn.muller");
  }
  // By department and title too; two words narrow it.
  found = results(*harper, "q=4%20west&kinds=person");
  std::vector<std::string> names;
  for (const auto& entry : found) {
    names.emplace_back(entry.at("username").as_string());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"rn.santos", "rn.harper", "clerk.jones"}));
  found = results(*harper, "q=pharm%20clin");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].at("username").as_string(), "pharm.rossi");
  // The caller shows online while connected.
  harper->connect();
  found = results(*harper, "q=oliv");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_TRUE(found[0].at("online").as_bool());
  EXPECT_EQ(found[0].at("match").as_string(), "first_word");
}

TEST_F(DirectoryTest, RolesComeWithWhoIsOnCallAndRankFirstWhenExact) {
  auto harper = login("rn.harper");
  const auto found = results(*harper, "q=cardiology%20on%20call");
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].at("kind").as_string(), "role");
  EXPECT_EQ(found[0].at("name").as_string(), "Cardiology On Call");
  EXPECT_EQ(found[0].at("match").as_string(), "exact");
  // The demo's shifts cover every hour of its week: someone holds it now.
  const auto& on_call = found[0].at("on_call").as_array();
  ASSERT_EQ(on_call.size(), 1u) << json::serialize(found[0]);
  const std::string holder(on_call[0].at("display_name").as_string());
  EXPECT_TRUE(holder == "Dr. Nina Patel" || holder == "Jordan Brooks, NP") << holder;
  EXPECT_EQ(on_call[0].at("reason").as_string(), "on_call");
  // "cardio" finds the role and the cardiology people, the role first (its first word).
  const auto broad = results(*harper, "q=cardio");
  ASSERT_EQ(broad.size(), 3u);
  EXPECT_EQ(broad[0].at("kind").as_string(), "role");
}

TEST_F(DirectoryTest, GroupsAreFoundOnlyByTheirMembersAndShowingThemIsAudited) {
  auto santos = login("rn.santos");
  auto found = results(*santos, "q=hudd");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].at("kind").as_string(), "group");
  EXPECT_EQ(found[0].at("title").as_string(), "4 West huddle");
  EXPECT_EQ(found[0].at("members").as_int64(), 4);
  auto patel = login("dr.patel");
  EXPECT_TRUE(results(*patel, "q=hudd").empty());
  EXPECT_TRUE(results(*santos, "q=hudd&kinds=person,role").empty());
  server_->stop();
  int audited = 0;
  for (const AuditEntry& entry : audit_entries()) {
    if (entry.draft.action == "directory.search") {
      ++audited;
      EXPECT_EQ(entry.draft.detail, "results=1,groups=1");
      EXPECT_EQ(entry.draft.detail.find("hudd"), std::string::npos);
    }
  }
  EXPECT_EQ(audited, 1);
}

TEST_F(DirectoryTest, BadSearchesAreRefusedWithAClearError) {
  auto harper = login("rn.harper");
  for (const std::string_view target :
       {"/api/v1/directory", "/api/v1/directory?q=", "/api/v1/directory?q=%2C%2E",
        "/api/v1/directory?q=a&kinds=person,pager", "/api/v1/directory?q=a&kinds=",
        "/api/v1/directory?q=a&limit=0", "/api/v1/directory?q=a&limit=51",
        "/api/v1/directory?q=a&limit=x", "/api/v1/directory?q=a&sort=name",
        "/api/v1/directory?q=a%20b%20c%20d%20e%20f%20g", "/api/v1/directory?q=%FF"}) {
    const auto answer = harper->call("GET", target);
    EXPECT_EQ(answer.status, 400) << target << ": " << json::serialize(answer.body);
    EXPECT_EQ(error_code(answer), "invalid_argument") << target;
  }
  const std::string long_query(101, 'a');
  EXPECT_EQ(harper->call("GET", "/api/v1/directory?q=" + long_query).status, 400);
  EXPECT_EQ(results(*harper, "q=a&limit=2").size(), 2u);
  TestClient anonymous(server_->client_options());
  EXPECT_EQ(anonymous.call("GET", "/api/v1/directory?q=a").status, 401);
  EXPECT_EQ(anonymous.call("GET", "/api/v1/org-screen").status, 401);
}

TEST_F(DirectoryTest, AdminsSetDepartmentsAndTheNextSearchSeesThem) {
  auto admin = login("admin");
  auto harper = login("rn.harper");
  const std::int64_t kim = harper->user_id_of("pa.kim");
  const std::string target = fmt::format("/api/v1/admin/users/{}/directory", kim);
  const std::string body = R"({"title":"Hand surgery PA","department":"Plastic Surgery"})";
  EXPECT_EQ(harper->call("PUT", target, body).status, 403);
  const auto answer = admin->call("PUT", target, body);
  ASSERT_EQ(answer.status, 200) << json::serialize(answer.body);
  EXPECT_EQ(answer.body.at("department").as_string(), "Plastic Surgery");
  const auto found = results(*harper, "q=plast");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].at("username").as_string(), "pa.kim");
  // The user list shows it too.
  bool listed = false;
  const json::value users = harper->get("/api/v1/users");
  for (const auto& user : users.at("users").as_array()) {
    if (user.at("id").as_int64() == kim) {
      listed = user.at("department").as_string() == "Plastic Surgery";
    }
  }
  EXPECT_TRUE(listed);
  EXPECT_EQ(admin->call("PUT", target, R"({"title":"x"})").status, 400);
  EXPECT_EQ(admin->call("PUT", target, R"({"title":"x","department":"y","z":1})").status, 400);
  EXPECT_EQ(admin->call("PUT", "/api/v1/admin/users/99999/directory", body).status, 404);

  // The command line, through the running server's admin API.
  std::string output;
  ASSERT_EQ(run_wardline({"admin", "--data-dir", server_->data_dir().string(), "user", "directory",
                          "--org", "Mercy General (demo)", "--username", "rt.walsh", "--title",
                          "Respiratory therapist", "--department", "Pulmonology"},
                         &output),
            0)
      << output;
  const auto walsh = results(*harper, "q=pulmo");
  ASSERT_EQ(walsh.size(), 1u);
  EXPECT_EQ(walsh[0].at("username").as_string(), "rt.walsh");
  server_->stop();
  int changes = 0, refusals = 0;
  for (const AuditEntry& entry : audit_entries()) {
    if (entry.draft.action == "admin.user.directory") {
      changes += entry.draft.outcome == "ok" ? 1 : 0;
      refusals += entry.draft.outcome == "denied" ? 1 : 0;
    }
  }
  EXPECT_GE(changes, 2);  // The demo's seeding sets every department too.
  EXPECT_EQ(refusals, 1);
}

TEST_F(DirectoryTest, TheOrgScreenShowsStaffAndOnCallAndEditsDoNotOverwrite) {
  auto harper = login("rn.harper");
  const auto screen = harper->get("/api/v1/org-screen");
  ASSERT_EQ(screen.at("version").as_int64(), 1) << json::serialize(screen);
  const auto& sections = screen.at("sections").as_array();
  ASSERT_EQ(sections.size(), 4u);
  EXPECT_EQ(sections[0].at("title").as_string(), "On call now");
  const auto& on_call = sections[0].at("items").at(0);
  EXPECT_EQ(on_call.at("type").as_string(), "on_call");
  EXPECT_FALSE(on_call.at("roles").as_array().empty());
  const auto& staff = sections[2].at("items").at(0);
  EXPECT_EQ(staff.at("type").as_string(), "staff");
  EXPECT_EQ(staff.at("department").as_string(), "Cardiology");
  const auto& people = staff.at("people").as_array();
  ASSERT_EQ(people.size(), 2u);
  EXPECT_EQ(people[0].at("display_name").as_string(), "Dr. Nina Patel");
  EXPECT_EQ(sections[1].at("items").at(0).at("number").as_string(), "555-0100");

  const std::string page =
      R"({"version":1,"sections":[{"title":"Numbers","items":[)"
      R"({"type":"phone","label":"Operator","number":"555-0100"},)"
      R"({"type":"link","label":"Policies","url":"https://example.org/policies"},)"
      R"({"type":"staff","department":"ICU"},{"type":"on_call"}]}]})";
  auto admin = login("admin");
  const auto refused = harper->call("PUT", "/api/v1/org-screen", page);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(error_code(refused), "permission_denied");
  const auto saved = admin->call("PUT", "/api/v1/org-screen", page);
  ASSERT_EQ(saved.status, 200) << json::serialize(saved.body);
  EXPECT_EQ(saved.body.at("version").as_int64(), 2);
  EXPECT_EQ(saved.body.at("updated_by").as_int64(), admin->user_id());
  const auto& icu = saved.body.at("sections").at(0).at("items").at(2).at("people").as_array();
  ASSERT_EQ(icu.size(), 1u);
  EXPECT_EQ(icu[0].at("display_name").as_string(), "Grace Chen, RN");
  // A second editor who loaded version 1 is told, and the first edit stays.
  const auto conflict = admin->call("PUT", "/api/v1/org-screen", page);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(error_code(conflict), "aborted");
  EXPECT_EQ(harper->get("/api/v1/org-screen").at("version").as_int64(), 2);

  const std::vector<std::string> bad_bodies{
      R"({"sections":[]})",
      R"({"version":-1,"sections":[]})",
      R"({"version":2})",
      R"({"version":2,"sections":[{"title":"x","items":[{"type":"link","label":"a","url":"http://x.org"}]}]})",
      R"j({"version":2,"sections":[{"title":"x","items":[{"type":"link","label":"a","url":"javascript:alert(1)"}]}]})j",
      R"({"version":2,"sections":[{"title":"x","items":[{"type":"phone","label":"a","number":"call me"}]}]})",
      R"({"version":2,"sections":[{"title":"","items":[]}]})",
      R"({"version":2,"sections":[{"title":"x","items":[{"type":"staff"}]}]})",
      R"({"version":2,"sections":[{"title":"x","items":[{"type":"pager"}]}]})",
      R"({"version":2,"sections":[{"title":"x","items":[{"type":"on_call","extra":1}]}]})",
      R"({"version":2,"sections":[],"extra":true})",
      "not json"};
  for (const std::string& bad : bad_bodies) {
    const auto answer = admin->call("PUT", "/api/v1/org-screen", bad);
    EXPECT_EQ(answer.status, 400) << bad << ": " << json::serialize(answer.body);
    EXPECT_EQ(error_code(answer), "invalid_argument") << bad;
  }
  std::string many = R"({"version":2,"sections":[)";
  for (int i = 0; i < 21; ++i) {
    many += std::string(i == 0 ? "" : ",") + R"({"title":"s","items":[]})";
  }
  many += "]}";
  EXPECT_EQ(admin->call("PUT", "/api/v1/org-screen", many).status, 400);
  EXPECT_EQ(harper->get("/api/v1/org-screen").at("version").as_int64(), 2);

  server_->stop();
  std::vector<std::string> outcomes;
  for (const AuditEntry& entry : audit_entries()) {
    if (entry.draft.action == "admin.org_screen.save") {
      outcomes.push_back(entry.draft.outcome);
    }
  }
  // The demo's first save, then this test's refusal, save and conflict.
  EXPECT_EQ(outcomes, (std::vector<std::string>{"ok", "denied", "ok", "conflict"}));
}

// Two nodes on one PostgreSQL database: a change made through one node is in the next
// search on the other (each node's index checks the store's directory version).
TEST(DirectoryNodesTest, AChangeOnOneNodeIsSeenByTheOthersNextSearch) {
  auto postgres = PostgresServer::shared();
  ASSERT_TRUE(postgres.has_value()) << postgres.error().to_string();
  auto database = (*postgres)->create_database();
  ASSERT_TRUE(database.has_value()) << database.error().to_string();
  const std::string url =
      fmt::format("postgresql://postgres@127.0.0.1:{}/{}", (*postgres)->port(), *database);
  TempDir temp;
  const std::vector<std::string> flags{"--store", url, "--audit-key-file",
                                       (temp.path() / "audit-signing.key").string()};
  ServerProcess first(temp.path() / "node-a", flags);
  first.start();
  ASSERT_NE(first.port(), 0);
  fs::create_directories(temp.path() / "node-b" / "keys");
  fs::copy_file(temp.path() / "node-a" / "keys" / "kek.json",
                temp.path() / "node-b" / "keys" / "kek.json");
  ServerProcess second(temp.path() / "node-b", flags);
  second.start();
  ASSERT_NE(second.port(), 0);

  TestClient reader(second.client_options(), "rn.harper");
  const auto before = reader.call("GET", "/api/v1/directory?q=toxicol");
  ASSERT_EQ(before.status, 200);
  EXPECT_TRUE(before.body.at("results").as_array().empty());
  TestClient admin(first.client_options(), "admin");
  const auto set = admin.call(
      "PUT", fmt::format("/api/v1/admin/users/{}/directory", admin.user_id_of("pharm.rossi")),
      R"({"title":"Clinical pharmacist","department":"Toxicology"})");
  ASSERT_EQ(set.status, 200) << json::serialize(set.body);
  const auto after = reader.call("GET", "/api/v1/directory?q=toxicol");
  ASSERT_EQ(after.status, 200);
  ASSERT_EQ(after.body.at("results").as_array().size(), 1u);
  EXPECT_EQ(after.body.at("results").at(0).at("username").as_string(), "pharm.rossi");
}

}  // namespace
}  // namespace wl::testing
