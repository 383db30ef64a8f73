// Tests of the PostgreSQL adapter's connection: deferred statements sent in one
// pipeline with the next call, and what a failure among them does.

#include "adapters/postgres/detail/connection.hpp"

#include <string>

#include <gtest/gtest.h>

#include "contract/postgres_factory.hpp"

namespace wl::testing {
namespace {

using detail::pg::Params;
using detail::pg::PgConnection;
using detail::pg::PgResult;

class PgConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = PgConnection::open(factory_.conninfo());
    ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
    connection_ = std::move(*opened);
    ASSERT_TRUE(connection_
                    ->execute("CREATE TABLE notes (id bigint PRIMARY KEY, body text NOT NULL)",
                              "create table")
                    .has_value());
  }

  void defer_note(std::int64_t id, std::string_view body) {
    connection_->defer("INSERT INTO notes (id, body) VALUES ($1, $2)",
                       Params().add(id).add_text(body), "add note");
  }

  std::int64_t count_notes() {
    auto counted = connection_->query("SELECT count(*) FROM notes", "count notes");
    EXPECT_TRUE(counted.has_value()) << counted.error().to_string();
    return counted ? counted->int64(0, 0) : -1;
  }

  PostgresFactory factory_;
  std::unique_ptr<PgConnection> connection_;
};

TEST_F(PgConnectionTest, DeferredStatementsRunInOrderInOneRoundTripWithTheNextQuery) {
  connection_->defer_command("BEGIN", "begin");
  defer_note(1, "first");
  connection_->defer("UPDATE notes SET body = body || ' then second' WHERE id = $1",
                     Params().add(std::int64_t{1}), "edit note");
  defer_note(2, "third");
  EXPECT_EQ(connection_->deferred(), 4u);
  const std::uint64_t trips_before = connection_->round_trips();
  const std::uint64_t rows_before = connection_->rows_changed();

  auto read = connection_->query("SELECT body FROM notes ORDER BY id", "read notes");
  ASSERT_TRUE(read.has_value()) << read.error().to_string();
  EXPECT_EQ(connection_->round_trips(), trips_before + 1);
  EXPECT_EQ(connection_->deferred(), 0u);
  EXPECT_EQ(connection_->rows_changed(), rows_before + 3);
  ASSERT_EQ(read->rows(), 2);
  EXPECT_EQ(read->bytes(0, 0), "first then second");
  EXPECT_EQ(read->bytes(1, 0), "third");
  ASSERT_TRUE(connection_->execute("COMMIT", "commit").has_value());
  EXPECT_EQ(count_notes(), 2);
}

TEST_F(PgConnectionTest, AFailingDeferredStatementFailsTheCallThatSendsItAndSkipsTheRest) {
  ASSERT_TRUE(connection_->execute("BEGIN", "begin").has_value());
  defer_note(1, "kept");
  ASSERT_TRUE(connection_->execute("SAVEPOINT job", "savepoint").has_value());
  defer_note(2, "undone");
  defer_note(1, "duplicate");
  defer_note(3, "skipped");
  auto read = connection_->query("SELECT count(*) FROM notes", "count notes");
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code(), Code::kAlreadyExists);
  // Named by the statement that failed, not by the query that sent it.
  EXPECT_NE(read.error().message().find("add note"), std::string::npos) << read.error().message();
  EXPECT_EQ(connection_->last_sqlstate(), "23505");
  EXPECT_EQ(connection_->last_failed_operation(), "add note");
  EXPECT_EQ(connection_->deferred(), 0u);

  // The transaction carries on from the savepoint, with the first note only.
  ASSERT_TRUE(connection_->execute("ROLLBACK TO SAVEPOINT job", "roll back").has_value());
  EXPECT_EQ(count_notes(), 1);
  ASSERT_TRUE(connection_->execute("COMMIT", "commit").has_value());
  auto kept = connection_->query("SELECT body FROM notes", "read notes");
  ASSERT_TRUE(kept.has_value());
  ASSERT_EQ(kept->rows(), 1);
  EXPECT_EQ(kept->bytes(0, 0), "kept");
}

TEST_F(PgConnectionTest, AStatementPreparedInAFailedPipelineIsPreparedAgainLater) {
  ASSERT_TRUE(connection_->execute("BEGIN", "begin").has_value());
  defer_note(1, "one");
  defer_note(1, "duplicate");
  // First use of this SQL: prepared inside the pipeline, behind the failure.
  connection_->defer("DELETE FROM notes WHERE id = $1", Params().add(std::int64_t{7}),
                     "delete note");
  EXPECT_FALSE(connection_->flush().has_value());
  ASSERT_TRUE(connection_->execute("ROLLBACK", "roll back").has_value());

  defer_note(1, "one");
  connection_->defer("DELETE FROM notes WHERE id = $1", Params().add(std::int64_t{1}),
                     "delete note");
  ASSERT_TRUE(connection_->flush().has_value());
  EXPECT_EQ(count_notes(), 0);
}

TEST_F(PgConnectionTest, AFullPipelineIsSentAndAFailureInItWaitsForTheNextCall) {
  ASSERT_TRUE(connection_->execute("BEGIN", "begin").has_value());
  defer_note(1, "one");
  defer_note(1, "duplicate");
  // Filling the pipeline sends it: the failure is kept, later statements dropped.
  for (std::size_t i = 2; i < PgConnection::kMaxDeferred + 10; ++i) {
    defer_note(static_cast<std::int64_t>(i + 100), "after");
  }
  EXPECT_LT(connection_->deferred(), PgConnection::kMaxDeferred);
  auto read = connection_->query("SELECT 1", "select");
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code(), Code::kAlreadyExists);
  EXPECT_EQ(connection_->deferred(), 0u);
  ASSERT_TRUE(connection_->execute("ROLLBACK", "roll back").has_value());
  EXPECT_EQ(count_notes(), 0);
}

TEST_F(PgConnectionTest, ALostConnectionFailsThePipelineAsUnavailableAndReconnects) {
  auto pid = connection_->query("SELECT pg_backend_pid()::bigint", "read pid");
  ASSERT_TRUE(pid.has_value());
  const std::int64_t backend = pid->int64(0, 0);
  ASSERT_TRUE(factory_.server().execute(
      factory_.database(), "SELECT pg_terminate_backend(" + std::to_string(backend) + ", 5000)"));
  defer_note(1, "lost");
  auto read = connection_->query("SELECT count(*) FROM notes", "count notes");
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code(), Code::kUnavailable);
  EXPECT_FALSE(connection_->is_healthy());
  ASSERT_TRUE(connection_->reconnect().has_value());
  EXPECT_EQ(count_notes(), 0);
  defer_note(1, "after reconnect");
  EXPECT_EQ(count_notes(), 1);
}

}  // namespace
}  // namespace wl::testing
