// Tests of the SQLite adapter beyond the Store contract: group commit, one store per
// database, WAL checkpoints and schema versions.

#include "adapters/sqlite/sqlite_store.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "adapters/common/provider_search.hpp"
#include "contract/sqlite_factory.hpp"
#include "contract/store_fixture.hpp"
#include "contract/test_chainer.hpp"
#include "support/schema_downgrades.hpp"

namespace wl {
namespace {

using testing::append_message;
using testing::create_org;
using testing::create_user;
using testing::open_device;

Timestamp at(std::int64_t seconds) {
  return from_micros(1'800'000'000'000'000 + seconds * 1'000'000);
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteStore::open(factory_.database_file(), testing::test_chainer());
    ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
    store_ = std::move(*opened);
    org_ = create_org(*store_, "General Hospital", at(0))->id;
    NewUser user;
    user.org_id = org_;
    user.username = "zoe";
    user.created_at = at(0);
    zoe_ = create_user(*store_, user)->id;
    NewThread thread;
    thread.org_id = org_;
    thread.created_by = zoe_;
    thread.created_at = at(0);
    thread_ = commit_one<ThreadCreated>(*store_, CreateThread{thread}, no_hook_)->thread.id;
  }

  NewMessage message(ThreadId thread, std::string client_token) {
    NewMessage result;
    result.org_id = org_;
    result.thread_id = thread;
    result.sender = zoe_;
    result.client_token = std::move(client_token);
    result.body_sealed = "sealed";
    result.created_at = at(1);
    return result;
  }

  AuditDraft audit() {
    AuditDraft result;
    result.at = at(1);
    result.org_id = org_;
    result.action = "message.send";
    result.outcome = "ok";
    return result;
  }

  // Waits (without a deadline: a hang is a failure of the test run) until `count`
  // writes are queued behind the paused writer.
  void wait_for_queued(std::size_t count) {
    while (store_->queued_writes_for_test() < count) {
      std::this_thread::yield();
    }
  }

  testing::SqliteFactory factory_;
  std::unique_ptr<SqliteStore> store_;
  OrgId org_;
  UserId zoe_;
  ThreadId thread_;
  CommitHook no_hook_ = [](std::span<const CommittedEvent>) {};
};

TEST_F(SqliteStoreTest, FailedWriteInABatchDoesNotLoseTheOthers) {
  ASSERT_TRUE(store_->put_data_key({org_, 1, "original", at(1), false}).has_value());
  store_->pause_writes_for_test();
  const std::uint64_t batches_before = store_->write_batches_for_test();
  std::vector<EventId> hooked;
  const CommitHook hook = [&hooked](std::span<const CommittedEvent> events) {
    for (const CommittedEvent& committed : events) {
      hooked.push_back(committed.event.id);
    }
  };

  Result<MessageAppended> first = error(Code::kInternal, "not run");
  Result<MessageAppended> failing = error(Code::kInternal, "not run");
  Result<MessageAppended> last = error(Code::kInternal, "not run");
  std::thread first_writer(
      [&] { first = append_message(*store_, message(thread_, "a"), audit(), hook); });
  wait_for_queued(1);
  std::thread failing_writer(
      [&] { failing = append_message(*store_, message(ThreadId(999), "b"), audit(), hook); });
  wait_for_queued(2);
  // A write that fails after it changed a row: its savepoint must undo that row only.
  Result<void> rewrap = error(Code::kInternal, "not run");
  const std::vector<DataKeyRecord> partly_unknown = {{org_, 1, "rewrapped", at(1), false},
                                                     {org_, 9, "unknown", at(1), false}};
  std::thread rewrap_writer([&] { rewrap = store_->rewrap_data_keys(partly_unknown); });
  wait_for_queued(3);
  std::thread last_writer(
      [&] { last = append_message(*store_, message(thread_, "c"), audit(), hook); });
  wait_for_queued(4);
  store_->resume_writes_for_test();
  first_writer.join();
  failing_writer.join();
  rewrap_writer.join();
  last_writer.join();

  EXPECT_EQ(store_->write_batches_for_test(), batches_before + 1);
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  ASSERT_TRUE(last.has_value()) << last.error().to_string();
  ASSERT_FALSE(failing.has_value());
  EXPECT_EQ(failing.error().code(), Code::kNotFound);
  ASSERT_FALSE(rewrap.has_value());
  EXPECT_EQ(rewrap.error().code(), Code::kNotFound);
  EXPECT_EQ(store_->list_data_keys()->front().wrapped, "original");
  EXPECT_EQ(first->event.seq, 1);
  EXPECT_EQ(last->event.seq, 2);
  EXPECT_EQ(hooked, (std::vector<EventId>{first->event.id, last->event.id}));

  EXPECT_EQ(store_->read_thread_messages(thread_, 0, 10)->size(), 2u);
  auto entries = store_->read_audit(0, 10);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].seq, 1);
  EXPECT_EQ((*entries)[1].seq, 2);
  EXPECT_EQ((*entries)[1].prev_hash, (*entries)[0].hash);
}

TEST_F(SqliteStoreTest, QueuedWritesCommitAsOneBatch) {
  store_->pause_writes_for_test();
  const std::uint64_t batches_before = store_->write_batches_for_test();
  constexpr int kWriters = 6;
  std::atomic<int> succeeded = 0;
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      if (append_message(*store_, message(thread_, std::to_string(i)), audit(), no_hook_)) {
        ++succeeded;
      }
    });
  }
  wait_for_queued(kWriters);
  store_->resume_writes_for_test();
  for (auto& writer : writers) {
    writer.join();
  }
  EXPECT_EQ(succeeded.load(), kWriters);
  EXPECT_EQ(store_->write_batches_for_test(), batches_before + 1);
  EXPECT_EQ(store_->find_thread(thread_)->last_seq, kWriters);
}

TEST_F(SqliteStoreTest, BatchesHoldAtMostMaxBatchWrites) {
  store_.reset();
  SqliteOptions options;
  options.max_batch = 2;
  auto opened = SqliteStore::open(factory_.database_file(), testing::test_chainer(), options);
  ASSERT_TRUE(opened.has_value());
  store_ = std::move(*opened);
  store_->pause_writes_for_test();
  const std::uint64_t batches_before = store_->write_batches_for_test();
  std::vector<std::thread> writers;
  for (int i = 0; i < 5; ++i) {
    writers.emplace_back([this, i] {
      EXPECT_TRUE(append_message(*store_, message(thread_, std::to_string(i)), audit(), no_hook_));
    });
  }
  wait_for_queued(5);
  store_->resume_writes_for_test();
  for (auto& writer : writers) {
    writer.join();
  }
  EXPECT_EQ(store_->write_batches_for_test(), batches_before + 3);
  EXPECT_EQ(store_->find_thread(thread_)->last_seq, 5);
}

TEST_F(SqliteStoreTest, BatchesAheadCommitBeforeTheWritesQueuedInTurn) {
  store_->pause_writes_for_test();
  std::promise<Result<BatchResult>> in_turn;
  std::promise<Result<BatchResult>> ahead;
  std::promise<Result<BatchResult>> second_ahead;
  auto done = [](std::promise<Result<BatchResult>>& promise) {
    return [&promise](Result<BatchResult> result) { promise.set_value(std::move(result)); };
  };
  store_->commit(testing::send_batch(message(thread_, "in-turn"), audit()), {}, done(in_turn));
  WriteBatch first = testing::send_batch(message(thread_, "ahead"), audit());
  first.go_ahead();
  store_->commit(std::move(first), {}, done(ahead));
  WriteBatch second = testing::send_batch(message(thread_, "second-ahead"), audit());
  second.go_ahead();
  store_->commit(std::move(second), {}, done(second_ahead));
  wait_for_queued(3);
  store_->resume_writes_for_test();

  // One batch, in which the writes ahead ran first, in the order they were queued.
  auto seq_of = [](std::promise<Result<BatchResult>>& promise) {
    Result<BatchResult> result = promise.get_future().get();
    EXPECT_TRUE(result.has_value()) << result.error().to_string();
    return result ? result->result<MessageAppended>(0).event.seq : -1;
  };
  EXPECT_EQ(seq_of(ahead), 1);
  EXPECT_EQ(seq_of(second_ahead), 2);
  EXPECT_EQ(seq_of(in_turn), 3);
}

TEST_F(SqliteStoreTest, FullDiskFailsTheWriteAndKeepsSequencesAndChainIntact) {
  store_.reset();
  SqliteOptions options;
  options.max_pages_for_test = 200;
  auto opened = SqliteStore::open(factory_.database_file(), testing::test_chainer(), options);
  ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
  store_ = std::move(*opened);

  const std::string big(60 * 1024, 'b');
  int stored = 0;
  Result<MessageAppended> sent = error(Code::kInternal, "not run");
  while (true) {
    NewMessage next = message(thread_, "big-" + std::to_string(stored));
    next.body_sealed = big;
    sent = append_message(*store_, next, audit(), no_hook_);
    if (!sent) {
      break;
    }
    ++stored;
    ASSERT_LT(stored, 1000) << "the page cap never bit";
  }
  EXPECT_EQ(sent.error().code(), Code::kUnavailable);
  EXPECT_EQ(sent.error().message().find("big-"), std::string::npos);
  EXPECT_GT(stored, 0);

  // A small write still fits; it continues the sequence and the audit chain from the
  // last committed entry, not from the failed one.
  auto small = append_message(*store_, message(thread_, "small"), audit(), no_hook_);
  ASSERT_TRUE(small.has_value()) << small.error().to_string();
  EXPECT_EQ(small->event.seq, stored + 1);
  auto entries = store_->read_audit(0, 10000);
  ASSERT_EQ(entries->size(), static_cast<std::size_t>(stored + 1));
  for (std::size_t i = 0; i < entries->size(); ++i) {
    EXPECT_EQ((*entries)[i].seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ((*entries)[i].hash, testing::test_chain_hash((*entries)[i]));
    if (i > 0) {
      EXPECT_EQ((*entries)[i].prev_hash, (*entries)[i - 1].hash);
    }
  }
  EXPECT_EQ(store_->read_thread_messages(thread_, 0, 10000)->size(),
            static_cast<std::size_t>(stored + 1));
}

TEST_F(SqliteStoreTest, PatientsOfVersion15KeepTheRecordTheyWereSealedUnder) {
  store_.reset();
  sqlite3* database = nullptr;
  ASSERT_EQ(sqlite3_open(factory_.database_file().c_str(), &database), SQLITE_OK);
  // A patient as version 15 stored it: sealed under "mrn:<hex of its MRN token>".
  const std::string downgrade =
      std::string(testing::kDropCallback) + std::string(testing::kDropMessageSearch) + std::string(testing::kDropDirectory) +
      std::string(testing::kDropProviders) + std::string(testing::kDropAdtFeed) +
      "INSERT INTO patients (org_id, mrn_token, mrn_sealed, name_sealed, dob_sealed, "
      "location_sealed, attending_sealed, updated_at) VALUES (" +
      std::to_string(org_.value()) +
      ", x'0a0bff', 'sealed-mrn', 'sealed-name', 'sealed-dob', 'sealed-location', "
      "'sealed-attending', 0); PRAGMA user_version = 15";
  ASSERT_EQ(sqlite3_exec(database, downgrade.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(database);

  auto opened = SqliteStore::open(factory_.database_file(), testing::test_chainer());
  ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
  store_ = std::move(*opened);
  const auto patients = store_->list_patients(org_);
  ASSERT_TRUE(patients.has_value()) << patients.error().to_string();
  ASSERT_EQ(patients->size(), 1u);
  const Patient& patient = patients->front();
  EXPECT_EQ(patient.seal_record, "mrn:0a0bff");
  EXPECT_EQ(patient.name_sealed, "sealed-name");
  EXPECT_EQ(patient.sex_sealed, "");
  EXPECT_EQ(patient.version, 1);
  EXPECT_FALSE(patient.merged_into.is_set());
  // Its MRN is its identifier, found by the same token.
  const auto identifier = store_->find_identifier(org_, std::string("\x0a\x0b\xff", 3));
  ASSERT_TRUE(identifier.has_value() && identifier->has_value());
  EXPECT_EQ((*identifier)->patient_id, patient.id);
  EXPECT_EQ((*identifier)->value_sealed, "sealed-mrn");
}

TEST_F(SqliteStoreTest, ReadsDoNotWaitForTheWriter) {
  store_->pause_writes_for_test();
  Result<MessageAppended> sent = error(Code::kInternal, "not run");
  std::thread writer(
      [&] { sent = append_message(*store_, message(thread_, "a"), audit(), no_hook_); });
  wait_for_queued(1);
  // The write is stuck behind the paused writer; reads still answer, from the last
  // committed state.
  EXPECT_EQ(store_->find_thread(thread_)->last_seq, 0);
  EXPECT_EQ(store_->list_threads_for_user(zoe_)->size(), 1u);
  EXPECT_TRUE(store_->read_thread_messages(thread_, 0, 10)->empty());
  store_->resume_writes_for_test();
  writer.join();
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(store_->find_thread(thread_)->last_seq, 1);
}

TEST_F(SqliteStoreTest, SecondStoreOnTheSameDatabaseIsRefused) {
  auto second = SqliteStore::open(factory_.database_file(), testing::test_chainer());
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), Code::kUnavailable);
  EXPECT_EQ(second.error().message().find(factory_.directory().string()), std::string::npos);
}

TEST_F(SqliteStoreTest, ReadOnlyOpenReadsBesideTheRunningStore) {
  SqliteOptions options;
  options.read_only = true;
  auto opened = SqliteStore::open(factory_.database_file(), testing::test_chainer(), options);
  ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
  SqliteStore& reader = **opened;
  EXPECT_EQ(reader.instance_id(), store_->instance_id());
  ASSERT_TRUE(append_message(*store_, message(thread_, "a"), audit(), no_hook_).has_value());
  EXPECT_EQ(reader.find_thread(thread_)->last_seq, 1);
  EXPECT_EQ(reader.read_audit(0, 10)->size(), 1u);
  auto write = create_org(reader, "Other", at(1));
  ASSERT_FALSE(write.has_value());
  EXPECT_EQ(write.error().code(), Code::kFailedPrecondition);

  auto missing =
      SqliteStore::open(factory_.directory() / "missing.db", testing::test_chainer(), options);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), Code::kUnavailable);
  EXPECT_FALSE(std::filesystem::exists(factory_.directory() / "missing.db"));

  // Also on a closed database (its WAL checkpointed away).
  opened->reset();
  store_.reset();
  auto closed = SqliteStore::open(factory_.database_file(), testing::test_chainer(), options);
  ASSERT_TRUE(closed.has_value()) << closed.error().to_string();
  EXPECT_EQ((*closed)->find_thread(thread_)->last_seq, 1);
}

TEST_F(SqliteStoreTest, RequiresAChainer) {
  auto opened = SqliteStore::open(factory_.directory() / "other.db", AuditChainer());
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), Code::kInvalidArgument);
}

TEST_F(SqliteStoreTest, DatabaseFileIsPrivateAndUsesWal) {
  const auto permissions = std::filesystem::status(factory_.database_file()).permissions();
  EXPECT_EQ(permissions & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
  EXPECT_TRUE(std::filesystem::exists(factory_.database_file().string() + "-wal"));
}

// Every provider search reads one index in the order it answers in, so that its LIMIT
// ends the read: SQLite has no statistics, and a plan that sorts reads every provider of
// a state or a code first (docs/benchmarks.md, "NPI import and search").
TEST_F(SqliteStoreTest, EveryProviderSearchReadsAnIndexInItsOrder) {
  sqlite3* database = nullptr;
  ASSERT_EQ(
      sqlite3_open_v2(factory_.database_file().c_str(), &database, SQLITE_OPEN_READONLY, nullptr),
      SQLITE_OK);
  for (unsigned fields = 0; fields < 32; ++fields) {
    if ((fields & detail::kByNpi) != 0) {
      continue;  // One row by its key.
    }
    const std::string sql = "EXPLAIN QUERY PLAN " + std::string(detail::provider_search_sql(
                                                        fields, detail::SqlDialect::kSqlite));
    sqlite3_stmt* statement = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(database, sql.c_str(), -1, &statement, nullptr), SQLITE_OK)
        << sqlite3_errmsg(database);
    std::string plan;
    while (sqlite3_step(statement) == SQLITE_ROW) {
      plan += reinterpret_cast<const char*>(sqlite3_column_text(statement, 3));
      plan += "; ";
    }
    sqlite3_finalize(statement);
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << "fields " << fields << ": " << plan;
    EXPECT_NE(plan.find("USING INDEX providers_by_"), std::string::npos)
        << "fields " << fields << ": " << plan;
    // The index narrows the read by the name prefix, the state and the taxonomy given
    // (a taxonomy beside a name is checked row by row).
    auto narrows = [&](unsigned field, std::string_view constraint) {
      if ((fields & field) != 0) {
        EXPECT_NE(plan.find(constraint), std::string::npos)
            << "fields " << fields << " not read by " << constraint << ": " << plan;
      }
    };
    narrows(detail::kByName, "name_key>?");
    narrows(detail::kByState, "state=?");
    if ((fields & detail::kByName) == 0) {
      narrows(detail::kByTaxonomy, "taxonomy=?");
    }
  }
  sqlite3_close(database);
}

TEST_F(SqliteStoreTest, CloseCheckpointsTheWalIntoTheDatabase) {
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(append_message(*store_, message(thread_, std::to_string(i)), audit(), no_hook_));
  }
  store_.reset();
  const std::filesystem::path wal = factory_.database_file().string() + "-wal";
  EXPECT_TRUE(!std::filesystem::exists(wal) || std::filesystem::file_size(wal) == 0);

  // The data is in the main file: a plain read-only open without the WAL sees it.
  sqlite3* database = nullptr;
  ASSERT_EQ(
      sqlite3_open_v2(factory_.database_file().c_str(), &database, SQLITE_OPEN_READONLY, nullptr),
      SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(database, "SELECT count(*) FROM events WHERE kind = 1", -1,
                               &statement, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(statement, 0), 50);
  sqlite3_finalize(statement);
  sqlite3_close(database);
}

TEST_F(SqliteStoreTest, BackgroundCheckpointsKeepTheWalBounded) {
  store_.reset();
  SqliteOptions options;
  options.checkpoint_pages = 8;
  options.wal_size_limit_bytes = 256 * 1024;
  auto opened = SqliteStore::open(factory_.database_file(), testing::test_chainer(), options);
  ASSERT_TRUE(opened.has_value());
  store_ = std::move(*opened);
  const std::string body(2000, 'x');
  for (int i = 0; i < 400; ++i) {
    NewMessage next = message(thread_, "bulk-" + std::to_string(i));
    next.body_sealed = body;
    ASSERT_TRUE(append_message(*store_, next, audit(), no_hook_));
  }
  // 400 commits of several pages each would leave about 11 MB in the WAL without
  // checkpoints; with them the WAL restarts from its top and is cut back to the limit.
  const std::filesystem::path wal = factory_.database_file().string() + "-wal";
  EXPECT_LT(std::filesystem::file_size(wal), 600u * 1024u);
  EXPECT_EQ(store_->find_thread(thread_)->last_seq, 400);
}

// The thread events of a user's stream (what schemas before 8 had).
std::vector<EventId> replay_ids(Store& store, UserId user) {
  std::vector<EventId> ids;
  const auto events = store.read_user_events(user, StreamPosition(), 500);
  EXPECT_TRUE(events.has_value());
  for (const Event& event : events.value_or(std::vector<Event>{})) {
    if (event.scope == EventScope::kThread) {
      ids.push_back(event.id);
    }
  }
  return ids;
}

// What versions 6 and 7 added, dropped to rebuild an older database: the session lock
// and the timers.
constexpr std::string_view kDropSessionLock =
    "ALTER TABLE orgs DROP COLUMN idle_lock_seconds; ALTER TABLE users DROP COLUMN pin_hash; "
    "ALTER TABLE sessions DROP COLUMN locked; ALTER TABLE sessions DROP COLUMN pin_failures; "
    "DROP TABLE timers; DROP INDEX sessions_by_expiry; ";

// Version 2 added membership periods; a version-1 database gets them rebuilt from its
// member events, so replay after the upgrade is what it would have been all along.
TEST_F(SqliteStoreTest, UpgradeFromVersionOneRebuildsMembershipPeriods) {
  NewUser user;
  user.org_id = org_;
  user.username = "adam";
  user.created_at = at(0);
  const UserId adam = create_user(*store_, user)->id;
  NewThread group;
  group.org_id = org_;
  group.created_by = zoe_;
  group.created_at = at(0);
  group.members = {adam};
  const ThreadId thread =
      commit_one<ThreadCreated>(*store_, CreateThread{group}, no_hook_)->thread.id;
  ASSERT_TRUE(append_message(*store_, message(thread, "1"), audit(), no_hook_));
  ASSERT_TRUE(commit_one<Event>(*store_, RemoveMember{thread, adam, zoe_, at(2)}, no_hook_));
  ASSERT_TRUE(append_message(*store_, message(thread, "2"), audit(), no_hook_));
  ASSERT_TRUE(commit_one<Event>(*store_, AddMember{thread, adam, zoe_, at(3)}, no_hook_));
  ASSERT_TRUE(append_message(*store_, message(thread, "3"), audit(), no_hook_));
  const std::vector<EventId> adam_before = replay_ids(*store_, adam);
  const std::vector<EventId> zoe_before = replay_ids(*store_, zoe_);
  ASSERT_EQ(adam_before.size(), 7u);  // Created, 2 added, 1, removed, added, 3.

  store_.reset();
  sqlite3* database = nullptr;
  ASSERT_EQ(sqlite3_open(factory_.database_file().c_str(), &database), SQLITE_OK);
  // What version 1 did not have: the memberships table (2), the operator flag (3),
  // the sealed device names and client ids (4), the written time (5) and the session
  // lock (6).
  const std::string downgrade =
      std::string(testing::kDropCallback) + std::string(testing::kDropMessageSearch) + std::string(testing::kDropDirectory) +
      std::string(testing::kDropProviders) + std::string(testing::kDropAdtFeed) +
      std::string(testing::kDropEventEnvelope) +
      "DROP TABLE memberships; ALTER TABLE users DROP COLUMN is_operator; " +
      std::string(kDropSessionLock) +
      "DROP INDEX devices_named_in_clear; DROP INDEX client_ids_in_clear; "
      "ALTER TABLE devices DROP COLUMN name_sealed; "
      "ALTER TABLE events DROP COLUMN client_id_sealed; "
      "ALTER TABLE events DROP COLUMN written_at; PRAGMA user_version = 1";
  ASSERT_EQ(sqlite3_exec(database, downgrade.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(database);
  auto opened = SqliteStore::open(factory_.database_file(), testing::test_chainer());
  ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
  store_ = std::move(*opened);
  EXPECT_EQ(replay_ids(*store_, adam), adam_before);
  EXPECT_EQ(replay_ids(*store_, zoe_), zoe_before);
}

// Whether any file beside the database (the database, its WAL, ...) holds `text`.
bool any_file_holds(const std::filesystem::path& directory, std::string_view text) {
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    std::ifstream stream(entry.path(), std::ios::binary);
    const std::string contents((std::istreambuf_iterator<char>(stream)),
                               std::istreambuf_iterator<char>());
    if (contents.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Version 4 seals device names and client ids. A version-3 database has them in clear
// until the services seal them through the store; then no byte of them is left in any
// file, even while the store is open, and an old message's resend is still recognised.
TEST_F(SqliteStoreTest, UpgradeFromVersionThreeSealsTheValuesItHadInClear) {
  const DeviceId device = open_device(*store_, zoe_, "name, sealed", at(1))->id;
  const auto sent = append_message(*store_, message(thread_, "token"), audit(), no_hook_);
  ASSERT_TRUE(sent.has_value()) << sent.error().to_string();
  // Nothing written through the port is in clear.
  EXPECT_TRUE(store_->list_device_names_in_clear(DeviceId(), 10)->empty());
  EXPECT_TRUE(store_->list_client_ids_in_clear(EventId(), 10)->empty());

  store_.reset();
  sqlite3* database = nullptr;
  ASSERT_EQ(sqlite3_open(factory_.database_file().c_str(), &database), SQLITE_OK);
  // What version 3 wrote: the name and client id in clear, no sealed columns.
  const std::string downgrade =
      std::string(testing::kDropCallback) + std::string(testing::kDropMessageSearch) + std::string(testing::kDropDirectory) +
      std::string(testing::kDropProviders) + std::string(testing::kDropAdtFeed) +
      std::string(testing::kDropEventEnvelope) +
      "UPDATE devices SET name = 'WOMBAT-4821 ward tablet' WHERE id = " +
      std::to_string(device.value()) +
      "; UPDATE events SET client_id = 'NARWHAL-9043' WHERE id = " +
      std::to_string(sent->event.id.value()) +
      "; DROP INDEX devices_named_in_clear; DROP INDEX client_ids_in_clear; "
      "ALTER TABLE devices DROP COLUMN name_sealed; "
      "ALTER TABLE events DROP COLUMN client_id_sealed; DROP INDEX open_memberships_by_thread; "
      "ALTER TABLE events DROP COLUMN written_at; " +
      std::string(kDropSessionLock) + "PRAGMA user_version = 3";
  ASSERT_EQ(sqlite3_exec(database, downgrade.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(database);
  ASSERT_TRUE(any_file_holds(factory_.directory(), "WOMBAT-4821"));
  ASSERT_TRUE(any_file_holds(factory_.directory(), "NARWHAL-9043"));

  auto opened = SqliteStore::open(factory_.database_file(), testing::test_chainer());
  ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
  store_ = std::move(*opened);
  const auto names = store_->list_device_names_in_clear(DeviceId(), 10);
  ASSERT_TRUE(names.has_value()) << names.error().to_string();
  ASSERT_EQ(names->size(), 1u);
  EXPECT_EQ(names->front().id, device);
  EXPECT_EQ(names->front().org_id, org_);
  EXPECT_EQ(names->front().user_id, zoe_);
  EXPECT_EQ(names->front().created_at, at(1));
  EXPECT_EQ(names->front().name, "WOMBAT-4821 ward tablet");
  EXPECT_TRUE(store_->list_device_names_in_clear(device, 10)->empty());
  const auto ids = store_->list_client_ids_in_clear(EventId(), 10);
  ASSERT_TRUE(ids.has_value()) << ids.error().to_string();
  ASSERT_EQ(ids->size(), 1u);
  EXPECT_EQ(ids->front().id, sent->event.id);
  EXPECT_EQ(ids->front().org_id, org_);
  EXPECT_EQ(ids->front().thread_id, thread_);
  EXPECT_EQ(ids->front().sender, zoe_);
  EXPECT_EQ(ids->front().client_id, "NARWHAL-9043");

  const SealedDeviceName name{device, "sealed name"};
  ASSERT_TRUE(store_->seal_device_names({&name, 1}).has_value());
  const SealedClientId id{sent->event.id, "token-of-NARWHAL", "sealed client id"};
  ASSERT_TRUE(store_->seal_client_ids({&id, 1}).has_value());
  EXPECT_TRUE(store_->list_device_names_in_clear(DeviceId(), 10)->empty());
  EXPECT_TRUE(store_->list_client_ids_in_clear(EventId(), 10)->empty());
  // Sealing twice, or sealing a row that does not exist, changes nothing.
  EXPECT_EQ(store_->seal_device_names({&name, 1}).error().code(), Code::kNotFound);
  EXPECT_EQ(store_->seal_client_ids({&id, 1}).error().code(), Code::kNotFound);
  EXPECT_EQ(store_->find_device(device)->name_sealed, "sealed name");
  const Event stored = store_->find_event(sent->event.id).value();
  EXPECT_EQ(stored.client_token, "token-of-NARWHAL");
  EXPECT_EQ(stored.client_id_sealed, "sealed client id");
  const auto resent =
      append_message(*store_, message(thread_, "token-of-NARWHAL"), audit(), no_hook_);
  ASSERT_TRUE(resent.has_value()) << resent.error().to_string();
  EXPECT_TRUE(resent->duplicate);
  EXPECT_EQ(resent->event.id, sent->event.id);

  EXPECT_FALSE(any_file_holds(factory_.directory(), "WOMBAT-4821"));
  EXPECT_FALSE(any_file_holds(factory_.directory(), "NARWHAL-9043"));
  store_.reset();
  EXPECT_FALSE(any_file_holds(factory_.directory(), "WOMBAT-4821"));
  EXPECT_FALSE(any_file_holds(factory_.directory(), "NARWHAL-9043"));
}

TEST_F(SqliteStoreTest, RefusesADatabaseFromANewerSchema) {
  store_.reset();
  sqlite3* database = nullptr;
  ASSERT_EQ(sqlite3_open(factory_.database_file().c_str(), &database), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(database, "PRAGMA user_version = 99", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(database);
  auto opened = SqliteStore::open(factory_.database_file(), testing::test_chainer());
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), Code::kFailedPrecondition);
}

TEST_F(SqliteStoreTest, RefusesAFileThatIsNotADatabase) {
  store_.reset();
  const std::filesystem::path garbage = factory_.directory() / "garbage.db";
  {
    std::FILE* file = std::fopen(garbage.c_str(), "wb");
    ASSERT_NE(file, nullptr);
    const std::string junk(4096, 'j');
    std::fwrite(junk.data(), 1, junk.size(), file);
    std::fclose(file);
  }
  auto opened = SqliteStore::open(garbage, testing::test_chainer());
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), Code::kDataLoss);
}

// A process that dies right after its writes returned (no destructor, no final
// checkpoint: the data is only in the WAL) loses nothing.
TEST(SqliteStoreCrashTest, AcknowledgedWritesSurviveAProcessThatDies) {
  testing::SqliteFactory factory;
  const pid_t child = fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    auto opened = SqliteStore::open(factory.database_file(), testing::test_chainer());
    if (!opened) {
      _exit(2);
    }
    SqliteStore& store = **opened;
    const CommitHook hook = [](std::span<const CommittedEvent>) {};
    auto org = create_org(store, "General Hospital", at(0));
    NewUser user;
    user.org_id = org->id;
    user.username = "zoe";
    user.created_at = at(0);
    auto zoe = create_user(store, user);
    NewThread thread;
    thread.org_id = org->id;
    thread.created_by = zoe->id;
    thread.created_at = at(0);
    auto created = commit_one<ThreadCreated>(store, CreateThread{thread}, hook);
    for (int i = 0; i < 20; ++i) {
      NewMessage message;
      message.org_id = org->id;
      message.thread_id = created->thread.id;
      message.sender = zoe->id;
      message.client_token = std::to_string(i);
      message.created_at = at(1);
      AuditDraft audit;
      audit.action = "message.send";
      if (!append_message(store, message, audit, hook)) {
        _exit(3);
      }
    }
    _exit(0);  // No destructors: the writer, checkpointer and connections just vanish.
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  auto reopened = SqliteStore::open(factory.database_file(), testing::test_chainer());
  ASSERT_TRUE(reopened.has_value()) << reopened.error().to_string();
  SqliteStore& store = **reopened;
  auto zoe = store.find_user_by_name(store.find_org_by_name("General Hospital")->id, "zoe");
  ASSERT_TRUE(zoe.has_value());
  auto threads = store.list_threads_for_user(zoe->id);
  ASSERT_EQ(threads->size(), 1u);
  EXPECT_EQ(threads->front().thread.last_seq, 20);
  EXPECT_EQ(store.read_thread_messages(threads->front().thread.id, 0, 100)->size(), 20u);
  auto audit = store.read_audit(0, 100);
  ASSERT_EQ(audit->size(), 20u);
  auto next = store.append_audit(AuditDraft{});
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->seq, 21);
  EXPECT_EQ(next->prev_hash, audit->back().hash);
}

TEST_F(SqliteStoreTest, ErrorsCarryNoSqlOrData) {
  auto duplicate = create_org(*store_, "General Hospital", at(1));
  ASSERT_FALSE(duplicate.has_value());
  const std::string& text = duplicate.error().message();
  EXPECT_EQ(text.find("INSERT"), std::string::npos);
  EXPECT_EQ(text.find("orgs"), std::string::npos);
  EXPECT_EQ(text.find("General"), std::string::npos);
}

}  // namespace
}  // namespace wl
