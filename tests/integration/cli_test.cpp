#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "integration/fixture.hpp"
#include "net/client.hpp"

// `wardline chat` and `wardline admin` as an operator would run them, against the real
// server over TLS (chat) or its stopped data directory (admin).
namespace wl::testing {
namespace {
namespace json = boost::json;

class CliTest : public ServerTest {
 protected:
  // Runs `wardline chat --user <user> <arguments>` and returns the JSON lines it
  // printed; expects exit code 0.
  std::vector<json::value> chat(std::string_view user, std::vector<std::string> arguments,
                                int expected_exit = 0) {
    std::vector<std::string> command{"chat",
                                     "--server",
                                     "https://127.0.0.1:" + std::to_string(server_->port()),
                                     "--ca",
                                     (server_->data_dir() / "tls" / "ca.pem").string(),
                                     "--user",
                                     std::string(user)};
    command.insert(command.end(), arguments.begin(), arguments.end());
    std::string output;
    const int exit_code =
        run_wardline(command, &output, {"WARDLINE_PASSWORD=wardline-demo-password"});
    EXPECT_EQ(exit_code, expected_exit) << output;
    last_output_ = output;
    return json_lines(output);
  }

  static std::vector<json::value> json_lines(const std::string& output) {
    std::vector<json::value> lines;
    std::istringstream stream(output);
    std::string line;
    while (std::getline(stream, line)) {
      if (line.starts_with("{")) {
        json::error_code code;
        json::value value = json::parse(line, code);
        if (!code) {
          lines.push_back(std::move(value));
        }
      }
    }
    return lines;
  }

  static const json::value* first_of_type(const std::vector<json::value>& lines,
                                          std::string_view type) {
    for (const json::value& line : lines) {
      if (line.is_object() && line.as_object().contains("type") &&
          line.at("type").as_string() == type) {
        return &line;
      }
    }
    return nullptr;
  }

  std::string last_output_;
};

TEST_F(CliTest, ChatOpensSendsFollowsAcknowledgesReadsAndShowsStatus) {
  // Threads: the demo seeds some for rn.harper.
  EXPECT_FALSE(chat("rn.harper", {"threads"}).empty()) << last_output_;

  const auto opened = chat("rn.harper", {"open", "--direct", "dr.patel"});
  ASSERT_EQ(opened.size(), 1u) << last_output_;
  const std::int64_t thread = opened[0].at("id").as_int64();
  EXPECT_EQ(opened[0].at("kind").as_string(), "direct");

  // Where dr.patel's stream stands now.
  const auto before = chat("dr.patel", {"tail", "--idle", "1"});
  const json::value* caught_up = first_of_type(before, "caught_up");
  ASSERT_NE(caught_up, nullptr) << last_output_;
  const std::string cursor(caught_up->at("cursor").as_string());

  const auto sent = chat("rn.harper", {"send", "--thread", std::to_string(thread), "--urgent",
                                       "Bed 12 is asking for you"});
  ASSERT_EQ(sent.size(), 1u) << last_output_;
  EXPECT_EQ(sent[0].at("type").as_string(), "sent");
  const std::int64_t message = sent[0].at("message_id").as_int64();
  const std::int64_t seq = sent[0].at("seq").as_int64();

  // dr.patel resumes from the cursor: the message is replayed once, and acknowledged.
  const auto followed =
      chat("dr.patel", {"tail", "--cursor", cursor, "--ack", "--count", "1", "--idle", "10"});
  const json::value* event = first_of_type(followed, "event");
  ASSERT_NE(event, nullptr) << last_output_;
  EXPECT_EQ(event->at("event").at("id").as_int64(), message);
  EXPECT_EQ(event->at("event").at("body").as_string(), "Bed 12 is asking for you");
  EXPECT_TRUE(event->at("event").at("urgent").as_bool());

  chat("dr.patel", {"read", "--thread", std::to_string(thread), "--seq", std::to_string(seq)});

  // The sender sees delivered and read with times. The ack's write may still be
  // committing when the tail exits, so ask until it shows (bounded).
  json::value recipient;
  for (int attempt = 0; attempt < 50; ++attempt) {
    const auto status = chat("rn.harper", {"status", "--message", std::to_string(message)});
    ASSERT_EQ(status.size(), 1u) << last_output_;
    const auto& recipients = status[0].at("recipients").as_array();
    ASSERT_EQ(recipients.size(), 1u) << last_output_;
    recipient = recipients[0];
    if (recipient.at("delivered_at").is_string() && recipient.at("read_at").is_string()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(recipient.at("user_id").as_int64(), login("dr.patel")->user_id());
  EXPECT_TRUE(recipient.at("delivered_at").is_string()) << json::serialize(recipient);
  EXPECT_TRUE(recipient.at("read_at").is_string()) << json::serialize(recipient);

  const auto history = chat("rn.harper", {"history", "--thread", std::to_string(thread)});
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history[0].at("id").as_int64(), message);
}

TEST_F(CliTest, ChatOpensGroupAndPatientThreads) {
  const auto group =
      chat("rn.harper", {"open", "--group", "4 West huddle", "--members", "dr.patel,dr.okafor"});
  ASSERT_EQ(group.size(), 1u) << last_output_;
  EXPECT_EQ(group[0].at("kind").as_string(), "group");
  EXPECT_EQ(group[0].at("member_ids").as_array().size(), 3u);

  const auto patients = chat("rn.harper", {"patients"});
  ASSERT_FALSE(patients.empty()) << last_output_;
  const std::string patient = std::to_string(patients[0].at("id").as_int64());
  const auto first = chat("rn.harper", {"open", "--patient", patient, "--members", "dr.patel"});
  ASSERT_EQ(first.size(), 1u) << last_output_;
  EXPECT_EQ(first[0].at("kind").as_string(), "patient");
  // The same two clinicians and another patient: another thread.
  ASSERT_GE(patients.size(), 2u);
  const std::string other = std::to_string(patients[1].at("id").as_int64());
  const auto second = chat("rn.harper", {"open", "--patient", other, "--members", "dr.patel"});
  ASSERT_EQ(second.size(), 1u) << last_output_;
  EXPECT_NE(second[0].at("id").as_int64(), first[0].at("id").as_int64());
}

// The demo's pa.kim is off duty: a message to him is held, listed and withdrawn; an
// urgent override reaches him at once.
TEST_F(CliTest, ChatHoldsListsWithdrawsAndOverrides) {
  const auto opened = chat("rn.harper", {"open", "--direct", "pa.kim"});
  ASSERT_EQ(opened.size(), 1u) << last_output_;
  const std::string thread = std::to_string(opened[0].at("id").as_int64());

  const auto sent = chat("rn.harper", {"send", "--thread", thread, "Bed 9 can start PT"});
  ASSERT_EQ(sent.size(), 1u) << last_output_;
  ASSERT_TRUE(sent[0].as_object().contains("held")) << last_output_;
  EXPECT_FALSE(sent[0].as_object().contains("message_id")) << last_output_;
  EXPECT_EQ(sent[0].at("held").at("availability").as_string(), "off_duty");
  const std::int64_t held = sent[0].at("held").at("held_id").as_int64();

  const auto listed = chat("rn.harper", {"held", "--thread", thread});
  ASSERT_EQ(listed.size(), 1u) << last_output_;
  EXPECT_EQ(listed[0].at("held_id").as_int64(), held);
  EXPECT_EQ(listed[0].at("body").as_string(), "Bed 9 can start PT");

  const auto urgent = chat("rn.harper", {"send", "--thread", thread, "--urgent", "--override",
                                         "Bed 9 fell, please come"});
  ASSERT_EQ(urgent.size(), 1u) << last_output_;
  EXPECT_TRUE(urgent[0].at("message_id").is_int64()) << last_output_;
  EXPECT_EQ(urgent[0].at("routed_to").at(0).at("reason").as_string(), "override");

  const auto withdrawn = chat("rn.harper", {"withdraw", "--held", std::to_string(held)});
  ASSERT_EQ(withdrawn.size(), 1u) << last_output_;
  EXPECT_EQ(withdrawn[0].at("body").as_string(), "Bed 9 can start PT");
  EXPECT_TRUE(chat("rn.harper", {"held", "--thread", thread}).empty()) << last_output_;
}

TEST_F(CliTest, ChatForwardsAndStops) {
  const auto set = chat("dr.okafor", {"forward", "--to", "dr.haddad"});
  ASSERT_EQ(set.size(), 1u) << last_output_;
  const std::int64_t haddad = set[0].at("forwarding").at("to_user_id").as_int64();
  const auto opened = chat("rn.harper", {"open", "--direct", "dr.okafor"});
  ASSERT_EQ(opened.size(), 1u) << last_output_;
  const std::string thread = std::to_string(opened[0].at("id").as_int64());
  const auto sent = chat("rn.harper", {"send", "--thread", thread, "Bed 2 troponin is up"});
  ASSERT_EQ(sent.size(), 1u) << last_output_;
  EXPECT_EQ(sent[0].at("routed_to").at(0).at("user_id").as_int64(), haddad) << last_output_;
  EXPECT_EQ(sent[0].at("routed_to").at(0).at("reason").as_string(), "forwarded");

  chat("dr.okafor", {"forward", "--stop"});
  const auto after = chat("rn.harper", {"send", "--thread", thread, "Sorted, thanks"});
  ASSERT_EQ(after.size(), 1u) << last_output_;
  EXPECT_FALSE(after[0].as_object().contains("routed_to")) << last_output_;
  chat("dr.okafor", {"forward"}, 1);
  EXPECT_NE(last_output_.find("give --to, --to-role or --stop"), std::string::npos) << last_output_;
}

// The demo's dr.nguyen is in procedure and op.desk screens his messages: a message to
// him is screened; op.desk lists, holds and answers; he names and clears gatekeepers.
TEST_F(CliTest, ChatScreensAsAGatekeeper) {
  const auto named = chat("dr.nguyen", {"gatekeepers"});
  ASSERT_EQ(named.size(), 1u) << last_output_;
  const std::int64_t desk = named[0].at("user_ids").at(0).as_int64();

  const auto opened = chat("rn.harper", {"open", "--direct", "dr.nguyen"});
  ASSERT_EQ(opened.size(), 1u) << last_output_;
  const std::string thread = std::to_string(opened[0].at("id").as_int64());
  const auto sent = chat("rn.harper", {"send", "--thread", thread, "Room 12 asks about the drain"});
  ASSERT_EQ(sent.size(), 1u) << last_output_;
  EXPECT_EQ(sent[0].at("held").at("state").as_string(), "screening") << last_output_;
  EXPECT_EQ(sent[0].at("held").at("gatekeeper_ids").at(0).as_int64(), desk);
  const std::string held = std::to_string(sent[0].at("held").at("held_id").as_int64());

  const auto listed = chat("op.desk", {"screening"});
  ASSERT_EQ(listed.size(), 2u) << "the demo's and this one: " << last_output_;
  EXPECT_EQ(listed[1].at("body").as_string(), "Room 12 asks about the drain");

  const auto kept = chat("op.desk", {"screen", "--held", held, "--hold"});
  ASSERT_EQ(kept.size(), 1u) << last_output_;
  EXPECT_EQ(kept[0].at("outcome").as_string(), "kept");
  const std::string seeded = std::to_string(listed[0].at("held_id").as_int64());
  const auto answered =
      chat("op.desk", {"screen", "--held", seeded, "--answer", "He is in theatre until 4"});
  ASSERT_EQ(answered.size(), 1u) << last_output_;
  EXPECT_EQ(answered[0].at("outcome").as_string(), "answered");
  EXPECT_TRUE(answered[0].at("message_id").is_int64());
  EXPECT_TRUE(chat("op.desk", {"screening"}).empty()) << last_output_;
  chat("op.desk", {"screen", "--held", held, "--pass"}, 1);
  EXPECT_NE(last_output_.find("no such message to screen"), std::string::npos) << last_output_;
  chat("op.desk", {"screen", "--held", held}, 1);
  EXPECT_NE(last_output_.find("give --pass, --hold or --answer"), std::string::npos)
      << last_output_;

  const auto cleared = chat("dr.nguyen", {"gatekeepers", "--none"});
  ASSERT_EQ(cleared.size(), 1u) << last_output_;
  EXPECT_TRUE(cleared[0].at("user_ids").as_array().empty());
  const auto again = chat("dr.nguyen", {"gatekeepers", "--set", "op.desk,rn.santos"});
  ASSERT_EQ(again.size(), 1u) << last_output_;
  EXPECT_EQ(again[0].at("user_ids").as_array().size(), 2u);
}

// The demo's rn.harper holds 4 West Charge Nurse (signed in): she writes a hand-off note
// for rn.santos, who finds it in his list and accepts it.
TEST_F(CliTest, ChatWritesAndAcceptsAHandOffNote) {
  std::int64_t role = 0;
  const json::value roles = login("rn.harper")->get("/api/v1/roles");
  for (const auto& each : roles.at("roles").as_array()) {
    if (each.at("name").as_string() == "4 West Charge Nurse") {
      role = each.at("id").as_int64();
    }
  }
  ASSERT_NE(role, 0);
  const auto written = chat("rn.harper", {"handoff", "--role", std::to_string(role), "--to",
                                          "rn.santos", "Bed 7 on a heparin drip"});
  ASSERT_EQ(written.size(), 1u) << last_output_;
  const std::int64_t message = written[0].at("message_id").as_int64();
  const auto pending = chat("rn.santos", {"handoffs"});
  ASSERT_EQ(pending.size(), 1u) << last_output_;
  EXPECT_EQ(pending[0].at("message_id").as_int64(), message);
  EXPECT_TRUE(pending[0].at("accepted_at").is_null());
  const auto accepted = chat("rn.santos", {"accept", "--message", std::to_string(message)});
  ASSERT_EQ(accepted.size(), 1u) << last_output_;
  EXPECT_TRUE(accepted[0].at("accepted_at").is_string()) << last_output_;
  EXPECT_TRUE(chat("rn.santos", {"handoffs"}).empty()) << last_output_;
  chat("rn.chen", {"handoff", "--role", std::to_string(role), "--to", "rn.santos", "Hi"}, 1);
  EXPECT_NE(last_output_.find("only a holder of this role writes its hand-off notes"),
            std::string::npos)
      << last_output_;
}

TEST_F(CliTest, ChatReportsAWrongPasswordAndAnUnknownThreadClearly) {
  std::string output;
  const int refused = run_wardline(
      {"chat", "--server", "https://127.0.0.1:" + std::to_string(server_->port()), "--ca",
       (server_->data_dir() / "tls" / "ca.pem").string(), "--user", "rn.harper", "threads"},
      &output, {"WARDLINE_PASSWORD=not-the-password"});
  EXPECT_NE(refused, 0);
  EXPECT_NE(output.find("wrong password"), std::string::npos) << output;

  chat("rn.harper", {"send", "--thread", "999999", "Hello"}, 1);
  EXPECT_NE(last_output_.find("thread not found"), std::string::npos) << last_output_;
}

TEST_F(CliTest, AdminResetsPasswordsAndRevokesDevices) {
  auto phone = login("dr.okafor");  // A device to revoke.
  server_->stop();
  const std::string data = server_->data_dir().string();
  std::string output;
  ASSERT_EQ(run_wardline({"admin", "--data-dir", data, "--fast-password-hashing", "user",
                          "password", "--org", "Mercy General (demo)", "--username", "dr.okafor"},
                         &output, {"WARDLINE_PASSWORD=a-brand-new-long-password"}),
            0)
      << output;
  ASSERT_EQ(run_wardline({"admin", "--data-dir", data, "device", "list", "--org",
                          "Mercy General (demo)", "--username", "dr.okafor"},
                         &output),
            0)
      << output;
  // One line per device: id, name, last use, tab-separated.
  const std::string device = output.substr(0, output.find('\t'));
  ASSERT_FALSE(device.empty()) << output;
  ASSERT_EQ(device.find_first_not_of("0123456789"), std::string::npos) << output;
  ASSERT_EQ(
      run_wardline({"admin", "--data-dir", data, "device", "revoke", "--id", device}, &output), 0)
      << output;
  server_->start();

  // The revoked device's session has ended (asked on a fresh connection: the server
  // restarted on a new port).
  net::HttpsClient https(server_->client_options());
  auto me = https.request("GET", "/api/v1/me", "", {{"Authorization", "Bearer " + phone->token()}});
  ASSERT_TRUE(me) << me.error().to_string();
  EXPECT_EQ(me->status, 401);
  TestClient anonymous(server_->client_options());
  EXPECT_EQ(anonymous
                .call("POST", "/api/v1/login",
                      json::serialize(json::object{{"username", "dr.okafor"},
                                                   {"password", "wardline-demo-password"}}))
                .status,
            401);
  EXPECT_EQ(anonymous
                .call("POST", "/api/v1/login",
                      json::serialize(json::object{{"username", "dr.okafor"},
                                                   {"password", "a-brand-new-long-password"}}))
                .status,
            200);
}

}  // namespace
}  // namespace wl::testing
