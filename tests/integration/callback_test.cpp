// Call back and quick notes over the protocol (docs/callback.md, docs/quick_notes.md):
// the real server over TLS on SQLite, numbers and notes sealed at rest.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "integration/fixture.hpp"
#include "support/server_process.hpp"
#include "support/test_client.hpp"

namespace wl::testing {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;

class CallbackTest : public ServerTest {
 protected:
  static std::string error_of(const HttpAnswer& answer) {
    if (!answer.body.is_object() || !answer.body.as_object().contains("error")) {
      return "";
    }
    return fmt::format("{} {}", std::string(answer.body.at("error").at("code").as_string()),
                       std::string(answer.body.at("error").at("message").as_string()));
  }

  static HttpAnswer put(TestClient& client, std::string_view target, const json::value& body) {
    return client.call("PUT", target, json::serialize(body));
  }

  static json::value patel_phones() {
    return json::object{
        {"phones",
         json::array{
             json::object{
                 {"kind", "work"}, {"number", "+1 (555) 010-2000"}, {"visibility", "everyone"}},
             json::object{{"kind", "mobile"},
                          {"number", "+1 555.010.3000"},
                          {"visibility", "colleagues"},
                          {"preferred", true}},
             json::object{{"kind", "pager"}, {"number", "44 12"}, {"visibility", "admins"}}}}};
  }

  static std::vector<std::string> numbers(const json::value& answer) {
    std::vector<std::string> found;
    for (const auto& phone : answer.at("phones").as_array()) {
      found.push_back(fmt::format("{}:{}", std::string(phone.at("kind").as_string()),
                                  std::string(phone.at("number").as_string())));
    }
    return found;
  }

  static json::value user_entry(TestClient& client, std::int64_t user) {
    const json::value users = client.get("/api/v1/users");  // Alive while iterated.
    for (const auto& entry : users.at("users").as_array()) {
      if (entry.at("id").as_int64() == user) {
        return entry;
      }
    }
    return nullptr;
  }
};

TEST_F(CallbackTest, NumbersAreNormalisedAndSeenAsTheirVisibilityAllows) {
  auto patel = login("dr.patel");
  auto chen = login("rn.chen");
  auto admin = login("admin");
  const HttpAnswer saved = put(*patel, "/api/v1/me/phones", patel_phones());
  ASSERT_EQ(saved.status, 200) << json::serialize(saved.body);
  EXPECT_EQ(numbers(saved.body),
            (std::vector<std::string>{"work:+15550102000", "mobile:+15550103000", "pager:4412"}));
  EXPECT_EQ(saved.body.at("callback").as_string(), "+15550103000");
  EXPECT_EQ(numbers(patel->get("/api/v1/me/phones")), numbers(saved.body));

  // Sharing no thread, rn.chen sees the work number only, and calls back on it.
  const std::string patel_phones_path = fmt::format("/api/v1/users/{}/phones", patel->user_id());
  json::value seen = chen->get(patel_phones_path);
  EXPECT_EQ(numbers(seen), (std::vector<std::string>{"work:+15550102000"}));
  EXPECT_EQ(seen.at("callback").as_string(), "+15550102000");
  EXPECT_EQ(user_entry(*chen, patel->user_id()).at("callback").as_string(), "+15550102000");
  EXPECT_TRUE(user_entry(*chen, admin->user_id()).at("callback").is_null());
  // A colleague (a thread in common) sees the mobile, the preferred one.
  direct_thread(*chen, "dr.patel");
  seen = chen->get(patel_phones_path);
  EXPECT_EQ(numbers(seen), (std::vector<std::string>{"work:+15550102000", "mobile:+15550103000"}));
  EXPECT_EQ(seen.at("callback").as_string(), "+15550103000");
  EXPECT_EQ(user_entry(*chen, patel->user_id()).at("callback").as_string(), "+15550103000");
  const json::value found = chen->get("/api/v1/directory?q=patel&kinds=person");
  EXPECT_EQ(found.at("results").at(0).at("callback").as_string(), "+15550103000");
  // An admin sees every number.
  EXPECT_EQ(numbers(admin->get(patel_phones_path)).size(), 3u);

  // Clearing them: nobody has a number to call any more.
  ASSERT_EQ(put(*patel, "/api/v1/me/phones", json::object{{"phones", json::array{}}}).status, 200);
  EXPECT_TRUE(chen->get(patel_phones_path).at("phones").as_array().empty());
  EXPECT_TRUE(user_entry(*chen, patel->user_id()).at("callback").is_null());
  EXPECT_EQ(chen->call("GET", "/api/v1/users/999999/phones").status, 404);
}

TEST_F(CallbackTest, BadNumbersAreRefusedWithTheRule) {
  auto patel = login("dr.patel");
  const auto one = [](json::object phone) {
    return json::object{{"phones", json::array{std::move(phone)}}};
  };
  const std::vector<std::pair<json::value, std::string>> cases = {
      {one({{"kind", "work"}, {"number", "555-CALL"}}),
       "invalid_argument phones[0].number must be +, then 8 to 15 digits (E.164), or an "
       "extension of 2 to 6 digits; spaces, hyphens, dots and brackets are ignored"},
      {one({{"kind", "work"}, {"number", "+0555010200"}}), "invalid_argument phones[0].number"},
      {one({{"kind", "work"}, {"number", "1"}}), "invalid_argument phones[0].number"},
      {one({{"kind", "work"}, {"number", "+1234567890123456"}}),
       "invalid_argument phones[0].number"},
      {one({{"kind", "fax"}, {"number", "4412"}}),
       "invalid_argument phones[0].kind is one of work, mobile, pager"},
      {one({{"kind", "work"}, {"number", "4412"}, {"visibility", "world"}}),
       "invalid_argument phones[0].visibility is one of everyone, colleagues, admins"},
      {one({{"kind", "work"}, {"number", "4412"}, {"extra", 1}}),
       "invalid_argument phones[0]: unknown field 'extra'"},
      {json::object{{"phones", json::array{json::object{{"kind", "work"}, {"number", "4412"}},
                                           json::object{{"kind", "work"}, {"number", "4413"}}}}},
       "invalid_argument phones has two work numbers: one of each kind"},
      {json::object{
           {"phones",
            json::array{json::object{{"kind", "work"}, {"number", "4412"}, {"preferred", true}},
                        json::object{{"kind", "pager"}, {"number", "4413"}, {"preferred", true}}}}},
       "invalid_argument at most one number is preferred"},
      {json::object{{"phones", "4412"}}, "invalid_argument phones must be an array"},
      {json::object{{"phones", json::array{}}, {"more", 1}},
       "invalid_argument unknown field: the body has only phones"},
  };
  for (const auto& [body, expected] : cases) {
    const HttpAnswer answer = put(*patel, "/api/v1/me/phones", body);
    EXPECT_EQ(answer.status, 400) << json::serialize(body);
    EXPECT_TRUE(error_of(answer).starts_with(expected))
        << json::serialize(body) << ": " << error_of(answer);
  }
  EXPECT_TRUE(patel->get("/api/v1/me/phones").at("phones").as_array().empty());
}

TEST_F(CallbackTest, AMessageCarriesItsCallbackNumberToEveryReader) {
  auto harper = login("rn.harper");
  auto patel = login("dr.patel");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  harper->connect();
  patel->connect();
  patel->next_matching([](const json::value& f) { return is_type(f, "caught_up"); });
  harper->send_frame(json::object{{"type", "send"},
                                  {"thread_id", thread},
                                  {"client_id", "cb-1"},
                                  {"body", "Bed 12 BP 80/50, call me"},
                                  {"callback", "+1 555 010 9999"}});
  const json::value sent = harper->next_matching(
      [](const json::value& f) { return is_type(f, "sent") || is_type(f, "error"); });
  ASSERT_TRUE(is_type(sent, "sent")) << json::serialize(sent);
  const json::value event = patel->next_matching([](const json::value& f) {
    return is_type(f, "event") && f.at("event").at("kind").as_string() == "message";
  });
  ASSERT_FALSE(event.is_null());
  EXPECT_EQ(event.at("event").at("callback").as_string(), "+15550109999");
  const json::value page = patel->get(fmt::format("/api/v1/threads/{}/messages?limit=10", thread));
  EXPECT_EQ(page.at("messages").at(0).at("callback").as_string(), "+15550109999");

  // Without one, the field is null; a bad one is refused and nothing is sent.
  const json::value plain = harper->send_message(thread, "cb-2", "no number");
  ASSERT_TRUE(is_type(plain, "sent"));
  harper->send_frame(json::object{{"type", "send"},
                                  {"thread_id", thread},
                                  {"client_id", "cb-3"},
                                  {"body", "bad number"},
                                  {"callback", "call me maybe"}});
  const json::value refused = harper->next_matching(
      [](const json::value& f) { return is_type(f, "sent") || is_type(f, "error"); });
  ASSERT_TRUE(is_type(refused, "error")) << json::serialize(refused);
  EXPECT_EQ(refused.at("code").as_string(), "invalid_argument");
  EXPECT_TRUE(refused.at("message").as_string().starts_with("callback must be +"));
  const json::value latest =
      patel->get(fmt::format("/api/v1/threads/{}/messages?limit=10", thread));
  // The demo's two messages, then these two: the refused one was never stored.
  ASSERT_EQ(latest.at("messages").as_array().size(), 4u);
  EXPECT_EQ(latest.at("messages").at(0).at("client_id").as_string(), "cb-2");
  EXPECT_TRUE(latest.at("messages").at(0).at("callback").is_null());
  server_->stop();
  expect_in_no_data_file({"5550109999", "+1 555 010 9999"});
}

TEST_F(CallbackTest, QuickNotesAreKeptByAdminsAndOwnersAndSealed) {
  auto admin = login("admin");
  auto harper = login("rn.harper");
  auto patel = login("dr.patel");
  const auto create = [](TestClient& client, std::string_view scope, std::string_view title,
                         std::string_view text) {
    return client.call(
        "POST", "/api/v1/quick-notes",
        json::serialize(json::object{{"scope", scope}, {"title", title}, {"text", text}}));
  };
  const HttpAnswer org_note =
      create(*admin, "org", "Code blue team", "Code blue team to {patient.location} now");
  ASSERT_EQ(org_note.status, 200) << json::serialize(org_note.body);
  EXPECT_EQ(org_note.body.at("scope").as_string(), "org");
  const std::int64_t org_id = org_note.body.at("id").as_int64();

  const HttpAnswer refused = create(*harper, "org", "Mine for all", "text");
  EXPECT_EQ(refused.status, 403);
  EXPECT_TRUE(error_of(refused).starts_with("permission_denied"));
  const HttpAnswer unknown = create(*harper, "personal", "Labs", "Labs for {patient.bed}?");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_TRUE(error_of(unknown).starts_with(
      "invalid_argument unknown placeholder {patient.bed}: the known ones are {patient.name}"))
      << error_of(unknown);
  EXPECT_EQ(create(*harper, "personal", "", "x").status, 400);
  EXPECT_EQ(create(*harper, "personal", std::string(81, 'x'), "x").status, 400);
  EXPECT_EQ(create(*harper, "team", "x", "x").status, 400);

  const HttpAnswer mine = create(*harper, "personal", "Pain check",
                                 "Zephyrine: pain 8/10 in {patient.room}, call {me.callback}");
  ASSERT_EQ(mine.status, 200) << json::serialize(mine.body);
  const std::int64_t mine_id = mine.body.at("id").as_int64();

  const json::value listed = harper->get("/api/v1/quick-notes");
  ASSERT_EQ(listed.at("notes").as_array().size(), 2u);
  EXPECT_EQ(listed.at("notes").at(0).at("id").as_int64(), org_id);
  EXPECT_EQ(listed.at("notes").at(1).at("text").as_string(),
            "Zephyrine: pain 8/10 in {patient.room}, call {me.callback}");
  EXPECT_EQ(listed.at("placeholders").as_array().size(), 6u);
  EXPECT_EQ(listed.at("limits").at("personal").as_int64(), 50);
  EXPECT_EQ(patel->get("/api/v1/quick-notes").at("notes").as_array().size(), 1u);

  // Another's personal note is missing to them; an org note is the admins' to change.
  const std::string mine_path = fmt::format("/api/v1/quick-notes/{}", mine_id);
  const std::string org_path = fmt::format("/api/v1/quick-notes/{}", org_id);
  const std::string edit = R"({"title":"Pain","text":"Pain 8/10, call {me.callback}"})";
  EXPECT_EQ(patel->call("PUT", mine_path, edit).status, 404);
  EXPECT_EQ(patel->call("DELETE", mine_path).status, 404);
  EXPECT_EQ(harper->call("PUT", org_path, edit).status, 403);
  EXPECT_EQ(harper->call("DELETE", org_path).status, 403);
  const HttpAnswer edited = harper->call("PUT", mine_path, edit);
  ASSERT_EQ(edited.status, 200) << json::serialize(edited.body);
  EXPECT_EQ(edited.body.at("title").as_string(), "Pain");
  EXPECT_EQ(harper->get("/api/v1/quick-notes").at("notes").at(1).at("title").as_string(), "Pain");
  EXPECT_EQ(admin->call("PUT", org_path, edit).status, 200);
  EXPECT_EQ(admin->call("DELETE", org_path).status, 204);
  EXPECT_EQ(harper->get("/api/v1/quick-notes").at("notes").as_array().size(), 1u);
  EXPECT_EQ(harper->call("DELETE", mine_path).status, 204);
  EXPECT_EQ(harper->call("DELETE", mine_path).status, 404);
  EXPECT_EQ(harper->call("PUT", "/api/v1/quick-notes/0", edit).status, 400);

  ASSERT_EQ(create(*harper, "personal", "Kept", "Zephyrine stays sealed").status, 200);
  server_->stop();
  expect_in_no_data_file({"Zephyrine", "Code blue team"});
  int created = 0;
  int denied = 0;
  for (const AuditEntry& entry : audit_entries()) {
    created += entry.draft.action == "quick_note.create" && entry.draft.outcome == "ok" ? 1 : 0;
    denied +=
        entry.draft.action.starts_with("quick_note.") && entry.draft.outcome == "denied" ? 1 : 0;
    EXPECT_EQ(entry.draft.detail.find("Zephyrine"), std::string::npos);
  }
  EXPECT_EQ(created, 3);
  // The org note refused, two changes by another user, two of the org's, and the delete of
  // a deleted note.
  EXPECT_EQ(denied, 6);
}

TEST_F(CallbackTest, NumberChangesAreAuditedWithoutTheNumbersAndTellTheOrg) {
  auto patel = login("dr.patel");
  auto harper = login("rn.harper");
  harper->connect();
  harper->next_matching([](const json::value& f) { return is_type(f, "caught_up"); });
  ASSERT_EQ(put(*patel, "/api/v1/me/phones", patel_phones()).status, 200);
  const json::value changed = harper->next_matching([&](const json::value& f) {
    return is_type(f, "event") && f.at("event").at("kind").as_string() == "user_changed" &&
           f.at("event").at("user_id").as_int64() == patel->user_id();
  });
  EXPECT_FALSE(changed.is_null());
  server_->stop();
  expect_in_no_data_file({"5550102000", "5550103000"});
  int set = 0;
  // The demo seeded two other people's numbers; these are dr.patel's.
  for (const AuditEntry& entry : audit_entries()) {
    if (entry.draft.action == "phones.set" &&
        entry.draft.target == fmt::format("user:{}", patel->user_id())) {
      ++set;
      EXPECT_EQ(entry.draft.detail, "count=3 work=everyone mobile=colleagues* pager=admins");
    }
  }
  EXPECT_EQ(set, 1);
}

}  // namespace
}  // namespace wl::testing
