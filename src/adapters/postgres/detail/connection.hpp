#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/ids.hpp"
#include "core/status.hpp"
#include "core/time.hpp"

struct pg_conn;
struct pg_result;

namespace wl::detail::pg {

// PostgreSQL type oids of the parameters and columns the adapter uses (pg_type.h).
enum class PgType : unsigned int { kBool = 16, kBytea = 17, kInt8 = 20, kInt4 = 23, kText = 25 };

// The parameters of one statement, all sent in binary format: int8 as 8 big-endian
// bytes, bool as one byte, text and bytea as their raw bytes. Each value is copied.
// A statement must be given parameters of the same types every time (its types are
// fixed when it is first prepared).
class Params {
 public:
  Params& add(std::int64_t value);
  Params& add(Timestamp value) { return add(to_micros(value)); }
  Params& add(std::optional<Timestamp> value);
  Params& add(bool value);
  template <typename Tag>
  Params& add(StrongId<Tag> id) {
    return add(id.value());
  }
  // An id stored as NULL when unset (optional references).
  template <typename Tag>
  Params& add_id_or_null(StrongId<Tag> id) {
    return id.is_set() ? add(id.value()) : add_null(PgType::kInt8);
  }
  Params& add_text(std::string_view value);
  // NULL for an empty value (optional keys such as threads.unique_key).
  Params& add_text_or_null(std::string_view value);
  Params& add_bytes(std::string_view value);
  Params& add_bytes_or_null(std::string_view value);
  Params& add_null(PgType type);

  int size() const { return static_cast<int>(types_.size()); }
  const std::vector<unsigned int>& types() const { return types_; }
  // Pointers into this object: valid until it is changed or destroyed.
  std::vector<const char*> values() const;
  std::vector<int> lengths() const;

 private:
  Params& push(PgType type, std::string bytes, bool is_null);

  std::vector<unsigned int> types_;
  std::vector<std::string> bytes_;
  std::vector<bool> nulls_;
};

// A query's result, in binary format. The accessors check each value's type and size
// against what the adapter expects (the database is not trusted to send what was asked
// for): a mismatch yields a zero value and marks the result bad, which check() (and the
// row helpers in rows.hpp) turn into Internal. Not copyable.
class PgResult {
 public:
  explicit PgResult(pg_result* result) : result_(result) {}
  PgResult(PgResult&& other) noexcept;
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int rows() const;
  // Rows changed by an INSERT, UPDATE or DELETE.
  std::int64_t affected() const;

  bool is_null(int row, int column) const;
  std::int64_t int64(int row, int column) const;
  std::optional<std::int64_t> optional_int64(int row, int column) const;
  bool boolean(int row, int column) const;
  Timestamp time(int row, int column) const { return from_micros(int64(row, column)); }
  std::optional<Timestamp> optional_time(int row, int column) const;
  // Text or bytea bytes (empty for NULL).
  std::string bytes(int row, int column) const;

  // Marks the result bad: a value was of the right type but out of its range.
  void reject() const { bad_ = true; }
  // Errors: Internal if any value read so far was not of the expected type or size.
  [[nodiscard]] Result<void> check() const;

 private:
  friend class PgConnection;
  bool has_value(int row, int column, PgType type) const;

  pg_result* result_;
  mutable bool bad_ = false;
};

// Converts a failed statement's SQLSTATE to a Status. The message names the operation
// and the error's class, never SQL, values or the server's own message (which may quote
// values). 23505 -> AlreadyExists; 23503 -> NotFound; 22xxx -> InvalidArgument; 08xxx,
// 53xxx, 57xxx, 40001, 40P01, 55P03 -> Unavailable; anything else -> Internal.
Status postgres_status(std::string_view sqlstate, std::string_view operation);

// True for the SQLSTATEs that a rerun of the whole transaction may get past:
// serialization_failure (40001) and deadlock_detected (40P01).
bool is_retryable(std::string_view sqlstate);

// One libpq connection with its prepared statements. Used by one thread at a time (the
// owner serialises access: the writer thread or a read lease). Statements are prepared
// on first use and named by a counter; after the connection is lost and reset they are
// prepared again.
//
// Deferred statements: a statement whose rows nobody reads (an UPDATE, an INSERT
// without RETURNING, a lock, SAVEPOINT) can be deferred. It is sent, in libpq's
// pipeline mode, together with the next query, execute or flush, so that a write of
// ten statements costs a few round trips instead of ten. The server runs them in
// order, exactly as if each had been sent alone; if one fails, the ones after it in
// the same pipeline are not run, and the call that sent them returns the first
// failure (named by that statement's operation, with its SQLSTATE). A pipeline holds
// at most kMaxDeferred deferred statements (it is flushed when full), so neither side's
// socket buffer can fill while the other waits.
class PgConnection {
 public:
  // Connects with `conninfo` (a libpq connection string or URI). Errors: Unavailable if
  // the server cannot be reached or refuses the login.
  [[nodiscard]] static Result<std::unique_ptr<PgConnection>> open(const std::string& conninfo);

  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection();

  // Runs `sql` (which must have static storage duration: it keys the statement cache)
  // as a prepared statement with `params`. `operation` names the caller in errors.
  // Errors: see postgres_status; Unavailable if the connection is lost.
  [[nodiscard]] Result<PgResult> query(std::string_view sql, const Params& params,
                                       std::string_view operation);
  [[nodiscard]] Result<PgResult> query(std::string_view sql, std::string_view operation) {
    return query(sql, Params(), operation);
  }

  // Runs one or more statements without parameters or caching (BEGIN, SAVEPOINT, DDL).
  // Deferred statements go first, in one pipeline with `sql` (which must then be a
  // single statement).
  [[nodiscard]] Result<void> execute(const char* sql, std::string_view operation);

  // Defers `sql` (static storage duration, as for query) with `params` until the next
  // call that reaches the server. Errors come from that call (see above); a failure of
  // the flush it triggers when kMaxDeferred are waiting is kept for that call too.
  void defer(std::string_view sql, Params params, std::string_view operation);
  // Defers a single statement without parameters that is not prepared (BEGIN,
  // SAVEPOINT, RELEASE, COMMIT), as execute runs it.
  void defer_command(const char* sql, std::string_view operation);
  // Sends the deferred statements and waits for them. Errors: the first failure.
  [[nodiscard]] Result<void> flush();
  std::size_t deferred() const { return deferred_.size(); }
  static constexpr std::size_t kMaxDeferred = 64;

  // The SQLSTATE of the last failed call ("" if it did not reach the server).
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  void clear_last_sqlstate() { last_sqlstate_.clear(); }
  // The operation named by the statement whose failure the last failed call returned.
  std::string_view last_failed_operation() const { return last_failed_operation_; }
  // False once the connection to the server is lost.
  bool is_healthy() const;
  // Reconnects a lost connection. Errors: Unavailable if the server cannot be reached.
  [[nodiscard]] Result<void> reconnect();
  // Rows the INSERT, UPDATE and DELETE statements run on this connection have changed
  // (their command tags' counts), since it was opened (StoreStats).
  std::uint64_t rows_changed() const { return rows_changed_; }
  // Statements sent to the server (preparing one counts too), and the round trips
  // they took: one per query or execute that sent no deferred statement, one per
  // pipeline. Since it was opened.
  std::uint64_t statements_sent() const { return statements_sent_; }
  std::uint64_t round_trips() const { return round_trips_; }

 private:
  // A deferred statement, or the one that sends the pipeline (a null `params` runs
  // `sql` unprepared, as execute does).
  struct Pending {
    std::string_view sql;
    std::optional<Params> params;
    std::string_view operation;
  };

  explicit PgConnection(pg_conn* connection) : connection_(connection) {}
  Status failure(pg_result* result, std::string_view operation);
  void count_changed(pg_result* result);
  // The name of `sql`'s prepared statement, and whether it still has to be prepared.
  std::pair<const std::string*, bool> statement_name(std::string_view sql);
  // Sends the deferred statements and then `last` (if any) in one pipeline. Returns the
  // result of `last` (an empty result without it), or the first failure.
  Result<PgResult> run_pipeline(const Pending* last);
  void push_deferred(Pending statement);
  // A failure kept for the next call (defer's flush when kMaxDeferred are waiting).
  std::optional<Status> take_deferred_failure();

  pg_conn* connection_;
  std::vector<Pending> deferred_;
  std::optional<Status> deferred_failure_;
  bool broken_ = false;  // A pipeline fell out of step (run_pipeline).
  std::unordered_map<std::string_view, std::string> statements_;  // SQL -> name.
  std::uint64_t next_statement_ = 0;
  std::string last_sqlstate_;
  std::string last_failed_operation_;
  std::uint64_t rows_changed_ = 0;
  std::uint64_t statements_sent_ = 0;
  std::uint64_t round_trips_ = 0;
};

}  // namespace wl::detail::pg
