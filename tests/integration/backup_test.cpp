// `wardline admin backup` and `restore` (docs/operations.md, "Backup and restore"), with
// the real binary: a backup taken while a client sends holds every message acknowledged
// before it began, once; the restored store serves them and its audit log verifies; a
// damaged or mismatched backup is refused before anything is restored.

#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <sqlite3.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/crypto/encoding.hpp"
#include "core/crypto/hash.hpp"
#include "integration/fixture.hpp"
#include "support/postgres_server.hpp"

namespace wl::testing {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;

class BackupTest : public ServerTest {
 protected:
  fs::path data() const { return server_->data_dir(); }

  int admin(const std::vector<std::string>& arguments, const fs::path& data_dir,
            std::string* output = nullptr) {
    std::vector<std::string> command{"admin", "--data-dir", data_dir.string()};
    command.insert(command.end(), arguments.begin(), arguments.end());
    return run_wardline(command, output);
  }

  // Every message of `thread` as `reader` reads it: client id -> seq, failing the test
  // on a client id stored twice or a gap in the sequence.
  std::map<std::string, std::int64_t> thread_messages(TestClient& reader, std::int64_t thread) {
    std::map<std::string, std::int64_t> stored;
    std::vector<json::value> newest_first;
    std::int64_t before = 0;
    for (;;) {
      const json::value page =
          reader.get("/api/v1/threads/" + std::to_string(thread) +
                     "/messages?limit=200&before_seq=" + std::to_string(before));
      const auto& messages = page.at("messages").as_array();
      for (const json::value& message : messages) {
        newest_first.push_back(message);
      }
      if (messages.empty() || messages.back().at("seq").as_int64() == 1) {
        break;
      }
      before = messages.back().at("seq").as_int64();
    }
    std::int64_t expected_seq = 0;
    for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it) {
      EXPECT_EQ(it->at("seq").as_int64(), ++expected_seq) << "a gap in the thread";
      const std::string client_id(it->at("client_id").as_string());
      EXPECT_TRUE(stored.emplace(client_id, it->at("seq").as_int64()).second)
          << client_id << " stored twice";
    }
    return stored;
  }

  static std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
};

TEST_F(BackupTest, ABackupUnderLoadRestoresEveryMessageAcknowledgedBeforeIt) {
  const std::string audit_key = printed_audit_key(server_->output());
  ASSERT_FALSE(audit_key.empty());
  auto harper = login("rn.harper");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  harper->connect();
  std::string cursor(harper->next_matching([](auto& f) { return is_type(f, "caught_up"); })
                         .at("cursor")
                         .as_string());

  // A client keeps 16 sends in flight; the backup starts after 200 acknowledgements and
  // runs beside it; sending goes on until 100 more were acknowledged after it ended.
  std::set<std::string> before_backup;
  std::set<std::string> after_backup;
  std::set<std::string> acknowledged;
  std::atomic<bool> backup_done = false;
  std::thread backup;
  int backup_status = -1;
  std::string backup_output;
  const fs::path backup_dir = temp_.path() / "backup";
  int next = 0;
  auto send_one = [&] {
    const std::string id = "load-" + std::to_string(next++);
    harper->send_frame(json::object{
        {"type", "send"}, {"thread_id", thread}, {"client_id", id}, {"body", "vitals " + id}});
  };
  for (int i = 0; i < 16; ++i) {
    send_one();
  }
  while (after_backup.size() < 100) {
    const json::value frame = harper->next();
    ASSERT_FALSE(frame.is_null()) << "no reply from the server";
    ASSERT_FALSE(is_type(frame, "error")) << json::serialize(frame);
    if (is_type(frame, "event") && !backup_done) {
      cursor = std::string(frame.at("cursor").as_string());  // Within the backup's history.
    }
    if (!is_type(frame, "sent")) {
      continue;
    }
    const std::string id(frame.at("client_id").as_string());
    acknowledged.insert(id);
    if (backup_done) {
      after_backup.insert(id);
    }
    if (acknowledged.size() == 200) {
      before_backup = acknowledged;
      backup = std::thread([&] {
        backup_status = admin({"backup", backup_dir.string()}, data(), &backup_output);
        backup_done = true;
      });
    }
    send_one();
  }
  backup.join();
  ASSERT_EQ(backup_status, 0) << backup_output;
  EXPECT_NE(backup_output.find("kek-1"), std::string::npos) << "names the key file it needs";
  harper.reset();
  server_->stop();

  const fs::path restored = temp_.path() / "restored";
  std::string output;
  ASSERT_EQ(admin({"restore", backup_dir.string(), "--kek-file",
                   (data() / "keys" / "kek.json").string(), "--audit-key", audit_key},
                  restored, &output),
            0)
      << output;
  EXPECT_NE(output.find("audit log intact"), std::string::npos) << output;
  // The audit signing key is kept apart too, and comes back with it.
  fs::copy_file(data() / "keys" / "audit-signing.key", restored / "keys" / "audit-signing.key");

  ServerProcess restored_server(restored);
  restored_server.start();
  {
    TestClient reader(restored_server.client_options(), "rn.harper");
    const auto stored = thread_messages(reader, thread);
    for (const std::string& id : before_backup) {
      EXPECT_TRUE(stored.contains(id)) << "acknowledged before the backup, lost: " << id;
    }
    for (const std::string& id : after_backup) {
      EXPECT_FALSE(stored.contains(id)) << "acknowledged after the backup ended: " << id;
    }
    EXPECT_GE(stored.size(), before_backup.size());
    // A client of the old store resynchronises, even with a cursor inside the backup's
    // history: the restored store has a new instance id.
    const json::value welcome = reader.connect(cursor);
    ASSERT_TRUE(is_type(welcome, "welcome")) << json::serialize(welcome);
    const json::value resync = reader.next();
    ASSERT_TRUE(is_type(resync, "resync")) << json::serialize(resync);
    EXPECT_EQ(resync.at("reason").as_string(), "the cursor belongs to another database");
  }
  restored_server.stop();
  EXPECT_EQ(run_wardline({"audit", "--data-dir", restored.string(), "verify", "--key", audit_key},
                         &output),
            0)
      << output;
}

TEST_F(BackupTest, RestoreRefusesADamagedOrMismatchedBackupAndLeavesNothing) {
  send_audited_message(server_->client_options(), "before-backup");
  const fs::path backup_dir = temp_.path() / "backup";
  std::string output;
  ASSERT_EQ(admin({"backup", backup_dir.string()}, data(), &output), 0) << output;
  const std::string kek = (data() / "keys" / "kek.json").string();
  const fs::path target = temp_.path() / "restored";
  auto refused = [&](const fs::path& from, const std::vector<std::string>& more,
                     std::string_view why) {
    std::vector<std::string> arguments{"restore", from.string()};
    arguments.insert(arguments.end(), more.begin(), more.end());
    std::string said;
    EXPECT_NE(admin(arguments, target, &said), 0) << why;
    EXPECT_NE(said.find(why), std::string::npos) << said;
    EXPECT_FALSE(fs::exists(target)) << "nothing is left of a refused restore";
  };

  refused(backup_dir, {}, "needs its key file");

  // Another store's key file: its kek-1 is not the backup's.
  const fs::path other = temp_.path() / "other";
  ASSERT_EQ(admin({"--create-data-dir", "org", "list"}, other), 0);
  refused(backup_dir, {"--kek-file", (other / "keys" / "kek.json").string()},
          "holds a different kek-1");

  // A byte changed: the manifest's SHA-256 no longer matches.
  const fs::path damaged = temp_.path() / "damaged";
  fs::copy(backup_dir, damaged);
  {
    std::fstream file(damaged / "wardline.db", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(20000);
    file.put('\x5a');
  }
  refused(damaged, {"--kek-file", kek}, "is damaged");

  // Written by a newer Wardline (its manifest rewritten to match): refused.
  const fs::path newer = temp_.path() / "newer";
  fs::copy(backup_dir, newer);
  {
    sqlite3* database = nullptr;
    ASSERT_EQ(sqlite3_open((newer / "wardline.db").c_str(), &database), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(database, "PRAGMA user_version = 999", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(database);
    const std::string bytes = read_text(newer / "wardline.db");
    json::value manifest = json::parse(read_text(newer / "manifest.json"));
    manifest.at("database").as_object()["sha256"] = crypto::hex_encode(crypto::sha256(bytes));
    manifest.at("database").as_object()["bytes"] = static_cast<std::int64_t>(bytes.size());
    std::ofstream(newer / "manifest.json", std::ios::trunc) << json::serialize(manifest);
  }
  refused(newer, {"--kek-file", kek}, "newer Wardline");

  // Not a backup at all.
  refused(data() / "keys", {"--kek-file", kek}, "not a Wardline backup");

  // Never over an existing store.
  EXPECT_NE(admin({"restore", backup_dir.string()}, data(), &output), 0);
  EXPECT_NE(output.find("a store exists"), std::string::npos) << output;

  // And the good one still restores.
  EXPECT_EQ(admin({"restore", backup_dir.string(), "--kek-file", kek}, target, &output), 0)
      << output;
}

TEST_F(BackupTest, ABackupGoesOnlyIntoANewOrEmptyDirectory) {
  const fs::path backup_dir = temp_.path() / "backup";
  fs::create_directories(backup_dir);
  std::ofstream(backup_dir / "notes.txt") << "keep me";
  std::string output;
  EXPECT_NE(admin({"backup", backup_dir.string()}, data(), &output), 0);
  EXPECT_NE(output.find("not an empty directory"), std::string::npos) << output;
  EXPECT_EQ(read_text(backup_dir / "notes.txt"), "keep me");
  EXPECT_NE(admin({"backup", (temp_.path() / "b2").string()}, temp_.path() / "nowhere", &output),
            0);
  EXPECT_NE(output.find("no Wardline store"), std::string::npos) << output;
}

// A PostgreSQL store: pg_dump while a client sends, pg_restore into a new, empty
// database, and a server on it serves what was acknowledged before the backup.
TEST(PostgresBackupTest, APgDumpBackupRestoresIntoANewDatabase) {
  auto postgres = PostgresServer::shared();
  ASSERT_TRUE(postgres.has_value()) << postgres.error().to_string();
  auto uri_of = [&](const std::string& database) {
    return fmt::format("postgresql://postgres@127.0.0.1:{}/{}", (*postgres)->port(), database);
  };
  const auto first = (*postgres)->create_database();
  const auto second = (*postgres)->create_database();
  ASSERT_TRUE(first.has_value() && second.has_value());
  TempDir temp;
  const fs::path node = temp.path() / "node";
  ServerProcess server(node, {"--store", uri_of(*first)});
  server.start();
  const std::string audit_key = printed_audit_key(server.output());
  std::int64_t thread = 0;
  {
    TestClient harper(server.client_options(), "rn.harper");
    thread = harper
                 .post("/api/v1/threads",
                       json::object{{"kind", "direct"}, {"user_id", harper.user_id_of("dr.patel")}})
                 .at("id")
                 .as_int64();
    harper.connect();
    for (int i = 0; i < 20; ++i) {
      const auto sent = harper.send_message(thread, "pg-" + std::to_string(i), "vitals");
      ASSERT_EQ(sent.at("type").as_string(), "sent");
    }
  }
  const fs::path backup_dir = temp.path() / "backup";
  std::string output;
  ASSERT_EQ(run_wardline({"admin", "--data-dir", node.string(), "--store", uri_of(*first), "backup",
                          backup_dir.string()},
                         &output),
            0)
      << output;
  EXPECT_TRUE(fs::exists(backup_dir / "wardline.pgdump"));
  server.stop();

  const fs::path restored = temp.path() / "restored";
  const std::string kek = (node / "keys" / "kek.json").string();
  // Never into a database that holds a store.
  EXPECT_NE(run_wardline({"admin", "--data-dir", restored.string(), "--store", uri_of(*first),
                          "restore", backup_dir.string(), "--kek-file", kek},
                         &output),
            0);
  EXPECT_NE(output.find("holds tables"), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(restored));
  ASSERT_EQ(
      run_wardline({"admin", "--data-dir", restored.string(), "--store", uri_of(*second), "restore",
                    backup_dir.string(), "--kek-file", kek, "--audit-key", audit_key},
                   &output),
      0)
      << output;
  fs::copy_file(node / "keys" / "audit-signing.key", restored / "keys" / "audit-signing.key");

  ServerProcess restored_server(restored, {"--store", uri_of(*second)});
  restored_server.start();
  {
    TestClient reader(restored_server.client_options(), "rn.harper");
    const json::value page =
        reader.get("/api/v1/threads/" + std::to_string(thread) + "/messages?limit=50");
    int sent_before = 0;
    for (const json::value& message : page.at("messages").as_array()) {
      sent_before += message.at("client_id").as_string().starts_with("pg-") ? 1 : 0;
    }
    EXPECT_EQ(sent_before, 20) << "every message acknowledged before the backup, once";
  }
  restored_server.stop();
  EXPECT_EQ(
      run_wardline({"audit", "--store", uri_of(*second), "verify", "--key", audit_key}, &output), 0)
      << output;
}

}  // namespace
}  // namespace wl::testing
