// The ADT feed end to end, as a hospital's interface engine and its clinicians meet it:
// the real server with --hl7-port, messages over MLLP (plain and TLS), ACKs only once
// stored, the banner of an open conversation changing live, the patient picker, and an
// integration engineer finding a failure and replaying it; the feed's metrics.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include "core/hl7/message.hpp"
#include "integration/fixture.hpp"
#include "net/mllp_client.hpp"

namespace wl::testing {
namespace {

namespace json = boost::json;

constexpr std::string_view kMetricsToken = "scrape-hl7-5be2c81f09a4";

// An ADT message for the demo's org: PID-3 `mrn`, PV1-3 `location`.
std::string adt(std::string_view event, std::string_view control, std::string_view time,
                std::string_view mrn, std::string_view name, std::string_view location) {
  return "MSH|^~\\&|EPIC|GH|WARDLINE|GH|" + std::string(time) + "||ADT^" + std::string(event) +
         "|" + std::string(control) + "|P|2.5.1\rEVN|" + std::string(event) + "|" +
         std::string(time) + "\rPID|1||" + std::string(mrn) + "^^^GH^MR||" + std::string(name) +
         "||19480312|F\rPV1|1|I|" + std::string(location) + "||||7^Okafor^Emeka^^^Dr.|||||||||||V-" +
         std::string(mrn) + "^^^GH\r";
}

class AdtFeedTest : public ServerTest {
 protected:
  void SetUp() override {
    const auto token_file = temp_.path() / "metrics.token";
    std::ofstream(token_file) << kMetricsToken << "\n";
    ::chmod(token_file.c_str(), 0600);
    server_ = std::make_unique<ServerProcess>(
        temp_.path() / "data",
        std::vector<std::string>{"--hl7-port", "0", "--metrics-token-file", token_file.string()});
    server_->start();
    hl7_port_ = printed_port(server_->output());
    ASSERT_NE(hl7_port_, 0) << server_->output();
  }

  static std::uint16_t printed_port(const std::string& output) {
    const std::string_view marker = "HL7 feed (MLLP) on ";
    const auto at = output.find(marker);
    if (at == std::string::npos) {
      return 0;
    }
    const auto colon = output.find(':', at + marker.size());
    return static_cast<std::uint16_t>(std::stoi(output.substr(colon + 1)));
  }

  std::unique_ptr<net::MllpClient> feed() {
    net::MllpClientOptions options;
    options.server = server_->client_options();
    options.server.port = hl7_port_;
    auto client = net::MllpClient::connect(options);
    EXPECT_TRUE(client.has_value()) << client.error().to_string();
    return client ? std::move(*client) : nullptr;
  }

  // MSA-1 and MSA-2 of the ACK to `message`.
  static std::pair<std::string, std::string> acknowledge(net::MllpClient& feed,
                                                         const std::string& message) {
    auto ack = feed.exchange(message);
    EXPECT_TRUE(ack.has_value()) << ack.error().to_string();
    auto parsed = hl7::parse_message(ack.value_or(""));
    EXPECT_TRUE(parsed.has_value());
    return parsed ? std::make_pair(parsed->value("MSA", 1), parsed->value("MSA", 2))
                  : std::make_pair(std::string(), std::string());
  }

  std::string scrape() {
    net::HttpsClient client(server_->client_options());
    auto response = client.request("GET", "/metrics", {},
                                   {{"Authorization", "Bearer " + std::string(kMetricsToken)}});
    EXPECT_TRUE(response.has_value()) << response.error().to_string();
    return response ? response->body : std::string();
  }

  // Writes `bytes` on a new plain TCP connection to the feed and waits (5 s at most) for
  // the server to close it. Returns whether it did.
  bool send_raw_until_closed(std::string_view bytes) const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(hl7_port_);
    ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    timeval timeout{.tv_sec = 5, .tv_usec = 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    bool is_closed = false;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
        ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(bytes.size())) {
      char chunk[256];
      ssize_t received = 0;
      while ((received = ::recv(fd, chunk, sizeof chunk, 0)) > 0) {
      }
      is_closed = received == 0 || errno == ECONNRESET;
    }
    ::close(fd);
    return is_closed;
  }

  // Runs `wardline hl7 <arguments>` as `user` (the demo password) against the server.
  int hl7_cli(std::string_view user, std::vector<std::string> arguments,
              std::string* output) const {
    std::vector<std::string> command{"hl7"};
    command.insert(command.end(), arguments.begin(), arguments.end());
    command.insert(
        command.end(),
        {"--server", "https://127.0.0.1:" + std::to_string(server_->port()), "--ca",
         (server_->data_dir() / "tls" / "ca.pem").string(), "--user", std::string(user)});
    return run_wardline(command, output, {"WARDLINE_PASSWORD=wardline-demo-password"});
  }

  static std::vector<std::string> lines_of(const std::string& output) {
    std::vector<std::string> lines;
    std::istringstream stream(output);
    for (std::string line; std::getline(stream, line);) {
      lines.push_back(line);
    }
    return lines;
  }

  std::uint16_t hl7_port_ = 0;
};

TEST_F(AdtFeedTest, AnAdmissionOverMllpIsAcknowledgedAndShownInTheBannerAsThePatientMoves) {
  auto engine = feed();
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(acknowledge(*engine, adt("A01", "m-1", "20261207080000", "900001", "Feedpatient^Zoë",
                                     "4 West^12")),
            std::make_pair(std::string("AA"), std::string("m-1")));

  // A nurse finds the new inpatient in the picker and opens a conversation about her.
  auto harper = login("rn.harper");
  const json::value found = harper->get("/api/v1/patients/search?q=feedpat%20zoe");
  ASSERT_EQ(found.at("patients").as_array().size(), 1u) << json::serialize(found);
  const json::value& patient = found.at("patients").as_array()[0];
  EXPECT_EQ(patient.at("name").as_string(), "Feedpatient, Zoë");
  EXPECT_EQ(patient.at("location").as_string(), "4 West, room 12");
  EXPECT_EQ(patient.at("status").as_string(), "admitted");
  const std::int64_t patient_id = patient.at("id").as_int64();
  const json::value thread = harper->post(
      "/api/v1/threads",
      json::object{{"kind", "patient"},
                   {"patient_id", patient_id},
                   {"member_ids", json::array{harper->user_id_of("dr.patel")}}});
  const std::int64_t thread_id = thread.at("id").as_int64();
  harper->connect();

  // The transfer reaches the open conversation as it is acknowledged.
  EXPECT_EQ(acknowledge(*engine, adt("A02", "m-2", "20261207090000", "900001", "", "ICU^^3"))
                .first,
            "AA");
  const json::value changed = harper->next_matching([&](const json::value& frame) {
    return is_event(frame, "patient_changed") &&
           frame.at("event").at("thread_id").as_int64() == thread_id;
  });
  ASSERT_TRUE(changed.is_object());
  const json::value banner = harper->get("/api/v1/threads/" + std::to_string(thread_id));
  EXPECT_EQ(banner.at("patient").at("location").as_string(), "ICU, bed 3");
  EXPECT_EQ(banner.at("patient").at("name").as_string(), "Feedpatient, Zoë");

  // The same message again is acknowledged and changes nothing.
  EXPECT_EQ(acknowledge(*engine, adt("A02", "m-2", "20261207090000", "900001", "", "ICU^^3"))
                .first,
            "AA");
  // Discharged: the banner says so and she leaves the picker.
  EXPECT_EQ(
      acknowledge(*engine, adt("A03", "m-3", "20261207100000", "900001", "", "ICU^^3")).first,
      "AA");
  EXPECT_EQ(harper->get("/api/v1/patients/" + std::to_string(patient_id))
                .at("status")
                .as_string(),
            "discharged");
  EXPECT_TRUE(harper->get("/api/v1/patients/search?q=feedpatient")
                  .at("patients")
                  .as_array()
                  .empty());
}

TEST_F(AdtFeedTest, AFailureIsListedForTheIntegrationEngineerAndReplayedAfterTheFix) {
  auto engine = feed();
  ASSERT_NE(engine, nullptr);
  // The transfer came before the admission: refused with AE, stored.
  EXPECT_EQ(acknowledge(*engine, adt("A02", "early", "20261207090000", "900002",
                                     "Latepatient^Ann", "ICU^^4")),
            std::make_pair(std::string("AE"), std::string("early")));
  EXPECT_EQ(acknowledge(*engine, "garbage").first, "AR");

  auto admin = login("admin");
  const json::value failures = admin->get("/api/v1/hl7/messages?outcome=error");
  ASSERT_EQ(failures.at("messages").as_array().size(), 1u) << json::serialize(failures);
  const std::int64_t failed_id = failures.at("messages").as_array()[0].at("id").as_int64();
  const json::value one = admin->get("/api/v1/hl7/messages/" + std::to_string(failed_id));
  EXPECT_EQ(one.at("message_type").as_string(), "ADT^A02");
  EXPECT_NE(one.at("text").as_string().find("Latepatient"), std::string::npos);
  // A clinician may not read the feed.
  auto harper = login("rn.harper");
  EXPECT_EQ(harper->call("GET", "/api/v1/hl7/messages").status, 403);

  EXPECT_EQ(acknowledge(*engine, adt("A01", "admit", "20261207080000", "900002",
                                     "Latepatient^Ann", "5 East^1"))
                .first,
            "AA");
  const json::value replayed =
      admin->post("/api/v1/hl7/messages/" + std::to_string(failed_id) + "/replay", json::object{});
  EXPECT_EQ(replayed.at("outcome").as_string(), "applied") << json::serialize(replayed);
  const json::value after = admin->get("/api/v1/hl7/messages/" + std::to_string(failed_id));
  EXPECT_EQ(after.at("attempts").as_int64(), 2);
  const json::value found = harper->get("/api/v1/patients/search?q=latepatient");
  ASSERT_EQ(found.at("patients").as_array().size(), 1u);
  EXPECT_EQ(found.at("patients").as_array()[0].at("location").as_string(), "ICU, bed 4");
}

TEST_F(AdtFeedTest, AnAdminListsShowsAndReplaysFailuresWithTheCli) {
  auto engine = feed();
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(acknowledge(*engine,
                        adt("A02", "early", "20261207090000", "900004", "Clipatient^Bo", "ICU^^5"))
                .first,
            "AE");
  EXPECT_EQ(acknowledge(*engine, "garbage").first, "AR");

  std::string output;
  ASSERT_EQ(hl7_cli("admin", {"messages", "--outcome", "error"}, &output), 0) << output;
  std::vector<std::string> lines = lines_of(output);
  ASSERT_EQ(lines.size(), 1u) << output;
  const std::string id = lines[0].substr(0, lines[0].find(' '));
  EXPECT_NE(lines[0].find(" ADT^A02 error AE attempts=1 patient=- "), std::string::npos)
      << lines[0];
  EXPECT_EQ(lines[0].find("Clipatient"), std::string::npos) << "the list holds no patient data";

  // Newest first, a page at a time.
  ASSERT_EQ(hl7_cli("admin", {"messages", "--limit", "1"}, &output), 0) << output;
  lines = lines_of(output);
  ASSERT_EQ(lines.size(), 2u) << output;
  EXPECT_NE(lines[0].find(" rejected AR "), std::string::npos) << lines[0];
  const std::string newest = lines[0].substr(0, lines[0].find(' '));
  EXPECT_EQ(lines[1], "(more: --before " + newest + ")");
  ASSERT_EQ(hl7_cli("admin", {"messages", "--before", newest, "--limit", "1"}, &output), 0)
      << output;
  lines = lines_of(output);
  ASSERT_EQ(lines.size(), 2u) << output;
  EXPECT_TRUE(lines[0].starts_with(id + " ")) << output;

  ASSERT_EQ(hl7_cli("admin", {"show", id}, &output), 0) << output;
  EXPECT_NE(output.find("\nPID|1||900004^^^GH^MR||Clipatient^Bo"), std::string::npos) << output;

  // Still failing before the fix: exit 1 with the outcome.
  EXPECT_EQ(hl7_cli("admin", {"replay", id}, &output), 1) << output;
  EXPECT_NE(output.find(id + " error AE patient=- "), std::string::npos) << output;
  EXPECT_EQ(acknowledge(*engine, adt("A01", "admit", "20261207080000", "900004", "Clipatient^Bo",
                                     "5 East^2"))
                .first,
            "AA");
  ASSERT_EQ(hl7_cli("admin", {"replay", id}, &output), 0) << output;
  EXPECT_NE(output.find(id + " applied AA patient="), std::string::npos) << output;
  ASSERT_EQ(hl7_cli("admin", {"replay", id}, &output), 0) << output;
  EXPECT_NE(output.find(id + " duplicate AA"), std::string::npos) << output;

  // Clear errors, exit 2: not an admin, no such message, a bad option.
  EXPECT_EQ(hl7_cli("rn.harper", {"messages"}, &output), 2);
  EXPECT_NE(output.find("HTTP 403: this needs an administrator of the org"), std::string::npos)
      << output;
  EXPECT_EQ(hl7_cli("admin", {"show", "987654"}, &output), 2);
  EXPECT_NE(output.find("HTTP 404: HL7 message not found"), std::string::npos) << output;
  EXPECT_EQ(hl7_cli("admin", {"messages", "--outcome", "lost"}, &output), 2);
  EXPECT_NE(output.find("--outcome"), std::string::npos) << output;

  // The same store served without a feed cannot replay.
  engine.reset();
  server_->stop();
  server_ = std::make_unique<ServerProcess>(temp_.path() / "data");
  server_->start();
  EXPECT_EQ(hl7_cli("admin", {"replay", id}, &output), 2);
  EXPECT_NE(output.find("HTTP 412: this server takes no HL7 feed"), std::string::npos) << output;
}

TEST_F(AdtFeedTest, MetricsCountTheFeedsConnectionsFramesAcksAndOutcomes) {
  const std::string before = scrape();
  EXPECT_EQ(metric_sample(before, "wardline_mllp_connections_accepted_total"), 0);
  EXPECT_EQ(metric_sample(before, R"(wardline_hl7_messages_total{outcome="applied"})"), 0);
  {
    auto engine = feed();
    ASSERT_NE(engine, nullptr);
    const std::string admission =
        adt("A01", "k-1", "20261207080000", "900003", "Countpatient^Ivy", "4 West^2");
    EXPECT_EQ(acknowledge(*engine, admission).first, "AA");  // applied
    EXPECT_EQ(acknowledge(*engine, admission).first, "AA");  // duplicate
    EXPECT_EQ(acknowledge(*engine, adt("A08", "k-2", "20261207070000", "900003", "Countpatient^Ivy",
                                       "4 West^2"))
                  .first,
              "AA");  // stale: older than the admission
    EXPECT_EQ(
        acknowledge(*engine, adt("A02", "k-3", "20261207090000", "900099", "Nobody^N", "ICU^^1"))
            .first,
        "AE");                                               // error: no such patient
    EXPECT_EQ(acknowledge(*engine, "garbage").first, "AR");  // rejected
    const std::string during = scrape();
    EXPECT_EQ(metric_sample(during, "wardline_mllp_connections_open"), 1);
  }
  // A start block inside a frame: broken framing closes the connection.
  ASSERT_TRUE(
      send_raw_until_closed("\x0B"
                            "half\x0B"
                            "again\x1C\r"));

  const std::string after = scrape();
  EXPECT_EQ(metric_sample(after, "wardline_mllp_connections_accepted_total"), 2);
  EXPECT_EQ(metric_sample(after, "wardline_mllp_connections_refused_total"), 0);
  EXPECT_EQ(metric_sample(after, "wardline_mllp_frames_received_total"), 5);
  EXPECT_EQ(metric_sample(after, R"(wardline_mllp_frame_errors_total{reason="malformed"})"), 1);
  EXPECT_EQ(metric_sample(after, R"(wardline_mllp_frame_errors_total{reason="oversize"})"), 0);
  EXPECT_EQ(metric_sample(after, R"(wardline_mllp_acks_total{code="AA"})"), 3);
  EXPECT_EQ(metric_sample(after, R"(wardline_mllp_acks_total{code="AE"})"), 1);
  EXPECT_EQ(metric_sample(after, R"(wardline_mllp_acks_total{code="AR"})"), 1);
  for (const auto& [outcome, count] :
       {std::pair{"applied", 1}, std::pair{"duplicate", 1}, std::pair{"stale", 1},
        std::pair{"error", 1}, std::pair{"rejected", 1}}) {
    EXPECT_EQ(metric_sample(
                  after, std::string("wardline_hl7_messages_total{outcome=\"") + outcome + "\"}"),
              count)
        << outcome;
  }
  EXPECT_EQ(metric_sample(after, "wardline_hl7_messages_unacknowledged_total"), 0);
}

}  // namespace
}  // namespace wl::testing
