// Runs every tests/protocol/*.txt transcript against a fresh demo server on each store
// (SQLite in the data directory; PostgreSQL in a fresh database of the test server
// the binary starts), in the format of transcript_runner.hpp, plus tests that the
// runner itself can fail.
#include <algorithm>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "protocol/json_match.hpp"
#include "protocol/transcript_runner.hpp"
#include "support/postgres_server.hpp"
#include "support/server_process.hpp"

namespace wl::testing {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;

std::vector<std::string> transcript_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(WL_PROTOCOL_DIR)) {
    if (entry.is_regular_file() && entry.path().extension() == ".txt" &&
        entry.path().filename() != "CMakeLists.txt") {
      names.push_back(entry.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// (store, transcript).
using TranscriptCase = std::tuple<std::string, std::string>;

std::string test_name_of(const ::testing::TestParamInfo<TranscriptCase>& info) {
  std::string name = std::get<0>(info.param) + "_" + std::get<1>(info.param);
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
  return name;
}

class ProtocolTranscript : public ::testing::TestWithParam<TranscriptCase> {
 protected:
  void TearDown() override {
    if (!database_.empty()) {
      EXPECT_TRUE(PostgresServer::shared().value()->drop_database(database_).has_value());
    }
  }

  TempDir temp_;
  std::string database_;  // The PostgreSQL database of this test, if any.
};

TEST_P(ProtocolTranscript, Passes) {
  const auto& [store, transcript] = GetParam();
  std::vector<std::string> arguments = {"--test-clock-file",
                                        (temp_.path() / "data.clock").string()};
  if (store == "postgres") {
    auto postgres = PostgresServer::shared();
    ASSERT_TRUE(postgres.has_value()) << postgres.error().to_string();
    auto database = (*postgres)->create_database();
    ASSERT_TRUE(database.has_value()) << database.error().to_string();
    database_ = *database;
    arguments.push_back("--store");
    arguments.push_back(
        fmt::format("postgresql://postgres@127.0.0.1:{}/{}", (*postgres)->port(), database_));
  }
  ServerProcess server(temp_.path() / "data", arguments);
  server.start();
  ASSERT_NE(server.port(), 0);
  TranscriptRunner runner(server);
  const auto done = runner.run_file(fs::path(WL_PROTOCOL_DIR) / (transcript + ".txt"));
  EXPECT_TRUE(done) << done.error().message();
}

INSTANTIATE_TEST_SUITE_P(Transcripts, ProtocolTranscript,
                         ::testing::Combine(::testing::Values("sqlite", "postgres"),
                                            ::testing::ValuesIn(transcript_names())),
                         test_name_of);

// The runner must be able to fail: wrong expectations against the real server are
// reported, not passed.
class TranscriptRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(temp_.path() / "data");
    server_->start();
    ASSERT_NE(server_->port(), 0);
    runner_ = std::make_unique<TranscriptRunner>(*server_);
  }

  TempDir temp_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<TranscriptRunner> runner_;
};

TEST_F(TranscriptRunnerTest, ReportsWrongStatusBodyFrameAndCloseCode) {
  ASSERT_TRUE(runner_->run_line("login alice dr.patel"));
  ASSERT_TRUE(runner_->run_line("http alice GET /api/v1/me"));
  EXPECT_TRUE(runner_->run_line("expect 200 {\"username\":\"dr.patel\"}"));

  auto wrong_status = runner_->run_line("expect 404");
  ASSERT_FALSE(wrong_status);
  EXPECT_EQ(wrong_status.error().code(), Code::kFailedPrecondition);
  auto wrong_body = runner_->run_line("expect 200 {\"username\":\"dr.okafor\"}");
  ASSERT_FALSE(wrong_body);
  EXPECT_NE(wrong_body.error().message().find(".username"), std::string::npos);

  ASSERT_TRUE(runner_->run_line("ws alice connect"));
  auto wrong_frame = runner_->run_line("ws alice expect-next {\"type\":\"caught_up\"}");
  ASSERT_FALSE(wrong_frame);  // The welcome comes first.
  EXPECT_TRUE(runner_->run_line("ws alice expect-next {\"type\":\"welcome\"}"));
  EXPECT_TRUE(runner_->run_line("ws alice expect-next {\"type\":\"caught_up\"}"));
  ASSERT_TRUE(runner_->run_line("ws alice send {\"type\":\"ping\",\"ref\":\"p1\"}"));
  EXPECT_FALSE(runner_->run_line("ws alice no-frame 300"));  // The pong is left over.
  ASSERT_TRUE(runner_->run_line("ws alice send {\"type\":\"ping\",\"ref\":\"p2\"}"));
  EXPECT_TRUE(runner_->run_line("ws alice expect {\"type\":\"pong\",\"ref\":\"p2\"}"));

  ASSERT_TRUE(runner_->run_line("ws bob open"));
  ASSERT_TRUE(runner_->run_line("ws bob send {\"type\":\"ping\"}"));
  auto wrong_code = runner_->run_line("ws bob closed 1000");
  ASSERT_FALSE(wrong_code);
  EXPECT_NE(wrong_code.error().message().find("1008"), std::string::npos);
}

TEST_F(TranscriptRunnerTest, RejectsUndefinedVariablesAndUnknownCommands) {
  auto undefined = runner_->run_line("http alice GET /api/v1/threads/$thread");
  ASSERT_FALSE(undefined);
  EXPECT_EQ(undefined.error().code(), Code::kInvalidArgument);
  EXPECT_FALSE(runner_->run_line("frobnicate"));
  EXPECT_FALSE(runner_->run_line("ws alice send {}"));  // No WebSocket yet.
  EXPECT_FALSE(runner_->run_line("admin-token"));
  EXPECT_FALSE(runner_->run_line("admin-token root extra"));
  EXPECT_FALSE(runner_->run_line("token alice"));
}

TEST_F(TranscriptRunnerTest, AdminTokenComesFromTheRunFileAndOnlyItPasses) {
  ASSERT_TRUE(runner_->run_line("admin-token root"));
  ASSERT_TRUE(runner_->run_line("http root GET /api/v1/system/orgs"));
  EXPECT_TRUE(runner_->run_line("expect 200"));
  ASSERT_TRUE(runner_->run_line("token root ${f*64}"));
  ASSERT_TRUE(runner_->run_line("http root GET /api/v1/system/orgs"));
  EXPECT_FALSE(runner_->run_line("expect 200"));
  EXPECT_TRUE(runner_->run_line("expect 401"));
}

TEST_F(TranscriptRunnerTest, RefusesAClockItCannotMove) {
  for (const char* line : {"clock advance", "clock advance 5x", "clock advance -3m",
                           "clock rewind 5m", "clock advance 5m later"}) {
    auto malformed = runner_->run_line(line);
    ASSERT_FALSE(malformed) << line;
    EXPECT_EQ(malformed.error().code(), Code::kInvalidArgument) << line;
  }
  // This server was started without --test-clock-file.
  auto fixed = runner_->run_line("clock advance 5m");
  ASSERT_FALSE(fixed);
  EXPECT_EQ(fixed.error().code(), Code::kFailedPrecondition);
}

TEST(JsonMatchTest, SubsetsPlaceholdersAndArrays) {
  const json::value actual = json::parse(
      R"({"id":7,"at":"2026-11-25T12:24:53.775638Z","list":[{"a":1,"b":2}],"ok":true})");
  EXPECT_TRUE(json_contains(actual, json::parse(R"({"id":7})")));
  EXPECT_TRUE(json_contains(actual, json::parse(R"({"at":"<timestamp>","id":"<int>"})")));
  EXPECT_TRUE(json_contains(actual, json::parse(R"({"list":[{"b":2}],"gone":"<absent>"})")));
  EXPECT_FALSE(json_contains(actual, json::parse(R"({"id":8})")));
  EXPECT_FALSE(json_contains(actual, json::parse(R"({"list":[]})")));
  EXPECT_FALSE(json_contains(actual, json::parse(R"({"id":"<string>"})")));
  EXPECT_FALSE(json_contains(actual, json::parse(R"({"ok":"<absent>"})")));
  std::string where;
  EXPECT_FALSE(json_contains(actual, json::parse(R"({"list":[{"a":2}]})"), &where));
  EXPECT_EQ(where.substr(0, 10), ".list[0].a");
}

TEST(JsonMatchTest, PathsWalkObjectsAndArrays) {
  const json::value root = json::parse(R"({"messages":[{"id":3},{"id":4}],"c":"x"})");
  EXPECT_EQ(json_at(root, ".messages[1].id"), json::value(4));
  EXPECT_EQ(json_at(root, ".c"), json::value("x"));
  EXPECT_EQ(json_at(root, "."), root);
  EXPECT_FALSE(json_at(root, ".messages[2]"));
  EXPECT_FALSE(json_at(root, "messages"));
}

}  // namespace
}  // namespace wl::testing
