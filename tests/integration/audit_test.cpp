#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/crypto/ed25519.hpp"
#include "integration/fixture.hpp"
#include "services/audit/audit_chain.hpp"

// `wardline audit verify` against forgeries by someone who can write the database (and
// read everything in the data directory) but does not hold the audit signing key: each
// test edits a stopped server's store directly, as such an attacker would.
namespace wl::testing {
namespace {
namespace fs = std::filesystem;

// Direct SQL access to a stopped server's database.
class Database {
 public:
  explicit Database(const fs::path& file) {
    EXPECT_EQ(sqlite3_open(file.c_str(), &db_), SQLITE_OK);
  }
  ~Database() { sqlite3_close(db_); }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const std::string& sql) {
    char* message = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK)
        << sql << ": " << (message != nullptr ? message : "");
    sqlite3_free(message);
  }

  std::int64_t count(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr), SQLITE_OK) << sql;
    std::int64_t value = -1;
    if (sqlite3_step(statement) == SQLITE_ROW) {
      value = sqlite3_column_int64(statement, 0);
    }
    sqlite3_finalize(statement);
    return value;
  }

  std::vector<AuditEntry> entries() {
    std::vector<AuditEntry> entries;
    sqlite3_stmt* statement = prepare(
        "SELECT seq, at, org_id, actor, device_id, action, target, outcome, detail, prev_hash, "
        "hash FROM audit ORDER BY seq");
    while (sqlite3_step(statement) == SQLITE_ROW) {
      AuditEntry entry;
      entry.seq = sqlite3_column_int64(statement, 0);
      entry.draft.at = from_micros(sqlite3_column_int64(statement, 1));
      entry.draft.org_id = OrgId(sqlite3_column_int64(statement, 2));
      entry.draft.actor = UserId(sqlite3_column_int64(statement, 3));
      entry.draft.device = DeviceId(sqlite3_column_int64(statement, 4));
      entry.draft.action = text(statement, 5);
      entry.draft.target = text(statement, 6);
      entry.draft.outcome = text(statement, 7);
      entry.draft.detail = text(statement, 8);
      entry.prev_hash = blob(statement, 9);
      entry.hash = blob(statement, 10);
      entries.push_back(std::move(entry));
    }
    sqlite3_finalize(statement);
    return entries;
  }

  std::vector<AuditCheckpoint> checkpoints() {
    std::vector<AuditCheckpoint> checkpoints;
    sqlite3_stmt* statement =
        prepare("SELECT seq, hash, public_key, signature, at FROM audit_checkpoints ORDER BY seq");
    while (sqlite3_step(statement) == SQLITE_ROW) {
      AuditCheckpoint checkpoint;
      checkpoint.seq = sqlite3_column_int64(statement, 0);
      checkpoint.hash = blob(statement, 1);
      checkpoint.public_key = blob(statement, 2);
      checkpoint.signature = blob(statement, 3);
      checkpoint.at = from_micros(sqlite3_column_int64(statement, 4));
      checkpoints.push_back(std::move(checkpoint));
    }
    sqlite3_finalize(statement);
    return checkpoints;
  }

  // Recomputes every entry's prev_hash and hash from seq 1, as anyone who knows the
  // (public) chain rule can after an edit, so that the chain alone is consistent again.
  void rechain() {
    std::string prev_hash = audit_genesis_hash();
    for (AuditEntry& entry : entries()) {
      entry.prev_hash = prev_hash;
      entry.hash = audit_entry_hash(entry);
      sqlite3_stmt* statement =
          prepare("UPDATE audit SET prev_hash = ?1, hash = ?2 WHERE seq = ?3");
      bind_blob(statement, 1, entry.prev_hash);
      bind_blob(statement, 2, entry.hash);
      sqlite3_bind_int64(statement, 3, entry.seq);
      EXPECT_EQ(sqlite3_step(statement), SQLITE_DONE);
      sqlite3_finalize(statement);
      prev_hash = entry.hash;
    }
  }

  // Replaces every checkpoint with one at the same seq and time over the chain as it
  // now stands, signed by `key`; one past the chain's end moves to its end.
  void resign_checkpoints(const crypto::Ed25519KeyPair& key) {
    const std::vector<AuditEntry> chain = entries();
    std::vector<AuditCheckpoint> resigned;
    for (AuditCheckpoint checkpoint : checkpoints()) {
      checkpoint.seq = std::min(checkpoint.seq, chain.back().seq);
      if (!resigned.empty() && resigned.back().seq == checkpoint.seq) {
        continue;
      }
      checkpoint.hash = chain.at(static_cast<std::size_t>(checkpoint.seq - 1)).hash;
      checkpoint.public_key = key.public_key;
      checkpoint.signature = crypto::ed25519_sign(key, audit_checkpoint_encoding(checkpoint));
      resigned.push_back(checkpoint);
    }
    exec("DELETE FROM audit_checkpoints");
    for (const AuditCheckpoint& checkpoint : resigned) {
      sqlite3_stmt* statement = prepare(
          "INSERT INTO audit_checkpoints (seq, hash, public_key, signature, at) "
          "VALUES (?1, ?2, ?3, ?4, ?5)");
      sqlite3_bind_int64(statement, 1, checkpoint.seq);
      bind_blob(statement, 2, checkpoint.hash);
      bind_blob(statement, 3, checkpoint.public_key);
      bind_blob(statement, 4, checkpoint.signature);
      sqlite3_bind_int64(statement, 5, to_micros(checkpoint.at));
      EXPECT_EQ(sqlite3_step(statement), SQLITE_DONE);
      sqlite3_finalize(statement);
    }
  }

 private:
  sqlite3_stmt* prepare(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr), SQLITE_OK) << sql;
    return statement;
  }
  static std::string text(sqlite3_stmt* statement, int column) {
    const auto* bytes = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
    return bytes == nullptr ? std::string()
                            : std::string(bytes, sqlite3_column_bytes(statement, column));
  }
  static std::string blob(sqlite3_stmt* statement, int column) {
    const auto* bytes = static_cast<const char*>(sqlite3_column_blob(statement, column));
    return bytes == nullptr ? std::string()
                            : std::string(bytes, sqlite3_column_bytes(statement, column));
  }
  static void bind_blob(sqlite3_stmt* statement, int index, const std::string& bytes) {
    sqlite3_bind_blob(statement, index, bytes.data(), static_cast<int>(bytes.size()),
                      SQLITE_TRANSIENT);
  }

  sqlite3* db_ = nullptr;
};

// A demo server whose audit signing key and head file are outside its data directory,
// as docs/audit_chain.md advises.
class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(temp_.path() / "data", audit_arguments());
    server_->start();
    ASSERT_NE(server_->port(), 0);
    first_start_output_ = read_file(server_->data_dir().string() + ".log");
    key_ = printed_audit_key(first_start_output_);
    ASSERT_FALSE(key_.empty()) << first_start_output_;
  }

  std::vector<std::string> audit_arguments() const {
    return {"--audit-key-file", key_file().string(), "--audit-head-file", head_file().string()};
  }
  fs::path key_file() const { return temp_.path() / "audit-signing.key"; }
  fs::path head_file() const { return temp_.path() / "audit-heads.txt"; }
  fs::path database() const { return server_->data_dir() / "wardline.db"; }

  static std::string read_file(const fs::path& path) {
    std::ifstream stream(path);
    return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
  }

  // The SEQ:HASH of the newest line in the head file.
  std::string last_exported_head() {
    std::istringstream lines(read_file(head_file()));
    std::string line;
    std::string last;
    while (std::getline(lines, line)) {
      last = line;
    }
    std::istringstream fields(last);
    std::string tag;
    std::string head;
    fields >> tag >> head;
    EXPECT_EQ(tag, "audit-head") << last;
    return head;
  }

  // Runs `wardline admin` on the stopped server's data directory with its audit options.
  int admin(std::vector<std::string> arguments, std::string* output,
            const std::vector<std::string>& environment = {}) {
    std::vector<std::string> command{"admin", "--data-dir", server_->data_dir().string()};
    const std::vector<std::string> audit = audit_arguments();
    command.insert(command.end(), audit.begin(), audit.end());
    command.insert(command.end(), arguments.begin(), arguments.end());
    return run_wardline(command, output, environment);
  }

  // Some activity to audit: a login, a thread and a message.
  void send_a_message(std::string_view client_id) {
    send_audited_message(server_->client_options(), client_id);
  }

  // Runs `wardline audit verify` with `arguments` (no key unless given); returns the
  // exit code and keeps the output in output_.
  int verify_with(std::vector<std::string> arguments) {
    std::vector<std::string> command{"audit", "--data-dir", server_->data_dir().string(), "verify"};
    command.insert(command.end(), arguments.begin(), arguments.end());
    return run_wardline(command, &output_);
  }
  // As verify_with, trusting the key the server printed at its first start.
  int verify(std::vector<std::string> arguments = {}) {
    arguments.insert(arguments.begin(), {"--key", key_});
    return verify_with(std::move(arguments));
  }

  TempDir temp_;
  std::unique_ptr<ServerProcess> server_;
  std::string first_start_output_;
  std::string key_;
  std::string output_;
};

TEST_F(AuditTest, FirstStartPrintsTheKeyThatAdminPrintsAndVerifyTrusts) {
  std::string fingerprint;
  printed_audit_key(first_start_output_, &fingerprint);
  EXPECT_TRUE(fingerprint.starts_with("SHA256:")) << first_start_output_;
  server_->stop();
  std::string output;
  ASSERT_EQ(admin({"audit-key"}, &output), 0) << output;
  EXPECT_EQ(printed_audit_key(output), key_) << output;
  // Nothing of the key is in the data directory.
  EXPECT_FALSE(fs::exists(server_->data_dir() / "keys" / "audit-signing.key"));

  EXPECT_EQ(verify(), 0) << output_;
  EXPECT_NE(output_.find("audit log intact"), std::string::npos) << output_;
  EXPECT_EQ(verify_with({"--key", fingerprint}), 0) << output_;
  EXPECT_EQ(verify_with({"--key", std::string(43, 'A')}), 1) << output_;
  EXPECT_NE(output_.find("checkpoint signed by an untrusted key"), std::string::npos) << output_;

  // Later starts do not print it again: the first one is what the operator recorded.
  server_->start();
  EXPECT_EQ(printed_audit_key(read_file(server_->data_dir().string() + ".log")), "");
}

TEST_F(AuditTest, VerifyWithoutAKeyIsAUsageError) {
  server_->stop();
  EXPECT_EQ(verify_with({}), 2) << output_;
  EXPECT_NE(output_.find("--key is required"), std::string::npos) << output_;
  EXPECT_EQ(verify_with({"--key", "not-a-key"}), 2) << output_;
  EXPECT_EQ(verify({"--head", "12"}), 2) << output_;
  EXPECT_EQ(verify({"--max-age", "soon"}), 2) << output_;
}

// Forgery: every entry and checkpoint deleted.
TEST_F(AuditTest, DeletingEveryEntryAndCheckpointIsDetected) {
  server_->stop();
  {
    Database db(database());
    db.exec("DELETE FROM audit; DELETE FROM audit_checkpoints;");
  }
  EXPECT_EQ(verify(), 1) << output_;
  EXPECT_NE(output_.find("TAMPERED: first bad entry 1: empty log"), std::string::npos) << output_;
}

// Forgery: an entry edited, the chain recomputed and the checkpoints deleted.
TEST_F(AuditTest, EditedEntryWithTheChainRecomputedAndNoCheckpointsIsDetected) {
  send_a_message("edit-1");
  server_->stop();
  {
    Database db(database());
    db.exec("UPDATE audit SET outcome = 'denied' WHERE action = 'message.send'");
    db.exec("DELETE FROM audit_checkpoints");
    db.rechain();
  }
  EXPECT_EQ(verify(), 1) << output_;
  EXPECT_NE(output_.find("no checkpoint"), std::string::npos) << output_;
}

// Forgery: the same, with the checkpoints re-signed under the attacker's key.
TEST_F(AuditTest, EditedEntryWithCheckpointsResignedUnderAnotherKeyIsDetected) {
  send_a_message("edit-2");
  server_->stop();
  {
    Database db(database());
    db.exec("UPDATE audit SET outcome = 'denied' WHERE action = 'message.send'");
    db.rechain();
    db.resign_checkpoints(crypto::ed25519_generate());
    ASSERT_GT(db.checkpoints().size(), 0u);
  }
  EXPECT_EQ(verify(), 1) << output_;
  EXPECT_NE(output_.find("checkpoint signed by an untrusted key"), std::string::npos) << output_;
}

// Forgery: a row deleted, the rest renumbered, rechained and re-signed.
TEST_F(AuditTest, DeletedRowWithTheRestRenumberedAndResignedIsDetected) {
  send_a_message("delete-1");
  server_->stop();
  {
    Database db(database());
    const std::int64_t removed = db.count("SELECT seq FROM audit WHERE action = 'message.send'");
    ASSERT_GT(removed, 0);
    db.exec("DELETE FROM audit WHERE seq = " + std::to_string(removed));
    // Two steps, so no seq is ever taken twice.
    db.exec("UPDATE audit SET seq = -seq WHERE seq > " + std::to_string(removed));
    db.exec("UPDATE audit SET seq = -seq - 1 WHERE seq < 0");
    db.rechain();
    db.resign_checkpoints(crypto::ed25519_generate());
    ASSERT_GT(db.checkpoints().size(), 0u);
  }
  EXPECT_EQ(verify(), 1) << output_;
  EXPECT_NE(output_.find("checkpoint signed by an untrusted key"), std::string::npos) << output_;
}

// Forgery: the tail cut back to an earlier checkpoint, with the checkpoints after it.
// The database alone cannot show it (everything left is genuine); the newest head
// exported off the machine does.
TEST_F(AuditTest, TailCutBackToAnEarlierCheckpointIsDetectedWithALaterHead) {
  server_->stop();  // Signs the head at stop: the earlier checkpoint.
  std::int64_t earlier = 0;
  {
    Database db(database());
    earlier = db.count("SELECT max(seq) FROM audit_checkpoints");
  }
  ASSERT_GT(earlier, 0);
  server_->start();
  send_a_message("tail-1");
  server_->stop();
  const std::string later_head = last_exported_head();
  EXPECT_EQ(verify({"--head", later_head}), 0) << output_;
  {
    Database db(database());
    db.exec("DELETE FROM audit WHERE seq > " + std::to_string(earlier));
    db.exec("DELETE FROM audit_checkpoints WHERE seq > " + std::to_string(earlier));
  }
  EXPECT_EQ(verify(), 0) << output_;  // The limit without a head: docs/audit_chain.md.
  EXPECT_EQ(verify({"--head", later_head}), 1) << output_;
  EXPECT_NE(output_.find("head not in chain"), std::string::npos) << output_;
}

// A running server re-signs its head every few seconds, so a bound on the newest
// checkpoint's age holds for it; a stopped one's newest checkpoint only ages.
TEST_F(AuditTest, MaxAgeBoundsTheNewestCheckpoint) {
  EXPECT_EQ(verify({"--max-age", "1h"}), 0) << output_;
  server_->stop();
  EXPECT_EQ(verify({"--max-age", "1ms"}), 1) << output_;
  EXPECT_NE(output_.find("last checkpoint too old"), std::string::npos) << output_;
}

TEST_F(AuditTest, ServerKilledSoonAfterStartHasPinnedItsStart) {
  server_->kill_hard();
  {
    Database db(database());
    const std::int64_t started =
        db.count("SELECT max(seq) FROM audit WHERE action = 'server.start'");
    ASSERT_GT(started, 0);
    EXPECT_GE(db.count("SELECT max(seq) FROM audit_checkpoints"), started);
  }
  EXPECT_EQ(verify(), 0) << output_;
  EXPECT_NE(output_.find(" 0 entries after it are unpinned"), std::string::npos) << output_;
}

TEST_F(AuditTest, AdminWritesToAStoppedStoreArePinned) {
  server_->stop();
  const std::string before = last_exported_head();
  std::string output;
  ASSERT_EQ(admin({"--fast-password-hashing", "user", "password", "--org", "Mercy General (demo)",
                   "--username", "dr.okafor"},
                  &output, {"WARDLINE_PASSWORD=a-brand-new-long-password"}),
            0)
      << output;
  ASSERT_EQ(admin({"org", "create", "St. Example Clinic"}, &output), 0) << output;
  {
    Database db(database());
    const std::int64_t last_entry = db.count("SELECT max(seq) FROM audit");
    EXPECT_EQ(db.count("SELECT count(*) FROM audit WHERE action = 'admin.org.create' AND seq = " +
                       std::to_string(last_entry)),
              1);
    EXPECT_EQ(db.count("SELECT max(seq) FROM audit_checkpoints"), last_entry);
  }
  EXPECT_NE(last_exported_head(), before);
  EXPECT_EQ(verify({"--head", last_exported_head()}), 0) << output_;
  EXPECT_NE(output_.find(" 0 entries after it are unpinned"), std::string::npos) << output_;
}

// Without the key file that signed the log, admin (or serve) must not quietly make a
// second key in the data directory.
TEST_F(AuditTest, MissingKeyFileIsRefusedOnceTheLogHasCheckpoints) {
  server_->stop();
  std::string output;
  EXPECT_EQ(
      run_wardline({"admin", "--data-dir", server_->data_dir().string(), "org", "list"}, &output),
      1)
      << output;
  EXPECT_NE(output.find("audit signing key file is missing"), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(server_->data_dir() / "keys" / "audit-signing.key"));
}

}  // namespace
}  // namespace wl::testing
