// Upgrades with the real binary (docs/operations.md, "Upgrade"): a store of the schema
// before this build's is migrated at start and keeps everything it held; a store a newer
// Wardline migrated is refused with a message that says so, and left untouched.

#include <sqlite3.h>

#include <string>

#include <boost/json/serialize.hpp>

#include "integration/fixture.hpp"
#include "support/schema_downgrades.hpp"

namespace wl::testing {
namespace {
namespace json = boost::json;

using UpgradeTest = ServerTest;

// Runs `sql` on the (closed) store; returns PRAGMA user_version afterwards.
int run_on_store(const std::filesystem::path& database, const std::string& sql) {
  sqlite3* handle = nullptr;
  EXPECT_EQ(sqlite3_open(database.c_str(), &handle), SQLITE_OK);
  char* message = nullptr;
  EXPECT_EQ(sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK)
      << (message != nullptr ? message : "");
  sqlite3_free(message);
  sqlite3_stmt* version = nullptr;
  sqlite3_prepare_v2(handle, "PRAGMA user_version", -1, &version, nullptr);
  sqlite3_step(version);
  const int result = sqlite3_column_int(version, 0);
  sqlite3_finalize(version);
  sqlite3_close(handle);
  return result;
}

TEST_F(UpgradeTest, AStoreOfThePreviousSchemaIsMigratedAtStartAndKeepsWhatItHeld) {
  const std::string audit_key = printed_audit_key(server_->output());
  std::int64_t thread = 0;
  {
    auto harper = login("rn.harper");
    thread = direct_thread(*harper, "dr.patel");
    harper->connect();
    for (int i = 0; i < 5; ++i) {
      const auto sent = harper->send_message(thread, "before-" + std::to_string(i), "vitals");
      ASSERT_EQ(sent.at("type").as_string(), "sent") << json::serialize(sent);
    }
  }
  server_->stop();
  // Schema 17, as an older release left it: no directory, no call back yet.
  const auto database = server_->data_dir() / "wardline.db";
  ASSERT_EQ(
      run_on_store(database, std::string(testing::kDropCallback) + std::string(testing::kDropMessageSearch) +
                                 std::string(testing::kDropDirectory) + "PRAGMA user_version = 17"),
      17);

  server_->start();
  {
    auto harper = login("rn.harper");
    const auto page =
        harper->get("/api/v1/threads/" + std::to_string(thread) + "/messages?limit=50");
    int kept = 0;
    for (const auto& message : page.at("messages").as_array()) {
      kept += message.at("client_id").as_string().starts_with("before-") ? 1 : 0;
    }
    EXPECT_EQ(kept, 5) << "every message survives the upgrade";
    // What version 18 brought works at once: the demo's existing people are in the
    // directory, with no department yet, and the org has no screen.
    const json::value found = harper->get("/api/v1/directory?q=patel&kinds=person");
    ASSERT_EQ(found.at("results").as_array().size(), 1u) << json::serialize(found);
    EXPECT_EQ(found.at("results").at(0).at("department").as_string(), "");
    EXPECT_EQ(harper->get("/api/v1/org-screen").at("version").as_int64(), 0);
    // And 19's: the messages kept are found by their words.
    const json::value hits = harper->get("/api/v1/search/messages?q=vitals&limit=50");
    EXPECT_EQ(hits.at("hits").as_array().size(), 5u) << json::serialize(hits);
  }
  server_->stop();
  EXPECT_EQ(run_on_store(database, ""), 21);
  std::string output;
  EXPECT_EQ(run_wardline(
                {"audit", "--data-dir", server_->data_dir().string(), "verify", "--key", audit_key},
                &output),
            0)
      << output;
}

TEST_F(UpgradeTest, AStoreANewerWardlineMigratedIsRefusedAndLeftAsItIs) {
  server_->stop();
  const auto database = server_->data_dir() / "wardline.db";
  ASSERT_EQ(run_on_store(database, "PRAGMA user_version = 99"), 99);
  std::string output;
  EXPECT_NE(
      run_wardline({"serve", "--data-dir", server_->data_dir().string(), "--port", "0"}, &output),
      0);
  EXPECT_NE(output.find("written by a newer Wardline (schema version 99)"), std::string::npos)
      << output;
  EXPECT_EQ(run_on_store(database, ""), 99) << "never downgraded in place";
}

}  // namespace
}  // namespace wl::testing
