#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <map>
#include <sstream>

#include <boost/json/serialize.hpp>

#include "adapters/sqlite/sqlite_store.hpp"
#include "core/crypto/encoding.hpp"
#include "integration/fixture.hpp"
#include "services/audit/audit_chain.hpp"
#include "services/audit/audit_log.hpp"
#include "services/audit/audit_verifier.hpp"
#include "support/schema_downgrades.hpp"

namespace wl::testing {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;

class SecurityTest : public ServerTest {
 protected:
  // Audit entries with this action and outcome (the server must be stopped).
  std::vector<AuditEntry> audit_entries(std::string_view action, std::string_view outcome) {
    auto store = SqliteStore::open(server_->data_dir() / "wardline.db", make_audit_chainer());
    EXPECT_TRUE(store) << store.error().to_string();
    std::vector<AuditEntry> found;
    if (!store) {
      return found;
    }
    std::int64_t after = 0;
    for (;;) {
      auto page = (*store)->read_audit(after, 500);
      EXPECT_TRUE(page);
      if (!page || page->empty()) {
        break;
      }
      for (const AuditEntry& entry : *page) {
        if (entry.draft.action == action && entry.draft.outcome == outcome) {
          found.push_back(entry);
        }
        after = entry.seq;
      }
    }
    return found;
  }

  // `wardline audit verify --key` with the key `wardline admin audit-key` prints; keeps
  // the output in `output`.
  int verify_audit_log(std::string* output) {
    const std::string data = server_->data_dir().string();
    std::string key;
    EXPECT_EQ(run_wardline({"admin", "--data-dir", data, "audit-key"}, &key), 0) << key;
    std::istringstream words(key.substr(key.find("audit public key ") + 17));
    words >> key;
    return run_wardline({"audit", "--data-dir", data, "verify", "--key", key}, output);
  }
};

TEST_F(SecurityTest, NonMemberIsRefusedAndTheAttemptIsAudited) {
  auto harper = login("rn.harper");
  auto chen = login("rn.chen");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  const HttpAnswer answer =
      chen->call("GET", "/api/v1/threads/" + std::to_string(thread) + "/messages");
  EXPECT_EQ(answer.status, 403);
  EXPECT_EQ(answer.body.at("error").at("code").as_string(), "permission_denied");
  chen->connect();
  const json::value refused = chen->send_message(thread, "x-1", "let me in");
  ASSERT_TRUE(is_type(refused, "error"));
  EXPECT_EQ(refused.at("code").as_string(), "permission_denied");
  EXPECT_EQ(refused.at("ref").as_string(), "x-1");
  server_->stop();
  EXPECT_EQ(audit_entries("thread.history", "denied").size(), 1u);
  EXPECT_EQ(audit_entries("message.send", "denied").size(), 1u);
}

// The key that seals a client's local data: the same for one user on every device,
// another for anyone else, only with a token, and audited.
TEST_F(SecurityTest, StorageKeyIsPerUserAcrossDevicesAndAudited) {
  auto phone = login("dr.patel");
  auto desktop = login("dr.patel");
  auto other = login("dr.okafor");
  const json::value key = phone->get("/api/v1/me/storage-key");
  EXPECT_EQ(key.at("algorithm").as_string(), "AES-256-GCM");
  const std::string encoded(key.at("key").as_string());
  const auto raw = crypto::base64url_decode(encoded);
  ASSERT_TRUE(raw.has_value()) << encoded;
  EXPECT_EQ(raw->size(), 32u);
  EXPECT_EQ(desktop->get("/api/v1/me/storage-key").at("key").as_string(), encoded);
  EXPECT_NE(other->get("/api/v1/me/storage-key").at("key").as_string(), encoded);
  TestClient anonymous(server_->client_options());
  EXPECT_EQ(anonymous.call("GET", "/api/v1/me/storage-key").status, 401);
  server_->stop();
  EXPECT_EQ(audit_entries("storage_key.issue", "ok").size(), 3u);
}

TEST_F(SecurityTest, UsersOfAnotherOrgCannotReachThreads) {
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  server_->stop();
  // A second org with one user, made with the admin command on the stopped server.
  const std::string data = server_->data_dir().string();
  ASSERT_EQ(run_wardline({"admin", "--data-dir", data, "org", "create", "Other Clinic"}), 0);
  std::string output;
  ASSERT_EQ(run_wardline({"admin", "--data-dir", data, "--fast-password-hashing", "user", "create",
                          "--org", "Other Clinic", "--username", "outsider", "--name", "Out Sider"},
                         &output, {"WARDLINE_PASSWORD=outsider-password-long"}),
            0)
      << output;
  server_->start();
  // With two orgs, a login must name its org.
  TestClient anonymous(server_->client_options());
  const HttpAnswer unnamed =
      anonymous.call("POST", "/api/v1/login",
                     json::serialize(json::object{{"username", "outsider"},
                                                  {"password", "outsider-password-long"}}));
  EXPECT_EQ(unnamed.status, 400);
  TestClient outsider(server_->client_options(), "outsider", "outsider-password-long",
                      "Other Clinic");
  ASSERT_FALSE(outsider.token().empty());
  // Another org's thread answers as a missing one, so ids reveal nothing across orgs.
  const std::string target = "/api/v1/threads/" + std::to_string(thread);
  const std::string missing = "/api/v1/threads/" + std::to_string(thread + 1000);
  EXPECT_EQ(outsider.call("GET", target + "/messages").status, 404);
  EXPECT_EQ(outsider.call("GET", target).status, 404);
  EXPECT_EQ(outsider.call("GET", target).body, outsider.call("GET", missing).body);
  outsider.connect();
  const json::value refused = outsider.send_message(thread, "o-1", "hello from outside");
  const json::value refused_missing =
      outsider.send_message(thread + 1000, "o-2", "hello from outside");
  EXPECT_EQ(refused.at("code").as_string(), "not_found");
  EXPECT_EQ(refused.at("message"), refused_missing.at("message"));
  // The directory shows only the outsider's own org.
  EXPECT_EQ(outsider.get("/api/v1/users").at("users").as_array().size(), 1u);
}

TEST_F(SecurityTest, WrongPasswordsLockTheAccount) {
  TestClient anonymous(server_->client_options());
  int last_status = 0;
  std::string last_message;
  for (int attempt = 0; attempt < 5; ++attempt) {
    const HttpAnswer answer =
        anonymous.call("POST", "/api/v1/login",
                       json::serialize(json::object{{"username", "dr.garcia"},
                                                    {"password", "still-not-the-password"}}));
    last_status = answer.status;
    last_message = std::string(answer.body.at("error").at("message").as_string());
  }
  EXPECT_EQ(last_status, 429);
  EXPECT_NE(last_message.find("locked"), std::string::npos);
  // Even the right password is refused while locked.
  const HttpAnswer locked = anonymous.call(
      "POST", "/api/v1/login",
      json::serialize(json::object{{"username", "dr.garcia"}, {"password", kDemoPassword}}));
  EXPECT_EQ(locked.status, 429);
  server_->stop();
  EXPECT_EQ(audit_entries("login.source_locked", "ok").size(), 1u);
}

// Failures count per username and address, whether or not the user exists, and
// spelling variants of one username, with or without the org, count as the same.
TEST_F(SecurityTest, LoginThrottleIgnoresCaseAndOrgSpelling) {
  TestClient anonymous(server_->client_options());
  auto attempt = [&](int i) {
    json::object body{{"username", i % 2 == 0 ? "No.Such.User" : "no.such.user"},
                      {"password", "not-the-password"}};
    if (i % 3 == 0) {
      body["org"] = "Mercy General (demo)";
    }
    return anonymous.call("POST", "/api/v1/login", json::serialize(body));
  };
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(attempt(i).status, 401) << "attempt " << i;
  }
  const HttpAnswer limited = attempt(4);
  EXPECT_EQ(limited.status, 429);
  EXPECT_NE(std::string(limited.body.at("error").at("message").as_string())
                .find("sign-in is locked until"),
            std::string::npos)
      << json::serialize(limited.body);
}

// Someone elsewhere naming an org that does not exist, or guessing the password, must
// not lock the real user out, and each attempt is on the trail.
TEST_F(SecurityTest, AGuesserElsewhereCannotLockTheRealUserOut) {
  net::ClientOptions elsewhere = server_->client_options();
  elsewhere.source_address = "127.0.0.2";
  TestClient attacker(elsewhere);
  for (int i = 0; i < 12; ++i) {
    json::object body{{"username", "dr.patel"}, {"password", "not-the-password-at-all"}};
    if (i % 2 == 0) {
      body["org"] = "No Such Hospital";
    }
    const HttpAnswer answer = attacker.call("POST", "/api/v1/login", json::serialize(body));
    EXPECT_TRUE(answer.status == 401 || answer.status == 429) << answer.status;
  }
  TestClient owner(server_->client_options(), "dr.patel");
  EXPECT_FALSE(owner.token().empty());
  server_->stop();
  std::size_t attempts = 0;
  for (const AuditEntry& entry : audit_entries("login", "failed")) {
    attempts += entry.draft.detail.find("remote=127.0.0.2") != std::string::npos ? 1 : 0;
  }
  for (const AuditEntry& entry : audit_entries("login", "denied")) {
    attempts += entry.draft.detail.find("remote=127.0.0.2") != std::string::npos ? 1 : 0;
  }
  for (const AuditEntry& entry : audit_entries("login", "throttled")) {
    attempts += entry.draft.detail.find("remote=127.0.0.2") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(attempts, 12u);  // Failed, then refused while locked, then throttled.
  bool unknown_org_seen = false;
  for (const AuditEntry& entry : audit_entries("login", "failed")) {
    unknown_org_seen =
        unknown_org_seen || entry.draft.detail.find("unknown_org") != std::string::npos;
  }
  EXPECT_TRUE(unknown_org_seen);
}

// Requests with garbage, ended or missing tokens are refused and audited.
TEST_F(SecurityTest, RefusedTokensAreAudited) {
  TestClient anonymous(server_->client_options());
  EXPECT_EQ(anonymous.call("GET", "/api/v1/threads").status, 401);
  const std::string garbage(43, 'A');
  net::HttpsClient raw(server_->client_options());
  auto answer = raw.request("GET", "/api/v1/me", {}, {{"Authorization", "Bearer " + garbage}});
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 401);
  server_->stop();
  const auto refused = audit_entries("auth.refused", "denied");
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_EQ(refused[0].draft.target, "/api/v1/threads");
  EXPECT_NE(refused[0].draft.detail.find("missing or malformed"), std::string::npos);
  EXPECT_NE(refused[1].draft.detail.find("unknown session"), std::string::npos);
  EXPECT_NE(refused[1].draft.detail.find("remote=127.0.0.1"), std::string::npos);
  EXPECT_EQ(refused[1].draft.detail.find(garbage), std::string::npos);  // No token on the trail.
}

TEST_F(SecurityTest, EndedSessionIsRefused) {
  auto patel = login("dr.patel");
  EXPECT_EQ(patel->call("GET", "/api/v1/me").status, 200);
  EXPECT_EQ(patel->call("POST", "/api/v1/logout").status, 204);
  const HttpAnswer after = patel->call("GET", "/api/v1/me");
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(after.body.at("error").at("code").as_string(), "unauthenticated");
  const json::value refused = patel->connect();
  EXPECT_TRUE(is_type(refused, "error"));
  EXPECT_EQ(refused.at("code").as_string(), "unauthenticated");
}

// The rest of the bad-input cases are in tests/protocol/bad_frames.txt; a body of raw
// bytes that are not UTF-8 does not fit in a transcript's text line.
TEST_F(SecurityTest, ABodyThatIsNotUtf8IsRefused) {
  auto harper = login("rn.harper");
  const HttpAnswer bad_utf8 = harper->call(
      "POST", "/api/v1/threads", "{\"kind\":\"group\",\"title\":\"\xff\xfe\",\"member_ids\":[]}");
  EXPECT_EQ(bad_utf8.status, 400) << json::serialize(bad_utf8.body);
  EXPECT_EQ(bad_utf8.body.at("error").at("code").as_string(), "invalid_argument");
}

// A send and its delivery acknowledgement each leave an audit entry naming the
// message, the delivery's written with its receipts.
TEST_F(SecurityTest, SendsAndDeliveriesAreAudited) {
  auto harper = login("rn.harper");
  auto patel = login("dr.patel");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  harper->connect();
  patel->connect();
  patel->next_matching([](auto& f) { return is_type(f, "caught_up"); });
  const json::value sent = harper->send_message(thread, "audited-1", "Chest X-ray is back");
  ASSERT_TRUE(is_type(sent, "sent"));
  const std::int64_t message = sent.at("message_id").as_int64();
  patel->send_frame(json::object{{"type", "ack"}, {"message_ids", json::array{message}}});
  ASSERT_FALSE(harper->next_matching([](auto& f) { return is_event(f, "delivered"); }).is_null());
  server_->stop();
  bool send_audited = false;
  for (const AuditEntry& entry : audit_entries("message.send", "ok")) {
    send_audited = send_audited || (entry.draft.target == "thread:" + std::to_string(thread) &&
                                    entry.draft.actor == UserId(harper->user_id()));
  }
  EXPECT_TRUE(send_audited);
  bool delivery_audited = false;
  for (const AuditEntry& entry : audit_entries("message.delivered", "ok")) {
    delivery_audited =
        delivery_audited || (entry.draft.actor == UserId(patel->user_id()) &&
                             entry.draft.detail == "messages=" + std::to_string(message));
  }
  EXPECT_TRUE(delivery_audited);
}

TEST_F(SecurityTest, NoPlaintextInTheDatabaseFiles) {
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  harper->connect();
  const std::string marker = "ZEBRA-7731 glucose 41 mg/dL in bed 9";
  ASSERT_TRUE(is_type(harper->send_message(thread, "secret-1", marker), "sent"));
  const json::value group = harper->post(
      "/api/v1/threads", json::object{{"kind", "group"},
                                      {"title", "QUOKKA-5512 rounds"},
                                      {"member_ids", json::array{harper->user_id_of("rn.chen")}}});
  ASSERT_TRUE(group.is_object());
  // Read the files while the server is still running (WAL not yet checkpointed), then
  // again after a clean stop.
  auto check = [&] {
    expect_in_no_data_file(
        {marker, "ZEBRA-7731", "QUOKKA-5512", "Testpatient, Alma", "Testpatient^Alma", "100234", "168/95"});
  };
  check();
  server_->stop();
  check();
}

// Users type more than messages, titles and patient fields: a device name at login and,
// through their client, each message's client_id. Both come back as typed, and neither
// is in any file of the data directory.
TEST_F(SecurityTest, NoTypedNameOrClientIdInTheDatabaseFiles) {
  const std::string device_name = "WOMBAT-4821 bed 12 bedside tablet";
  const std::string client_id = "NARWHAL-9043-bed-12";
  TestClient anonymous(server_->client_options());
  ASSERT_EQ(anonymous
                .call("POST", "/api/v1/login",
                      json::serialize(json::object{{"username", "rn.harper"},
                                                   {"password", kDemoPassword},
                                                   {"device_name", device_name}}))
                .status,
            200);
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  harper->connect();
  const json::value sent = harper->send_message(thread, client_id, "typed by hand");
  ASSERT_TRUE(is_type(sent, "sent"));
  EXPECT_EQ(sent.at("client_id").as_string(), client_id);

  const json::value devices = harper->get("/api/v1/devices");
  bool listed = false;
  for (const json::value& device : devices.at("devices").as_array()) {
    listed = listed || device.at("name").as_string() == device_name;
  }
  EXPECT_TRUE(listed);
  const json::value history =
      harper->get("/api/v1/threads/" + std::to_string(thread) + "/messages");
  EXPECT_EQ(history.at("messages").at(0).at("client_id").as_string(), client_id);
  // A resend is still recognised: the client_id is looked up by its token.
  const json::value resent = harper->send_message(thread, client_id, "typed by hand");
  ASSERT_TRUE(is_type(resent, "sent"));
  EXPECT_TRUE(resent.at("duplicate").as_bool());
  EXPECT_EQ(resent.at("message_id"), sent.at("message_id"));

  expect_in_no_data_file({"WOMBAT-4821", "NARWHAL-9043"});
  server_->stop();
  expect_in_no_data_file({"WOMBAT-4821", "NARWHAL-9043"});
}

// A data directory of a version before schema 4 has device names and client ids in
// clear. The first start seals them before it serves anyone: they come back as typed,
// an old message's resend is still a duplicate, no file holds them any more (also
// while the server runs), and the audit trail counts what was sealed.
TEST_F(SecurityTest, StartSealsTheNamesAndClientIdsAnOlderVersionKeptInClear) {
  const std::string device_name = "WOMBAT-4821 bed 12 bedside tablet";
  const std::string client_id = "NARWHAL-9043-bed-12";
  TestClient anonymous(server_->client_options());
  const HttpAnswer signed_in = anonymous.call(
      "POST", "/api/v1/login",
      json::serialize(json::object{
          {"username", "rn.harper"}, {"password", kDemoPassword}, {"device_name", device_name}}));
  ASSERT_EQ(signed_in.status, 200);
  const std::int64_t device = signed_in.body.at("device_id").as_int64();
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  harper->connect();
  const json::value sent = harper->send_message(thread, client_id, "typed by hand");
  ASSERT_TRUE(is_type(sent, "sent"));
  // Every message's client id, to write back in clear (harper is in every demo thread).
  auto all_client_ids = [](TestClient& client) {
    std::map<std::int64_t, std::string> found;
    const json::value threads = client.get("/api/v1/threads");
    for (const json::value& each : threads.at("threads").as_array()) {
      const json::value page =
          client.get("/api/v1/threads/" + std::to_string(each.at("id").as_int64()) + "/messages");
      for (const json::value& message : page.at("messages").as_array()) {
        found[message.at("id").as_int64()] = std::string(message.at("client_id").as_string());
      }
    }
    return found;
  };
  const std::map<std::int64_t, std::string> client_ids = all_client_ids(*harper);
  server_->stop();

  // What version 3 wrote: every device name and client id in clear, no sealed columns.
  const fs::path database_file = server_->data_dir() / "wardline.db";
  sqlite3* database = nullptr;
  ASSERT_EQ(sqlite3_open(database_file.c_str(), &database), SQLITE_OK);
  auto run = [&](const std::string& sql) {
    EXPECT_EQ(sqlite3_exec(database, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sql;
  };
  auto count = [&](const char* sql) {
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(database, sql, -1, &statement, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(statement), SQLITE_ROW);
    const std::int64_t value = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    return value;
  };
  ASSERT_EQ(count("SELECT count(*) FROM events WHERE kind = 1"),
            static_cast<std::int64_t>(client_ids.size()));
  const std::int64_t devices = count("SELECT count(*) FROM devices");
  run("UPDATE devices SET name = 'test'");
  run("UPDATE devices SET name = '" + device_name + "' WHERE id = " + std::to_string(device));
  for (const auto& [id, value] : client_ids) {
    run("UPDATE events SET client_id = '" + value + "' WHERE id = " + std::to_string(id));
  }
  // Version 3 had neither the sealed columns (4), the written time (5), the session lock (6),
  // timers (7) nor the events' scope (8).
  run(std::string(testing::kDropCallback) + std::string(testing::kDropMessageSearch) + std::string(testing::kDropDirectory) +
      std::string(testing::kDropProviders) + std::string(testing::kDropAdtFeed) +
      std::string(testing::kDropEventEnvelope));
  run("DROP INDEX devices_named_in_clear; DROP INDEX client_ids_in_clear; "
      "ALTER TABLE devices DROP COLUMN name_sealed; "
      "ALTER TABLE events DROP COLUMN client_id_sealed; DROP INDEX open_memberships_by_thread; "
      "ALTER TABLE events DROP COLUMN written_at; "
      "ALTER TABLE orgs DROP COLUMN idle_lock_seconds; ALTER TABLE users DROP COLUMN pin_hash; "
      "ALTER TABLE sessions DROP COLUMN locked; ALTER TABLE sessions DROP COLUMN pin_failures; "
      "DROP TABLE timers; DROP INDEX sessions_by_expiry; PRAGMA user_version = 3");
  sqlite3_close(database);
  const std::string before = read_file(database_file);
  ASSERT_NE(before.find("WOMBAT-4821"), std::string::npos);
  ASSERT_NE(before.find("NARWHAL-9043"), std::string::npos);

  server_->start();
  auto again = login("rn.harper");
  const json::value listed = again->get("/api/v1/devices");
  bool named = false;
  for (const json::value& each : listed.at("devices").as_array()) {
    named =
        named || (each.at("id").as_int64() == device && each.at("name").as_string() == device_name);
  }
  EXPECT_TRUE(named);
  EXPECT_EQ(all_client_ids(*again), client_ids);
  again->connect();
  const json::value resent = again->send_message(thread, client_id, "typed by hand");
  ASSERT_TRUE(is_type(resent, "sent"));
  EXPECT_TRUE(resent.at("duplicate").as_bool());
  EXPECT_EQ(resent.at("message_id"), sent.at("message_id"));
  expect_in_no_data_file({"WOMBAT-4821", "NARWHAL-9043"});
  server_->stop();
  expect_in_no_data_file({"WOMBAT-4821", "NARWHAL-9043"});

  const auto sealed_names = audit_entries("device.name.seal", "ok");
  ASSERT_EQ(sealed_names.size(), 1u);
  EXPECT_EQ(sealed_names.front().draft.detail, "devices=" + std::to_string(devices));
  const auto sealed_ids = audit_entries("message.client_id.seal", "ok");
  ASSERT_EQ(sealed_ids.size(), 1u);
  EXPECT_EQ(sealed_ids.front().draft.detail, "messages=" + std::to_string(client_ids.size()));
}

TEST_F(SecurityTest, AuditVerifyPassesThenDetectsAnEditedRow) {
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  harper->connect();
  ASSERT_TRUE(is_type(harper->send_message(thread, "a-1", "audit me"), "sent"));
  server_->stop();
  std::string output;
  EXPECT_EQ(verify_audit_log(&output), 0) << output;
  EXPECT_NE(output.find("intact"), std::string::npos) << output;

  // Edit one entry's outcome directly in the database, as an attacker with file access.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((server_->data_dir() / "wardline.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE audit SET outcome = 'denied' WHERE seq = 5", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(verify_audit_log(&output), 1) << output;
  EXPECT_NE(output.find("first bad entry 5"), std::string::npos) << output;
}

TEST_F(SecurityTest, AuditVerifyDetectsADeletedRow) {
  server_->stop();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((server_->data_dir() / "wardline.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DELETE FROM audit WHERE seq = 3", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  std::string output;
  EXPECT_EQ(verify_audit_log(&output), 1) << output;
  EXPECT_NE(output.find("TAMPERED"), std::string::npos) << output;
}

TEST_F(SecurityTest, KeyRotationKeepsOldMessagesReadable) {
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "rn.chen");
  harper->connect();
  ASSERT_TRUE(
      is_type(harper->send_message(thread, "before-1", "sealed under the first key"), "sent"));
  harper.reset();
  server_->stop();
  std::string output;
  ASSERT_EQ(run_wardline({"admin", "--data-dir", server_->data_dir().string(), "keys", "rotate"},
                         &output),
            0)
      << output;
  server_->start();
  auto again = login("rn.harper");
  again->connect();
  ASSERT_TRUE(is_type(again->send_message(thread, "after-1", "sealed under the new key"), "sent"));
  const json::value history = again->get("/api/v1/threads/" + std::to_string(thread) + "/messages");
  const auto& messages = history.at("messages").as_array();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].at("body").as_string(), "sealed under the new key");
  EXPECT_EQ(messages[1].at("body").as_string(), "sealed under the first key");
}

}  // namespace
}  // namespace wl::testing
