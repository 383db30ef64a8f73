// Tests of the PostgreSQL adapter beyond the Store contract: migrations, group commit,
// lost connections, and several stores writing one database at once.

#include "adapters/postgres/postgres_store.hpp"
#include "adapters/postgres/detail/schema.hpp"

#include <atomic>
#include <future>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include "contract/postgres_factory.hpp"
#include "contract/store_fixture.hpp"
#include "contract/test_chainer.hpp"

namespace wl::testing {
namespace {

class PostgresStoreTest : public StoreFixture<PostgresFactory> {
 protected:
  // A second store on the same database, as another process or node would have.
  std::unique_ptr<PostgresStore> open_second() {
    auto opened = factory_.open_postgres();
    EXPECT_TRUE(opened.has_value()) << opened.error().to_string();
    return opened ? std::move(*opened) : nullptr;
  }

  NewMessage message(ThreadId thread, UserId sender, std::string client_token) {
    NewMessage result;
    result.org_id = org_;
    result.thread_id = thread;
    result.sender = sender;
    result.client_token = std::move(client_token);
    result.client_id_sealed = "sealed client id";
    result.body_sealed = std::string("\x00\xff sealed \x80", 12);
    result.created_at = at(10);
    return result;
  }

  // Runs `body(store, worker)` on `workers` threads of each of the two stores at once.
  template <typename Body>
  void run_on_both(Store& first, Store& second, int workers, Body body) {
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (Store* store : {&first, &second}) {
      for (int worker = 0; worker < workers; ++worker) {
        threads.emplace_back([&, store, worker] {
          while (!go.load()) {
            std::this_thread::yield();
          }
          body(*store, worker);
        });
      }
    }
    go.store(true);
    for (std::thread& thread : threads) {
      thread.join();
    }
  }
};

TEST_F(PostgresStoreTest, MigrationsRunOnceAndReopeningChangesNothing) {
  const std::string instance = store_->instance_id();
  ASSERT_EQ(instance.size(), 32u);
  store_.reset();
  reopen();
  EXPECT_EQ(store_->instance_id(), instance);
  EXPECT_EQ(store_->find_org_by_name("General Hospital")->id, org_);
  // Exactly one version row, at this build's version: a second migration would have
  // failed on the existing tables or added a row.
  ASSERT_TRUE(factory_.server()
                  .execute(factory_.database(),
                           "DO $$ BEGIN IF (SELECT count(*) FROM schema_version) <> 1 OR "
                           "(SELECT version FROM schema_version) <> " +
                               std::to_string(detail::pg::kPostgresSchemaVersion) +
                               " THEN "
                               "RAISE EXCEPTION 'bad schema_version'; END IF; END $$")
                  .has_value());
}

TEST(PostgresStoreOpenTest, StoresOpeningAFreshDatabaseAtOnceMigrateItOnce) {
  PostgresFactory factory;
  constexpr int kStores = 6;
  std::vector<Result<std::unique_ptr<PostgresStore>>> opened;
  for (int i = 0; i < kStores; ++i) {
    opened.emplace_back(error(Code::kInternal, "not run"));
  }
  std::vector<std::thread> openers;
  for (int i = 0; i < kStores; ++i) {
    openers.emplace_back([&, i] { opened[i] = factory.open_postgres({.read_connections = 1}); });
  }
  for (std::thread& opener : openers) {
    opener.join();
  }
  std::set<std::string> instances;
  for (auto& store : opened) {
    ASSERT_TRUE(store.has_value()) << store.error().to_string();
    instances.insert((*store)->instance_id());
  }
  EXPECT_EQ(instances.size(), 1u);
}

// A node's directory cache compares the directory version (docs/directory.md): a
// change written by another node moves the version this node reads at once.
TEST_F(PostgresStoreTest, AnotherNodesDirectoryChangeMovesTheVersionThisNodeReads) {
  const UserId zoe = make_user("zoe");
  const std::int64_t before = *store_->directory_version(org_);
  auto second = open_second();
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(commit_one<std::monostate>(*second, SetUserDirectory{zoe, "RN", "ICU", zoe, at(5)})
                  .has_value());
  EXPECT_GT(*store_->directory_version(org_), before);
  EXPECT_EQ(store_->find_user(zoe)->department, "ICU");
}

TEST_F(PostgresStoreTest, RefusesADatabaseFromANewerSchema) {
  store_.reset();
  ASSERT_TRUE(
      factory_.server().execute(factory_.database(), "UPDATE schema_version SET version = 99"));
  auto opened = factory_.open_postgres();
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(opened.error().message().find("99"), std::string::npos);
}

TEST(PostgresStoreOpenTest, AnUnreachableServerIsUnavailable) {
  auto opened =
      PostgresStore::open("host=127.0.0.1 port=1 dbname=none connect_timeout=2", test_chainer());
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), Code::kUnavailable);
  EXPECT_EQ(opened.error().message().find("127.0.0.1"), std::string::npos);
}

TEST(PostgresStoreOpenTest, RequiresAChainer) {
  PostgresFactory factory;
  auto opened = PostgresStore::open(factory.conninfo(), AuditChainer());
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), Code::kInvalidArgument);
}

TEST_F(PostgresStoreTest, FailedWriteInABatchDoesNotLoseTheOthers) {
  auto& store = dynamic_cast<PostgresStore&>(*store_);
  const UserId zoe = [&] {
    NewUser user;
    user.org_id = org_;
    user.username = "zoe";
    user.created_at = at(0);
    return create_user(store, user)->id;
  }();
  NewThread thread;
  thread.org_id = org_;
  thread.created_by = zoe;
  thread.created_at = at(0);
  const ThreadId thread_id = commit_one<ThreadCreated>(store, CreateThread{thread})->thread.id;
  ASSERT_TRUE(store.put_data_key({org_, 1, "original", at(1), false}).has_value());

  store.pause_writes_for_test();
  const std::uint64_t batches_before = store.write_batches_for_test();
  auto wait_for_queued = [&store](std::size_t count) {
    while (store.queued_writes_for_test() < count) {
      std::this_thread::yield();
    }
  };
  Result<MessageAppended> first = error(Code::kInternal, "not run");
  Result<MessageAppended> failing = error(Code::kInternal, "not run");
  Result<void> rewrap = error(Code::kInternal, "not run");
  Result<MessageAppended> last = error(Code::kInternal, "not run");
  std::thread first_writer([&] {
    first = append_message(store, message(thread_id, zoe, "a"), draft("message.send", org_));
  });
  wait_for_queued(1);
  std::thread failing_writer([&] {
    failing = append_message(store, message(ThreadId(999), zoe, "b"), draft("message.send", org_));
  });
  wait_for_queued(2);
  // Fails after it changed a row: its savepoint must undo that row only.
  const std::vector<DataKeyRecord> partly_unknown = {{org_, 1, "rewrapped", at(1), false},
                                                     {org_, 9, "unknown", at(1), false}};
  std::thread rewrap_writer([&] { rewrap = store.rewrap_data_keys(partly_unknown); });
  wait_for_queued(3);
  std::thread last_writer([&] {
    last = append_message(store, message(thread_id, zoe, "c"), draft("message.send", org_));
  });
  wait_for_queued(4);
  store.resume_writes_for_test();
  first_writer.join();
  failing_writer.join();
  rewrap_writer.join();
  last_writer.join();

  EXPECT_EQ(store.write_batches_for_test(), batches_before + 1);
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  ASSERT_TRUE(last.has_value()) << last.error().to_string();
  ASSERT_FALSE(failing.has_value());
  EXPECT_EQ(failing.error().code(), Code::kNotFound);
  ASSERT_FALSE(rewrap.has_value());
  EXPECT_EQ(rewrap.error().code(), Code::kNotFound);
  EXPECT_EQ(store.list_data_keys()->front().wrapped, "original");
  EXPECT_EQ(first->event.seq, 1);
  EXPECT_EQ(last->event.seq, 2);
  auto entries = store.read_audit(0, 10);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[1].prev_hash, (*entries)[0].hash);
}

TEST_F(PostgresStoreTest, AMessageWriteSendsItsStatementsInFewRoundTrips) {
  auto& store = dynamic_cast<PostgresStore&>(*store_);
  const UserId zoe = make_user("zoe");
  NewThread thread;
  thread.org_id = org_;
  thread.created_by = zoe;
  thread.created_at = at(0);
  const ThreadId thread_id = commit_one<ThreadCreated>(store, CreateThread{thread})->thread.id;
  ASSERT_TRUE(append_message(store, message(thread_id, zoe, "warm"), draft("message.send", org_)));

  const StoreStats before = store.stats();
  auto sent = append_message(store, message(thread_id, zoe, "a"), draft("message.send", org_));
  ASSERT_TRUE(sent.has_value()) << sent.error().to_string();
  const StoreStats after = store.stats();
  ASSERT_TRUE(before.statements && before.round_trips && after.statements && after.round_trips);
  const std::uint64_t statements = *after.statements - *before.statements;
  const std::uint64_t round_trips = *after.round_trips - *before.round_trips;
  // The message, its thread's locks and update, its audit entry and the batch's
  // transaction: a dozen statements, most of them deferred into a pipeline.
  EXPECT_GE(statements, 10u);
  EXPECT_LE(round_trips * 2, statements)
      << round_trips << " round trips for " << statements << " statements";
}

TEST_F(PostgresStoreTest, ALostConnectionFailsWithUnavailableAndTheStoreReconnects) {
  const UserId zoe = make_user("zoe");
  // End every session of the database but the killer's own, as a restarted server
  // or a dropped network path would.
  ASSERT_TRUE(
      factory_.server().execute(factory_.database(),
                                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid()"));
  auto write = commit_one<std::monostate>(*store_, SetUserDisabled{zoe, true, UserId(), at(5)});
  ASSERT_FALSE(write.has_value());
  EXPECT_EQ(write.error().code(), Code::kUnavailable);
  auto read = store_->find_user(zoe);
  if (!read) {
    EXPECT_EQ(read.error().code(), Code::kUnavailable);
  }
  ASSERT_TRUE(
      commit_one<std::monostate>(*store_, SetUserDisabled{zoe, true, UserId(), at(5)}).has_value());
  for (int i = 0; i < 8; ++i) {  // Every pooled connection comes back.
    auto found = store_->find_user(zoe);
    ASSERT_TRUE(found.has_value()) << found.error().to_string();
    EXPECT_TRUE(found->disabled);
  }
}

TEST_F(PostgresStoreTest, ErrorsCarryNoSqlOrData) {
  auto duplicate = create_org(*store_, "General Hospital", at(1));
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code(), Code::kAlreadyExists);
  const std::string& text = duplicate.error().message();
  EXPECT_EQ(text.find("INSERT"), std::string::npos);
  EXPECT_EQ(text.find("orgs"), std::string::npos);
  EXPECT_EQ(text.find("General"), std::string::npos);
}

TEST_F(PostgresStoreTest, TextThatIsNotUtf8IsAnInvalidArgument) {
  auto created = create_org(*store_, std::string("bad \xff\x00 name", 11), at(1));
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().code(), Code::kInvalidArgument);
  EXPECT_TRUE(create_org(*store_, "Next", at(1)).has_value());
}

// ---- Two stores on one database ----

TEST_F(PostgresStoreTest, TwoStoresAppendingToOneThreadKeepItsSeqContiguous) {
  const UserId zoe = make_user("zoe");
  const UserId adam = make_user("adam");
  const ThreadId thread = make_thread(zoe, {adam});
  auto second = open_second();
  ASSERT_NE(second, nullptr);
  constexpr int kWorkers = 4;
  constexpr int kPerWorker = 25;
  std::mutex mutex;
  std::vector<std::int64_t> seqs;
  std::set<std::int64_t> ids;
  std::atomic<int> sent{0};
  run_on_both(*store_, *second, kWorkers, [&](Store& store, int) {
    for (int i = 0; i < kPerWorker; ++i) {
      const int n = sent.fetch_add(1);
      auto appended =
          append_message(store, message(thread, n % 2 == 0 ? zoe : adam, "m" + std::to_string(n)),
                         draft("message.send", org_));
      ASSERT_TRUE(appended.has_value()) << appended.error().to_string();
      std::lock_guard lock(mutex);
      seqs.push_back(appended->event.seq);
      ids.insert(appended->event.id.value());
    }
  });
  constexpr int kTotal = 2 * kWorkers * kPerWorker;
  std::sort(seqs.begin(), seqs.end());
  ASSERT_EQ(seqs.size(), static_cast<std::size_t>(kTotal));
  for (int i = 0; i < kTotal; ++i) {
    EXPECT_EQ(seqs[static_cast<std::size_t>(i)], i + 1);
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kTotal));
  EXPECT_EQ(second->find_thread(thread)->last_seq, kTotal);
  // Each store appended its messages' entries to its own audit chain, which neither
  // waited on nor forked: one entry per message in all.
  EXPECT_NE(store_->audit_chain(), second->audit_chain());
  const auto chains = store_->list_audit_chains();
  ASSERT_TRUE(chains.has_value());
  EXPECT_EQ(*chains, (std::vector<std::int64_t>{1, 2}));
  std::size_t total = 0;
  for (const std::int64_t chain : *chains) {
    auto entries = store_->read_audit_chain(chain, 0, 1000);
    ASSERT_TRUE(entries.has_value());
    EXPECT_EQ(entries->size(), static_cast<std::size_t>(kWorkers * kPerWorker)) << chain;
    for (std::size_t i = 0; i < entries->size(); ++i) {
      const AuditEntry& entry = (*entries)[i];
      EXPECT_EQ(entry.chain, chain);
      EXPECT_EQ(entry.seq, static_cast<std::int64_t>(i) + 1);
      EXPECT_EQ(entry.prev_hash, i == 0 ? std::string(32, '\0') : (*entries)[i - 1].hash);
      EXPECT_EQ(entry.hash, test_chain_hash(entry));
    }
    total += entries->size();
  }
  EXPECT_EQ(total, static_cast<std::size_t>(kTotal));
}

// A store that closes gives its chain back: the next store to open takes it, so
// chains grow with the number of stores writing at once, not with restarts.
TEST_F(PostgresStoreTest, AReopenedStoreTakesAFreeChainBack) {
  const std::int64_t first = store_->audit_chain();
  auto second = open_second();
  ASSERT_NE(second, nullptr);
  EXPECT_NE(second->audit_chain(), first);
  const std::int64_t second_chain = second->audit_chain();
  second.reset();
  auto third = open_second();
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(third->audit_chain(), second_chain);
}

TEST_F(PostgresStoreTest, TwoStoresResendingOneClientIdStoreOneMessage) {
  const UserId zoe = make_user("zoe");
  const UserId adam = make_user("adam");
  const ThreadId thread = make_thread(zoe, {adam});
  const ThreadId other = make_thread(zoe, {adam});
  auto second = open_second();
  ASSERT_NE(second, nullptr);
  constexpr int kTokens = 10;
  std::mutex mutex;
  std::map<std::string, std::set<std::int64_t>> ids_by_token;
  std::map<std::string, int> originals;
  run_on_both(*store_, *second, 3, [&](Store& store, int worker) {
    for (int token = 0; token < kTokens; ++token) {
      // The same client id resent, sometimes to another thread: one message either way.
      const ThreadId target = (worker + token) % 3 == 0 ? other : thread;
      const std::string client = "client-" + std::to_string(token);
      auto appended =
          append_message(store, message(target, zoe, client), draft("message.send", org_));
      ASSERT_TRUE(appended.has_value()) << appended.error().to_string();
      std::lock_guard lock(mutex);
      ids_by_token[client].insert(appended->event.id.value());
      if (!appended->duplicate) {
        ++originals[client];
      }
    }
  });
  ASSERT_EQ(ids_by_token.size(), static_cast<std::size_t>(kTokens));
  for (const auto& [client, ids] : ids_by_token) {
    EXPECT_EQ(ids.size(), 1u) << client;
    EXPECT_EQ(originals[client], 1) << client;
  }
  const std::size_t stored = store_->read_thread_messages(thread, 0, 100)->size() +
                             store_->read_thread_messages(other, 0, 100)->size();
  EXPECT_EQ(stored, static_cast<std::size_t>(kTokens));
  // One audit entry per stored message, in whichever store's chain stored it.
  EXPECT_EQ(store_->read_audit(0, 100)->size() + second->read_audit(0, 100)->size(),
            static_cast<std::size_t>(kTokens));
}

TEST_F(PostgresStoreTest, TwoStoresCreatingOneUniqueKeyGetOneThread) {
  const UserId zoe = make_user("zoe");
  const UserId adam = make_user("adam");
  auto second = open_second();
  ASSERT_NE(second, nullptr);
  std::mutex mutex;
  std::set<std::int64_t> threads;
  int created = 0;
  run_on_both(*store_, *second, 4, [&](Store& store, int) {
    NewThread thread = new_group(zoe, {adam});
    thread.kind = ThreadKind::kDirect;
    thread.unique_key = "direct:zoe:adam";
    auto result = commit_one<ThreadCreated>(store, CreateThread{thread});
    ASSERT_TRUE(result.has_value()) << result.error().to_string();
    std::lock_guard lock(mutex);
    threads.insert(result->thread.id.value());
    created += result->created ? 1 : 0;
  });
  EXPECT_EQ(threads.size(), 1u);
  EXPECT_EQ(created, 1);
}

TEST_F(PostgresStoreTest, TwoStoresClaimEachDueTimerOnce) {
  auto second = open_second();
  ASSERT_NE(second, nullptr);
  constexpr int kTimers = 400;
  WriteBatch batch;
  for (int i = 0; i < kTimers; ++i) {
    batch.add(ScheduleTimer{"test.kind", "t" + std::to_string(i), org_, at(i % 13), ""});
  }
  ASSERT_TRUE(commit_and_wait(*store_, std::move(batch)).has_value());
  std::mutex mutex;
  std::multiset<std::int64_t> claimed;
  run_on_both(*store_, *second, 3, [&](Store& store, int) {
    while (true) {
      auto due = store.claim_due_timers(at(20), std::chrono::seconds(600), 9);
      ASSERT_TRUE(due.has_value()) << due.error().to_string();
      if (due->empty()) {
        return;
      }
      std::lock_guard lock(mutex);
      for (const Timer& timer : *due) {
        claimed.insert(timer.id.value());
      }
    }
  });
  EXPECT_EQ(claimed.size(), static_cast<std::size_t>(kTimers));
  EXPECT_EQ(std::set<std::int64_t>(claimed.begin(), claimed.end()).size(),
            static_cast<std::size_t>(kTimers));
  // Each claim completes once: a second completion of the same claim is refused.
  auto timer = second->find_timer("test.kind", "t0");
  ASSERT_TRUE(timer.has_value());
  EXPECT_TRUE(commit_one<bool>(*store_, CompleteTimer{timer->id, timer->attempt}).has_value());
  auto again = commit_one<bool>(*second, CompleteTimer{timer->id, timer->attempt});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), Code::kAborted);
}

TEST_F(PostgresStoreTest, TwoStoresDeliveringOneMessageWriteOneDelivery) {
  const UserId zoe = make_user("zoe");
  const UserId adam = make_user("adam");
  const ThreadId thread = make_thread(zoe, {adam});
  const EventId sent = send_ok(thread, zoe, "1");
  auto second = open_second();
  ASSERT_NE(second, nullptr);
  std::atomic<int> events{0};
  run_on_both(*store_, *second, 3, [&](Store& store, int) {
    auto delivered = record_delivered(store, adam, {sent}, at(30));
    ASSERT_TRUE(delivered.has_value()) << delivered.error().to_string();
    events.fetch_add(static_cast<int>(delivered->size()));
  });
  EXPECT_EQ(events.load(), 1);
}

// The stream's promise with several writers (docs/architecture.md, "Stream positions
// become readable in commit order"): two stores write one database at once, in random
// interleavings, while a reader per user tails that user's stream from its cursor. Each
// reader must end with exactly the user's final replay: every event once, in order,
// none found later behind its cursor.
TEST_F(PostgresStoreTest, ReadersTailingStreamsOfTwoWritingStoresSeeTheFinalReplayOnceInOrder) {
  auto second = open_second();
  ASSERT_NE(second, nullptr);
  constexpr int kUsers = 6;
  constexpr int kThreads = 4;
  constexpr int kWritersPerStore = 3;
  constexpr int kOperationsPerWriter = 250;
  std::vector<UserId> users;
  for (int i = 0; i < kUsers; ++i) {
    users.push_back(make_user("user" + std::to_string(i)));
  }
  // Thread t is created by users[t] with users[t + 1] and users[t + 2]; the last user
  // comes and goes in all of them. Writers also append user and org events.
  std::vector<ThreadId> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.push_back(make_thread(users[t], {users[t + 1], users[(t + 2) % (kUsers - 1)]}));
  }
  const UserId floating = users.back();

  std::atomic<int> writers_left{2 * kWritersPerStore};
  std::atomic<int> next_message{0};
  std::vector<std::thread> readers;
  std::vector<std::vector<Event>> seen(kUsers);
  std::vector<std::string> reader_errors(kUsers);
  for (int u = 0; u < kUsers; ++u) {
    readers.emplace_back([&, u] {
      Store& store = u % 2 == 0 ? static_cast<Store&>(*store_) : static_cast<Store&>(*second);
      std::mt19937 random(1000 + u);
      StreamPosition cursor;
      bool drained = false;
      while (!drained) {
        // Once the writers are done, read until a read finds nothing new.
        const bool writers_done = writers_left.load() == 0;
        auto events = store.read_user_events(users[u], cursor, 1 + random() % 40);
        if (!events) {
          reader_errors[u] = events.error().to_string();
          return;
        }
        for (const Event& event : *events) {
          seen[u].push_back(event);
        }
        if (!events->empty()) {
          cursor = events->back().position();
        }
        drained = writers_done && events->empty();
        if (random() % 4 == 0) {
          std::this_thread::yield();
        }
      }
    });
  }
  run_on_both(*store_, *second, kWritersPerStore, [&](Store& store, int worker) {
    // Counted down however the writer ends (a failed ASSERT returns early), so the
    // readers always finish.
    struct Done {
      std::atomic<int>& left;
      ~Done() { left.fetch_sub(1); }
    } done{writers_left};
    std::mt19937 random(static_cast<unsigned>(worker * 7919 + (&store == second.get() ? 1 : 0)));
    for (int i = 0; i < kOperationsPerWriter; ++i) {
      const int t = static_cast<int>(random() % kThreads);
      const int choice = static_cast<int>(random() % 10);
      if (choice == 0) {
        // Added or removed: either may lose to the other store's change (AlreadyExists,
        // NotFound), which is a fine outcome here.
        auto added = commit_one<Event>(store, AddMember{threads[t], floating, users[t], at(20)});
        if (!added) {
          ASSERT_EQ(added.error().code(), Code::kAlreadyExists) << added.error().to_string();
        }
      } else if (choice == 1) {
        auto removed =
            commit_one<Event>(store, RemoveMember{threads[t], floating, users[t], at(21)});
        if (!removed) {
          ASSERT_EQ(removed.error().code(), Code::kNotFound) << removed.error().to_string();
        }
      } else if (choice == 3) {
        // News for one user, or for the whole org: no thread, no thread lock.
        const UserId about = users[random() % kUsers];
        const EventKind kind =
            random() % 2 == 0 ? EventKind::kDevicesChanged : EventKind::kUserChanged;
        auto scoped =
            commit_one<Event>(store, AppendScopedEvent{kind, org_, about, about, about, at(23)});
        ASSERT_TRUE(scoped.has_value()) << scoped.error().to_string();
      } else if (choice == 2 && random() % 2 == 0) {
        // A new thread: written without the audit chain's lock that serialises writes
        // of existing threads, so its events really interleave with the other store's.
        const UserId creator = users[random() % (kUsers - 1)];
        auto created = commit_one<ThreadCreated>(
            store, CreateThread{new_group(creator, {users[random() % kUsers]})});
        ASSERT_TRUE(created.has_value()) << created.error().to_string();
      } else if (choice == 2) {
        auto read = commit_one<std::optional<Event>>(
            store, RecordRead{threads[t], users[t + 1], 1'000'000, at(22)});
        ASSERT_TRUE(read.has_value()) << read.error().to_string();
      } else {
        const int n = next_message.fetch_add(1);
        auto sent = append_message(store, message(threads[t], users[t], "m" + std::to_string(n)),
                                   draft("message.send", org_));
        ASSERT_TRUE(sent.has_value()) << sent.error().to_string();
      }
      if (random() % 8 == 0) {
        std::this_thread::yield();
      }
    }
  });
  for (std::thread& reader : readers) {
    reader.join();
  }

  std::size_t total = 0;
  for (int u = 0; u < kUsers; ++u) {
    ASSERT_EQ(reader_errors[u], "") << "user " << u;
    std::vector<Event> replay;
    StreamPosition cursor;
    while (true) {
      auto page = store_->read_user_events(users[u], cursor, 500);
      ASSERT_TRUE(page.has_value()) << page.error().to_string();
      if (page->empty()) {
        break;
      }
      replay.insert(replay.end(), page->begin(), page->end());
      cursor = page->back().position();
    }
    std::vector<EventId> seen_ids;
    std::vector<EventId> replay_ids;
    for (const Event& event : seen[u]) {
      seen_ids.push_back(event.id);
    }
    std::map<ThreadId, std::int64_t> last_seq;
    for (const Event& event : replay) {
      replay_ids.push_back(event.id);
      // A thread's messages come in seq order.
      if (event.kind == EventKind::kMessage) {
        EXPECT_GT(event.seq, last_seq[event.thread_id]) << "user " << u;
        last_seq[event.thread_id] = event.seq;
      }
    }
    EXPECT_EQ(seen_ids, replay_ids) << "user " << u;
    EXPECT_EQ(std::set<EventId>(replay_ids.begin(), replay_ids.end()).size(), replay_ids.size());
    total += replay.size();
  }
  EXPECT_GT(total, 2000u);
}

// Live fan-out follows the stream's horizon: while a transaction with a smaller id
// (another store's, here a raw session's) is open, a commit's hook waits, since that
// transaction could still commit events at positions before the hooked ones.
TEST_F(PostgresStoreTest, HooksWaitUntilNoOlderTransactionCanCommitBehindTheirEvents) {
  const UserId zoe = make_user("zoe");
  const ThreadId thread = make_thread(zoe, {});
  const StreamPosition before = *store_->stream_head();
  PGconn* older = PQconnectdb(factory_.conninfo().c_str());
  ASSERT_EQ(PQstatus(older), CONNECTION_OK);
  PQclear(PQexec(older, "BEGIN"));
  PGresult* xid = PQexec(older, "SELECT pg_current_xact_id()");
  ASSERT_EQ(PQresultStatus(xid), PGRES_TUPLES_OK);
  PQclear(xid);

  std::promise<StreamPosition> hooked;
  std::future<StreamPosition> hooked_position = hooked.get_future();
  std::promise<void> done;
  WriteBatch batch = send_batch(message(thread, zoe, "1"), draft("message.send", org_));
  store_->commit(
      std::move(batch),
      [&hooked](std::span<const CommittedEvent> events) {
        hooked.set_value(events.back().event.position());
      },
      [&done](Result<BatchResult>) { done.set_value(); });
  // The message is committed, but neither hooked nor readable while the older
  // transaction may still commit below it.
  EXPECT_EQ(hooked_position.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  EXPECT_TRUE(store_->read_user_events(zoe, before, 100)->empty());
  PQclear(PQexec(older, "COMMIT"));
  PQfinish(older);
  ASSERT_EQ(hooked_position.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  const StreamPosition position = hooked_position.get();
  done.get_future().wait();
  auto events = store_->read_user_events(zoe, before, 100);
  ASSERT_TRUE(events.has_value());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().position(), position);
}

}  // namespace
}  // namespace wl::testing
