#pragma once

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "adapters/sqlite/sqlite_store.hpp"
#include "services/audit/audit_chain.hpp"
#include "support/server_process.hpp"
#include "support/test_client.hpp"

namespace wl::testing {

// Some activity to audit on a demo server: rn.harper signs in, opens the direct thread
// with dr.patel and sends `client_id`.
inline void send_audited_message(const net::ClientOptions& server, std::string_view client_id) {
  TestClient harper(server, "rn.harper");
  const auto thread = harper.post(
      "/api/v1/threads",
      boost::json::object{{"kind", "direct"}, {"user_id", harper.user_id_of("dr.patel")}});
  harper.connect();
  const auto sent = harper.send_message(thread.at("id").as_int64(), client_id, "audited message");
  ASSERT_EQ(sent.at("type").as_string(), "sent");
}

// The value of the sample `series` (name and labels as written) in a /metrics scrape.
inline std::optional<double> metric_sample(const std::string& text, const std::string& series) {
  const std::string line_start = series + " ";
  std::size_t at = 0;
  while ((at = text.find(line_start, at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      const std::size_t end = text.find('\n', at);
      return std::stod(text.substr(at + line_start.size(), end - at - line_start.size()));
    }
    ++at;
  }
  return std::nullopt;
}

// A fresh demo server per test, over TLS on a free loopback port.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(temp_.path() / "data");
    server_->start();
    ASSERT_NE(server_->port(), 0);
  }

  std::unique_ptr<TestClient> login(std::string_view username) {
    return std::make_unique<TestClient>(server_->client_options(), username);
  }

  // The direct thread between two demo users, opened by `a`.
  std::int64_t direct_thread(TestClient& a, std::string_view other) {
    const auto thread =
        a.post("/api/v1/threads",
               boost::json::object{{"kind", "direct"}, {"user_id", a.user_id_of(other)}});
    return thread.at("id").as_int64();
  }

  // Every audit entry, in chain order (the server must be stopped).
  std::vector<AuditEntry> audit_entries() {
    auto store = SqliteStore::open(server_->data_dir() / "wardline.db", make_audit_chainer());
    EXPECT_TRUE(store) << store.error().to_string();
    std::vector<AuditEntry> entries;
    std::int64_t after = 0;
    while (store) {
      auto page = (*store)->read_audit(after, 1000);
      if (!page || page->empty()) {
        break;
      }
      for (AuditEntry& entry : *page) {
        after = entry.seq;
        entries.push_back(std::move(entry));
      }
    }
    return entries;
  }

  static std::string read_file(const std::filesystem::path& path) {
    std::ifstream stream(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
  }

  // Fails the test for each of `secrets` found in the raw bytes of any file of the data
  // directory (the database, its WAL and everything beside them).
  void expect_in_no_data_file(std::initializer_list<std::string_view> secrets) {
    for (const auto& entry : std::filesystem::directory_iterator(server_->data_dir())) {
      if (!entry.is_regular_file()) {
        continue;
      }
      const std::string contents = read_file(entry.path());
      for (const std::string_view secret : secrets) {
        EXPECT_EQ(contents.find(secret), std::string::npos)
            << secret << " found in " << entry.path().filename();
      }
    }
  }

  static bool is_type(const boost::json::value& frame, std::string_view type) {
    return frame.at("type").as_string() == type;
  }
  static bool is_event(const boost::json::value& frame, std::string_view kind) {
    return is_type(frame, "event") && frame.at("event").at("kind").as_string() == kind;
  }

  TempDir temp_;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace wl::testing
