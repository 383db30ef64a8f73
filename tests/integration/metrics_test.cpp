// GET /metrics and GET /healthz (docs/operations.md, "Monitoring") on the real server:
// the metrics only for the scraper's token, in the Prometheus text format, with counts
// that follow what users do; the health report names the store and the disk.

#include <fstream>
#include <optional>
#include <regex>
#include <thread>

#include <sys/stat.h>

#include <boost/json/parse.hpp>

#include "integration/fixture.hpp"

namespace wl::testing {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::string_view kToken = "scrape-7f3a9c2e41d8b6a0";

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_file_ = temp_.path() / "metrics.token";
    std::ofstream(token_file_) << kToken << "\n";
    ::chmod(token_file_.c_str(), 0600);
    server_ = std::make_unique<ServerProcess>(
        temp_.path() / "data",
        std::vector<std::string>{"--metrics-token-file", token_file_.string()});
    server_->start();
  }

  net::Response get(std::string_view target, std::string_view token = {}) {
    net::HttpsClient client(server_->client_options());
    std::vector<net::Header> headers;
    if (!token.empty()) {
      headers.push_back({"Authorization", "Bearer " + std::string(token)});
    }
    auto response = client.request("GET", target, {}, headers);
    EXPECT_TRUE(response.has_value()) << response.error().to_string();
    return response ? std::move(*response) : net::Response{};
  }

  static std::optional<double> sample(const std::string& text, const std::string& series) {
    return metric_sample(text, series);
  }

  TempDir temp_;
  fs::path token_file_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(MetricsTest, OnlyTheScrapersTokenReadsTheMetrics) {
  EXPECT_EQ(get("/metrics").status, 401);
  EXPECT_EQ(get("/metrics", "scrape-wrong").status, 401);
  TestClient harper(server_->client_options(), "rn.harper");
  EXPECT_EQ(get("/metrics", harper.token()).status, 401) << "a user's session is not the token";
  const net::Response scrape = get("/metrics", kToken);
  ASSERT_EQ(scrape.status, 200) << scrape.body;
  EXPECT_EQ(scrape.content_type, "text/plain; version=0.0.4; charset=utf-8");
  // Every line is a comment or a sample: name, optional labels, a number.
  const std::regex sample_line(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfNa]+$)");
  std::istringstream lines(scrape.body);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("# HELP ") && !line.starts_with("# TYPE ")) {
      EXPECT_TRUE(std::regex_match(line, sample_line)) << line;
    }
  }
}

TEST_F(MetricsTest, CountsFollowWhatUsersDo) {
  const std::string before = get("/metrics", kToken).body;
  const std::string login = R"(wardline_audit_entries_total{action="login",outcome="ok"})";
  const std::string sent = R"(wardline_audit_entries_total{action="message.send",outcome="ok"})";
  const std::string ok_responses = R"(wardline_http_responses_total{status="200"})";
  {
    TestClient harper(server_->client_options(), "rn.harper");
    const auto thread =
        harper.post("/api/v1/threads",
                    json::object{{"kind", "direct"}, {"user_id", harper.user_id_of("dr.patel")}});
    harper.connect();
    // dr.patel's device is online: the three are streamed to it, and it acknowledges them.
    TestClient patel(server_->client_options(), "dr.patel");
    patel.connect();
    patel.next_matching([](const json::value& frame) { return frame.at("type") == "caught_up"; });
    for (int i = 0; i < 3; ++i) {
      const auto reply =
          harper.send_message(thread.at("id").as_int64(), "m-" + std::to_string(i), "hello");
      ASSERT_EQ(reply.at("type").as_string(), "sent");
    }
    const std::string during = get("/metrics", kToken).body;
    EXPECT_EQ(sample(during, "wardline_websocket_sessions"), 2);
    json::array ids;
    while (ids.size() < 3) {
      const json::value frame = patel.next_matching([](const json::value& f) {
        return f.at("type") == "event" && f.at("event").at("kind") == "message";
      });
      ASSERT_FALSE(frame.is_null()) << "the messages did not reach dr.patel";
      ids.push_back(frame.at("event").at("id"));
    }
    patel.send_frame(json::object{{"type", "ack"}, {"message_ids", ids}, {"ref", "acks"}});
    // The receipts commit with the next write or within 50 ms: the count follows.
    const double expected = sample(before, "wardline_messages_delivered_total").value_or(0) + 3;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (sample(get("/metrics", kToken).body, "wardline_messages_delivered_total") != expected &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  // Once both sessions have ended, nothing is left in any WebSocket queue.
  std::string after = get("/metrics", kToken).body;
  for (int i = 0; i < 250 && sample(after, "wardline_websocket_sessions") != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    after = get("/metrics", kToken).body;
  }
  EXPECT_EQ(sample(after, "wardline_websocket_sessions"), 0);
  EXPECT_EQ(sample(after, "wardline_websocket_queued_frames"), 0);
  EXPECT_EQ(sample(after, login).value_or(-1), sample(before, login).value_or(0) + 2);
  EXPECT_EQ(sample(after, sent).value_or(-1), sample(before, sent).value_or(0) + 3);
  EXPECT_GT(sample(after, ok_responses).value_or(0), sample(before, ok_responses).value_or(0));
  EXPECT_EQ(sample(after, "wardline_messages_delivered_total").value_or(-1),
            sample(before, "wardline_messages_delivered_total").value_or(0) + 3);
  // Each took from its commit to dr.patel's ack to arrive.
  EXPECT_EQ(sample(after, "wardline_delivery_lag_seconds_count").value_or(-1),
            sample(before, "wardline_delivery_lag_seconds_count").value_or(0) + 3);
  EXPECT_GT(sample(after, "wardline_store_commits_total").value_or(0),
            sample(before, "wardline_store_commits_total").value_or(0));
  EXPECT_GT(sample(after, R"(wardline_tls_handshakes_total{result="ok"})").value_or(0), 0);
  EXPECT_TRUE(sample(after, R"(wardline_timer_lateness_seconds_bucket{le="+Inf"})").has_value());
  EXPECT_TRUE(sample(after, "wardline_process_resident_bytes").value_or(0) > 1e6);
}

TEST_F(MetricsTest, HealthReportsTheStoreAndTheDisk) {
  const net::Response health = get("/healthz");
  ASSERT_EQ(health.status, 200) << health.body;
  const json::value body = json::parse(health.body);
  EXPECT_EQ(body.at("status").as_string(), "ok");
  EXPECT_EQ(body.at("store").at("status").as_string(), "ok");
  EXPECT_GT(body.at("disk").at("total_bytes").to_number<double>(), 0);
  EXPECT_GT(body.at("disk").at("free_bytes").to_number<double>(), 0);
}

TEST(MetricsWithoutTokenTest, WithoutATokenFileThereIsNoMetricsPath) {
  TempDir temp;
  ServerProcess server(temp.path() / "data");
  server.start();
  net::HttpsClient client(server.client_options());
  auto response = client.request("GET", "/metrics", {}, {{"Authorization", "Bearer anything"}});
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 404);
}

}  // namespace
}  // namespace wl::testing
