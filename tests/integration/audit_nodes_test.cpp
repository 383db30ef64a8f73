// Two `wardline serve` nodes on one PostgreSQL database (docs/audit_chain.md,
// "Chains"): each appends to its own audit chain, `wardline audit verify --store`
// checks both, and deleting a node's whole chain, or editing one entry of it, is
// caught.

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/json/object.hpp>

#include "integration/fixture.hpp"
#include "support/postgres_server.hpp"
#include "support/server_process.hpp"
#include "support/test_client.hpp"

namespace wl::testing {
namespace {
namespace fs = std::filesystem;

class AuditNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto postgres = PostgresServer::shared();
    ASSERT_TRUE(postgres.has_value()) << postgres.error().to_string();
    postgres_ = *postgres;
    auto database = postgres_->create_database();
    ASSERT_TRUE(database.has_value()) << database.error().to_string();
    database_ = *database;
    url_ = fmt::format("postgresql://postgres@127.0.0.1:{}/{}", postgres_->port(), database_);
  }

  // A node with its own data directory (TLS, run file) and the shared signing key. A
  // node after the first gets the first one's key-encryption key, as every node of one
  // database must (docs/storage.md, "PostgreSQL").
  std::unique_ptr<ServerProcess> start_node(std::string_view name) {
    const fs::path first_kek = temp_.path() / "node-a" / "keys" / "kek.json";
    if (name != "node-a") {
      fs::create_directories(temp_.path() / name / "keys");
      fs::copy_file(first_kek, temp_.path() / name / "keys" / "kek.json");
    }
    auto node = std::make_unique<ServerProcess>(
        temp_.path() / name,
        std::vector<std::string>{"--store", url_, "--audit-key-file", key_file().string()});
    node->start();
    EXPECT_NE(node->port(), 0);
    return node;
  }

  // The audit key the first node printed at its first start.
  std::string printed_key() const {
    std::ifstream stream(temp_.path() / "node-a.log");
    return printed_audit_key(
        std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>()));
  }

  // A login and a message on `node`: entries in its chain.
  static void send_a_message(ServerProcess& node, std::string_view client_id) {
    send_audited_message(node.client_options(), client_id);
  }

  int verify(std::string* output) {
    return run_wardline({"audit", "--store", url_, "verify", "--key", key_}, output);
  }

  fs::path key_file() const { return temp_.path() / "audit-signing.key"; }

  TempDir temp_;
  PostgresServer* postgres_ = nullptr;
  std::string database_;
  std::string url_;
  std::string key_;
};

TEST_F(AuditNodesTest, EachNodeAppendsToItsOwnChainAndVerifyChecksThemAll) {
  auto first = start_node("node-a");
  key_ = printed_key();
  ASSERT_FALSE(key_.empty());
  auto second = start_node("node-b");
  send_a_message(*first, "a-1");
  send_a_message(*second, "b-1");
  // A clean stop signs each node's head: both chains are pinned.
  second->stop();
  first->stop();

  std::string output;
  EXPECT_EQ(verify(&output), 0) << output;
  EXPECT_NE(output.find("audit log intact: 2 chains"), std::string::npos) << output;

  // A whole chain deleted, its entries and its checkpoints: the other node's later
  // checkpoint counted it.
  ASSERT_TRUE(postgres_
                  ->execute(database_,
                            "DELETE FROM audit WHERE chain = 2; "
                            "DELETE FROM audit_checkpoints WHERE chain = 2; "
                            "UPDATE audit_head SET seq = 0 WHERE id = 2")
                  .has_value());
  EXPECT_EQ(verify(&output), 1) << output;
  EXPECT_NE(output.find("missing chain"), std::string::npos) << output;
}

// `wardline admin --store postgresql://...` with no server on its data directory
// writes the database directly, beside the other nodes, on an audit chain of its own
// that it signs before it exits.
TEST_F(AuditNodesTest, AdminWritesThePostgresStoreDirectlyBesideARunningNode) {
  auto first = start_node("node-a");
  key_ = printed_key();
  ASSERT_FALSE(key_.empty());
  fs::create_directories(temp_.path() / "admin" / "keys");
  fs::copy_file(temp_.path() / "node-a" / "keys" / "kek.json",
                temp_.path() / "admin" / "keys" / "kek.json");
  std::string output;
  ASSERT_EQ(run_wardline({"admin", "--data-dir", (temp_.path() / "admin").string(), "--store", url_,
                          "--audit-key-file", key_file().string(), "--fast-password-hashing",
                          "user", "create", "--org", "Mercy General (demo)", "--username", "rn.obi",
                          "--name", "Ada Obi", "--title", "RN, 5 East"},
                         &output, {"WARDLINE_PASSWORD=night-shift-handover-2026"}),
            0)
      << output;
  // The running node sees the new user at once: same database.
  TestClient obi(first->client_options(), "rn.obi", "night-shift-handover-2026");
  EXPECT_FALSE(obi.token().empty());
  first->stop();
  EXPECT_EQ(verify(&output), 0) << output;
  EXPECT_NE(output.find("audit log intact: 2 chains"), std::string::npos) << output;
}

TEST_F(AuditNodesTest, AnEditInOneNodesChainIsNamedWithItsChain) {
  auto first = start_node("node-a");
  key_ = printed_key();
  ASSERT_FALSE(key_.empty());
  auto second = start_node("node-b");
  send_a_message(*second, "b-1");
  second->stop();
  first->stop();
  ASSERT_TRUE(
      postgres_
          ->execute(database_, "UPDATE audit SET detail = 'edited' WHERE chain = 2 AND seq = 2")
          .has_value());
  std::string output;
  EXPECT_EQ(verify(&output), 1) << output;
  EXPECT_NE(output.find("chain 2, first bad entry 2: hash mismatch"), std::string::npos) << output;
}

}  // namespace
}  // namespace wl::testing
