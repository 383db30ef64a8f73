// Message search over the protocol (docs/protocol.md, "Message search"; docs/search.md):
// the real server over TLS on SQLite, with the demo org.

#include <sqlite3.h>

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "integration/fixture.hpp"
#include "support/schema_downgrades.hpp"

namespace wl::testing {
namespace {
namespace json = boost::json;

class SearchTest : public ServerTest {
 protected:
  // The bodies of the hits `client` gets for `query`, newest first.
  static std::vector<std::string> bodies(TestClient& client, std::string_view query) {
    const json::value page = client.get(fmt::format("/api/v1/search/messages?{}", query));
    std::vector<std::string> found;
    for (const json::value& hit : page.at("hits").as_array()) {
      found.emplace_back(hit.at("body").as_string());
    }
    return found;
  }

  static std::string error_code(const HttpAnswer& answer) {
    if (!answer.body.is_object() || !answer.body.as_object().contains("error")) {
      return "";
    }
    return std::string(answer.body.at("error").at("code").as_string());
  }

  static void send(TestClient& client, std::int64_t thread, std::string_view client_id,
                   std::string_view body) {
    const json::value sent = client.send_message(thread, client_id, body);
    ASSERT_EQ(sent.at("type").as_string(), "sent") << json::serialize(sent);
  }
};

TEST_F(SearchTest, MembersFindMessagesByTheirWordsNewestFirstAndOthersDoNot) {
  auto harper = login("rn.harper");
  auto chen = login("rn.chen");
  const std::int64_t thread = direct_thread(*harper, "rn.chen");
  harper->connect();
  send(*harper, thread, "s-1", "Bed 12: potassium 5.9, repeat the draw");
  send(*harper, thread, "s-2", "Potassium repeat is 4.1. Café au lait spots noted.");
  send(*harper, thread, "s-3", "Lunch at noon?");

  EXPECT_EQ(bodies(*harper, "q=potassium"),
            (std::vector<std::string>{"Potassium repeat is 4.1. Café au lait spots noted.",
                                      "Bed 12: potassium 5.9, repeat the draw"}));
  // Whole words, every one of them, without case or accents, for the other member too.
  EXPECT_EQ(bodies(*chen, "q=POTASSIUM%20draw"),
            (std::vector<std::string>{"Bed 12: potassium 5.9, repeat the draw"}));
  EXPECT_EQ(bodies(*chen, "q=cafe"),
            (std::vector<std::string>{"Potassium repeat is 4.1. Café au lait spots noted."}));
  EXPECT_TRUE(bodies(*chen, "q=potass").empty());
  EXPECT_TRUE(bodies(*chen, "q=potassium%20lunch").empty());

  // A hit is the message as history shows it, with the words to highlight.
  const json::value page = chen->get("/api/v1/search/messages?q=Lunch");
  ASSERT_EQ(page.at("hits").as_array().size(), 1u);
  const json::value& hit = page.at("hits").as_array()[0];
  EXPECT_EQ(hit.at("kind").as_string(), "message");
  EXPECT_EQ(hit.at("thread_id").as_int64(), thread);
  EXPECT_EQ(hit.at("seq").as_int64(), 3);
  EXPECT_EQ(hit.at("sender_id").as_int64(), harper->user_id());
  EXPECT_EQ(hit.at("client_id").as_string(), "s-3");
  EXPECT_EQ(page.at("words"), (json::array{"lunch"}));
  EXPECT_TRUE(page.at("next_before").is_null());

  // Someone outside the conversation finds nothing of it.
  auto patel = login("dr.patel");
  EXPECT_TRUE(bodies(*patel, "q=potassium").empty());
}

TEST_F(SearchTest, PagesFollowNextBefore) {
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "rn.chen");
  harper->connect();
  for (int i = 0; i < 5; ++i) {
    send(*harper, thread, fmt::format("p-{}", i), fmt::format("rounds note {}", i));
  }
  std::vector<std::string> seen;
  std::string query = "q=rounds&limit=2";
  int pages = 0;
  while (true) {
    const json::value page = harper->get("/api/v1/search/messages?" + query);
    ++pages;
    for (const json::value& hit : page.at("hits").as_array()) {
      seen.emplace_back(hit.at("body").as_string());
    }
    if (page.at("next_before").is_null()) {
      break;
    }
    query = fmt::format("q=rounds&limit=2&before={}", page.at("next_before").as_int64());
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"rounds note 4", "rounds note 3", "rounds note 2",
                                            "rounds note 1", "rounds note 0"}));
}

TEST_F(SearchTest, AMemberWhoLeftFindsOnlyWhatWasSentWhileTheyWereOne) {
  auto patel = login("dr.patel");
  auto harper = login("rn.harper");
  const std::int64_t chen = patel->user_id_of("rn.chen");
  const json::value group = patel->post(
      "/api/v1/threads", json::object{{"kind", "group"},
                                      {"title", "Night team"},
                                      {"member_ids", json::array{harper->user_id(), chen}}});
  const std::int64_t thread = group.at("id").as_int64();
  patel->connect();
  send(*patel, thread, "g-1", "handover at seven");
  ASSERT_EQ(
      patel->call("DELETE", fmt::format("/api/v1/threads/{}/members/{}", thread, harper->user_id()))
          .status,
      204);
  send(*patel, thread, "g-2", "handover moved to eight");
  EXPECT_EQ(bodies(*harper, "q=handover"), (std::vector<std::string>{"handover at seven"}));
  EXPECT_EQ(bodies(*patel, "q=handover"),
            (std::vector<std::string>{"handover moved to eight", "handover at seven"}));
}

TEST_F(SearchTest, APatientNarrowsTheSearchOrListsTheirMessages) {
  auto patel = login("dr.patel");
  const std::int64_t harper = patel->user_id_of("rn.harper");
  const auto about = [&](std::int64_t patient) {
    return patel
        ->post("/api/v1/threads", json::object{{"kind", "patient"},
                                               {"patient_id", patient},
                                               {"member_ids", json::array{harper}}})
        .at("id")
        .as_int64();
  };
  const std::int64_t first = about(1);
  const std::int64_t second = about(2);
  patel->connect();
  send(*patel, first, "p1-a", "start heparin drip");
  send(*patel, first, "p1-b", "check the wound");
  send(*patel, second, "p2-a", "heparin held for surgery");
  EXPECT_EQ(bodies(*patel, "q=heparin&patient_id=1"),
            (std::vector<std::string>{"start heparin drip"}));
  // Without words: the patient's messages, newest first (the demo's come after these).
  const json::value listed = patel->get("/api/v1/search/messages?patient_id=1");
  const json::array& hits = listed.at("hits").as_array();
  ASSERT_GE(hits.size(), 2u);
  EXPECT_EQ(hits[0].at("body").as_string(), "check the wound");
  EXPECT_EQ(hits[1].at("body").as_string(), "start heparin drip");
  for (const json::value& hit : hits) {
    EXPECT_NE(hit.at("thread_id").as_int64(), second);
  }
  EXPECT_EQ(bodies(*patel, "q=heparin"),
            (std::vector<std::string>{"heparin held for surgery", "start heparin drip"}));
  auto chen = login("rn.chen");
  EXPECT_TRUE(bodies(*chen, "q=heparin").empty());
}

TEST_F(SearchTest, BadQueriesAreRefusedWithTheirReason) {
  auto harper = login("rn.harper");
  for (const std::string_view query :
       {"", "q=", "q=%2C%20%21", "q=a%20b%20c%20d%20e%20f%20g%20h%20i", "q=x&limit=0",
        "q=x&limit=51", "q=x&before=-1", "q=x&patient_id=abc", "q=x&sort=old", "q=%FF"}) {
    const HttpAnswer answer = harper->call("GET", fmt::format("/api/v1/search/messages?{}", query));
    EXPECT_EQ(answer.status, 400) << query << ": " << json::serialize(answer.body);
    EXPECT_EQ(error_code(answer), "invalid_argument") << query;
  }
  const std::string long_query = "q=" + std::string(257, 'a');
  EXPECT_EQ(harper->call("GET", "/api/v1/search/messages?" + long_query).status, 400);
  // Without a session: refused.
  harper->set_token("not-a-token");
  EXPECT_EQ(harper->call("GET", "/api/v1/search/messages?q=x").status, 401);
}

TEST_F(SearchTest, SearchesAreAuditedWithoutTheirWords) {
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "rn.chen");
  harper->connect();
  send(*harper, thread, "a-1", "zanzibar protocol");
  EXPECT_EQ(bodies(*harper, "q=zanzibar%20protocol").size(), 1u);
  EXPECT_EQ(bodies(*harper, "q=zanzibar&patient_id=1").size(), 0u);
  harper.reset();
  server_->stop();
  std::vector<AuditEntry> searches;
  for (AuditEntry& entry : audit_entries()) {
    EXPECT_EQ(entry.draft.detail.find("zanzibar"), std::string::npos) << entry.draft.action;
    EXPECT_EQ(entry.draft.target.find("zanzibar"), std::string::npos) << entry.draft.action;
    if (entry.draft.action == "message.search") {
      searches.push_back(std::move(entry));
    }
  }
  ASSERT_EQ(searches.size(), 2u);
  EXPECT_EQ(searches[0].draft.outcome, "ok");
  EXPECT_EQ(searches[0].draft.target, "messages");
  EXPECT_EQ(searches[0].draft.detail, "words=2 hits=1");
  EXPECT_EQ(searches[1].draft.target, "patient:1");
  EXPECT_EQ(searches[1].draft.detail, "words=1 hits=0");
}

TEST_F(SearchTest, SearchingTooFastIsRefusedForAMoment) {
  auto harper = login("rn.harper");
  int refused = 0;
  for (int i = 0; i < 40 && refused == 0; ++i) {
    const HttpAnswer answer = harper->call("GET", "/api/v1/search/messages?q=anything");
    if (answer.status == 429) {
      EXPECT_EQ(error_code(answer), "resource_exhausted");
      ++refused;
    } else {
      EXPECT_EQ(answer.status, 200);
    }
  }
  EXPECT_EQ(refused, 1);
  // Another user has their own allowance.
  auto chen = login("rn.chen");
  EXPECT_EQ(chen->call("GET", "/api/v1/search/messages?q=anything").status, 200);
}

TEST_F(SearchTest, MessagesStayFoundAfterTheOrgsDataKeyRotates) {
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "rn.chen");
  harper->connect();
  send(*harper, thread, "k-1", "zymogen before rotation");
  auto admin = login("admin");
  const HttpAnswer rotated = admin->call("POST", "/api/v1/admin/keys/rotate", "{}");
  ASSERT_EQ(rotated.status, 200) << json::serialize(rotated.body);
  send(*harper, thread, "k-2", "zymogen after rotation");
  EXPECT_EQ(bodies(*harper, "q=zymogen"),
            (std::vector<std::string>{"zymogen after rotation", "zymogen before rotation"}));
}

// Runs `sql` on the (closed) store.
void run_on_store(const std::filesystem::path& database, const std::string& sql) {
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(database.c_str(), &handle), SQLITE_OK);
  char* message = nullptr;
  EXPECT_EQ(sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK)
      << (message != nullptr ? message : "");
  sqlite3_free(message);
  sqlite3_close(handle);
}

TEST_F(SearchTest, MessagesSentBeforeSearchAreIndexedAtStart) {
  std::int64_t thread = 0;
  {
    auto harper = login("rn.harper");
    thread = direct_thread(*harper, "rn.chen");
    harper->connect();
    for (int i = 0; i < 3; ++i) {
      send(*harper, thread, fmt::format("old-{}", i), fmt::format("legacy note {}", i));
    }
  }
  server_->stop();
  // Schema 18: no search index, so none of the messages is in it.
  run_on_store(server_->data_dir() / "wardline.db",
               std::string(testing::kDropCallback) + std::string(testing::kDropMessageSearch) +
                   "PRAGMA user_version = 18");
  server_->start();
  {
    auto chen = login("rn.chen");
    EXPECT_EQ(bodies(*chen, "q=legacy"),
              (std::vector<std::string>{"legacy note 2", "legacy note 1", "legacy note 0"}));
  }
  // A second start has nothing left to do.
  server_->stop();
  server_->start();
  auto chen = login("rn.chen");
  EXPECT_EQ(bodies(*chen, "q=note&limit=1").size(), 1u);
}

}  // namespace
}  // namespace wl::testing
