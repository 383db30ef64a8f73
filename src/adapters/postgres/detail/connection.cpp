#include "adapters/postgres/detail/connection.hpp"

#include <cstdlib>
#include <cstring>
#include <utility>

#include <libpq-fe.h>

namespace wl::detail::pg {
namespace {

constexpr int kBinary = 1;

std::string big_endian(std::uint64_t value, int size) {
  std::string bytes(static_cast<std::size_t>(size), '\0');
  for (int i = size - 1; i >= 0; --i) {
    bytes[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return bytes;
}

std::uint64_t from_big_endian(const char* bytes, int size) {
  std::uint64_t value = 0;
  for (int i = 0; i < size; ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

}  // namespace

// ---- Params ----

Params& Params::push(PgType type, std::string bytes, bool is_null) {
  types_.push_back(static_cast<unsigned int>(type));
  bytes_.push_back(std::move(bytes));
  nulls_.push_back(is_null);
  return *this;
}

Params& Params::add(std::int64_t value) {
  return push(PgType::kInt8, big_endian(static_cast<std::uint64_t>(value), 8), false);
}

Params& Params::add(std::optional<Timestamp> value) {
  return value ? add(*value) : add_null(PgType::kInt8);
}

Params& Params::add(bool value) {
  return push(PgType::kBool, std::string(1, value ? 1 : 0), false);
}

Params& Params::add_text(std::string_view value) {
  return push(PgType::kText, std::string(value), false);
}

Params& Params::add_text_or_null(std::string_view value) {
  return value.empty() ? add_null(PgType::kText) : add_text(value);
}

Params& Params::add_bytes(std::string_view value) {
  return push(PgType::kBytea, std::string(value), false);
}

Params& Params::add_bytes_or_null(std::string_view value) {
  return value.empty() ? add_null(PgType::kBytea) : add_bytes(value);
}

Params& Params::add_null(PgType type) { return push(type, std::string(), true); }

std::vector<const char*> Params::values() const {
  std::vector<const char*> values;
  values.reserve(bytes_.size());
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    values.push_back(nulls_[i] ? nullptr : bytes_[i].data());
  }
  return values;
}

std::vector<int> Params::lengths() const {
  std::vector<int> lengths;
  lengths.reserve(bytes_.size());
  for (const std::string& bytes : bytes_) {
    lengths.push_back(static_cast<int>(bytes.size()));
  }
  return lengths;
}

// ---- PgResult ----

PgResult::PgResult(PgResult&& other) noexcept
    : result_(std::exchange(other.result_, nullptr)), bad_(other.bad_) {}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) {
      PQclear(result_);
    }
    result_ = std::exchange(other.result_, nullptr);
    bad_ = other.bad_;
  }
  return *this;
}

PgResult::~PgResult() {
  if (result_ != nullptr) {
    PQclear(result_);
  }
}

int PgResult::rows() const { return result_ == nullptr ? 0 : PQntuples(result_); }

std::int64_t PgResult::affected() const {
  const char* count = result_ == nullptr ? "" : PQcmdTuples(result_);
  std::int64_t value = 0;
  for (const char* digit = count; *digit != '\0'; ++digit) {
    if (*digit < '0' || *digit > '9' || value > (INT64_MAX - 9) / 10) {
      bad_ = true;
      return 0;
    }
    value = value * 10 + (*digit - '0');
  }
  return value;
}

bool PgResult::is_null(int row, int column) const {
  if (result_ == nullptr || row < 0 || row >= PQntuples(result_) || column < 0 ||
      column >= PQnfields(result_)) {
    bad_ = true;
    return true;
  }
  return PQgetisnull(result_, row, column) != 0;
}

bool PgResult::has_value(int row, int column, PgType type) const {
  if (is_null(row, column)) {
    return false;
  }
  if (PQfformat(result_, column) != kBinary || PQftype(result_, column) != static_cast<Oid>(type)) {
    bad_ = true;
    return false;
  }
  return true;
}

std::int64_t PgResult::int64(int row, int column) const {
  if (is_null(row, column)) {
    return 0;  // NULL ids read as unset (0), as optional references are stored.
  }
  const Oid type = PQftype(result_, column);
  const int length = PQgetlength(result_, row, column);
  const bool fits = (type == static_cast<Oid>(PgType::kInt8) && length == 8) ||
                    (type == static_cast<Oid>(PgType::kInt4) && length == 4);
  if (PQfformat(result_, column) != kBinary || !fits) {
    bad_ = true;
    return 0;
  }
  const std::uint64_t raw = from_big_endian(PQgetvalue(result_, row, column), length);
  if (length == 4) {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(raw));
  }
  return static_cast<std::int64_t>(raw);
}

std::optional<std::int64_t> PgResult::optional_int64(int row, int column) const {
  if (is_null(row, column)) {
    return std::nullopt;
  }
  return int64(row, column);
}

bool PgResult::boolean(int row, int column) const {
  if (!has_value(row, column, PgType::kBool)) {
    return false;
  }
  if (PQgetlength(result_, row, column) != 1) {
    bad_ = true;
    return false;
  }
  return PQgetvalue(result_, row, column)[0] != 0;
}

std::optional<Timestamp> PgResult::optional_time(int row, int column) const {
  if (is_null(row, column)) {
    return std::nullopt;
  }
  return time(row, column);
}

std::string PgResult::bytes(int row, int column) const {
  if (is_null(row, column)) {
    return std::string();
  }
  const Oid type = PQftype(result_, column);
  if (PQfformat(result_, column) != kBinary ||
      (type != static_cast<Oid>(PgType::kBytea) && type != static_cast<Oid>(PgType::kText))) {
    bad_ = true;
    return std::string();
  }
  const int length = PQgetlength(result_, row, column);
  return std::string(PQgetvalue(result_, row, column), static_cast<std::size_t>(length));
}

Result<void> PgResult::check() const {
  if (bad_) {
    return error(Code::kInternal, "store: the database returned a value of an unexpected type");
  }
  return ok();
}

// ---- Errors ----

Status postgres_status(std::string_view sqlstate, std::string_view operation) {
  const std::string prefix = "store: " + std::string(operation) + " failed";
  if (sqlstate == "23505") {
    return Status(Code::kAlreadyExists, prefix + " (already exists)");
  }
  if (sqlstate == "23503") {
    return Status(Code::kNotFound, prefix + " (a referenced row does not exist)");
  }
  if (sqlstate.starts_with("22")) {
    return Status(Code::kInvalidArgument, prefix + " (invalid value)");
  }
  if (sqlstate.empty() || sqlstate.starts_with("08") || sqlstate.starts_with("53") ||
      sqlstate.starts_with("57") || sqlstate == "55P03" || is_retryable(sqlstate)) {
    return Status(Code::kUnavailable, prefix + " (database unavailable or busy)");
  }
  return Status(Code::kInternal, prefix + " (database error " + std::string(sqlstate) + ")");
}

bool is_retryable(std::string_view sqlstate) { return sqlstate == "40001" || sqlstate == "40P01"; }

// ---- PgConnection ----

Result<std::unique_ptr<PgConnection>> PgConnection::open(const std::string& conninfo) {
  pg_conn* connection = PQconnectdb(conninfo.c_str());
  if (connection == nullptr) {
    return error(Code::kUnavailable, "store: cannot allocate a database connection");
  }
  if (PQstatus(connection) != CONNECTION_OK) {
    PQfinish(connection);
    // libpq's message may name the host or the user: the caller gets the code only.
    return error(Code::kUnavailable, "store: cannot connect to the database");
  }
  std::unique_ptr<PgConnection> opened(new PgConnection(connection));
  // Timestamps and ids are integers, text is UTF-8; nothing depends on other settings.
  WL_TRY(opened->execute("SET client_encoding = 'UTF8'; SET client_min_messages = warning",
                         "configure connection"));
  return opened;
}

PgConnection::~PgConnection() { PQfinish(connection_); }

bool PgConnection::is_healthy() const { return !broken_ && PQstatus(connection_) == CONNECTION_OK; }

Result<void> PgConnection::reconnect() {
  PQreset(connection_);
  broken_ = false;
  statements_.clear();
  deferred_.clear();
  deferred_failure_.reset();
  if (!is_healthy()) {
    return error(Code::kUnavailable, "store: cannot reconnect to the database");
  }
  return execute("SET client_encoding = 'UTF8'; SET client_min_messages = warning",
                 "configure connection");
}

Status PgConnection::failure(pg_result* result, std::string_view operation) {
  const char* state = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  last_sqlstate_ = state == nullptr ? "" : state;
  last_failed_operation_ = operation;
  if (!is_healthy()) {
    last_sqlstate_.clear();
    return Status(Code::kUnavailable,
                  "store: " + std::string(operation) + " failed (connection lost)");
  }
  return postgres_status(last_sqlstate_, operation);
}

void PgConnection::count_changed(pg_result* result) {
  const char* tag = PQcmdStatus(result);
  if (tag == nullptr ||
      (std::strncmp(tag, "INSERT ", 7) != 0 && std::strncmp(tag, "UPDATE ", 7) != 0 &&
       std::strncmp(tag, "DELETE ", 7) != 0)) {
    return;
  }
  rows_changed_ += std::strtoull(PQcmdTuples(result), nullptr, 10);
}

std::pair<const std::string*, bool> PgConnection::statement_name(std::string_view sql) {
  auto found = statements_.find(sql);
  if (found != statements_.end()) {
    return {&found->second, false};
  }
  found = statements_.emplace(sql, "wl" + std::to_string(next_statement_++)).first;
  return {&found->second, true};
}

std::optional<Status> PgConnection::take_deferred_failure() {
  std::optional<Status> kept = std::move(deferred_failure_);
  deferred_failure_.reset();
  return kept;
}

Result<PgResult> PgConnection::query(std::string_view sql, const Params& params,
                                     std::string_view operation) {
  if (std::optional<Status> kept = take_deferred_failure()) {
    return std::unexpected(std::move(*kept));
  }
  if (!deferred_.empty()) {
    const Pending last{sql, params, operation};
    return run_pipeline(&last);
  }
  const auto [name, unprepared] = statement_name(sql);
  if (unprepared) {
    const std::string text(sql);
    ++statements_sent_;
    ++round_trips_;
    PgResult prepared(
        PQprepare(connection_, name->c_str(), text.c_str(), params.size(), params.types().data()));
    if (PQresultStatus(prepared.result_) != PGRES_COMMAND_OK) {
      statements_.erase(sql);
      return std::unexpected(failure(prepared.result_, operation));
    }
  }
  const std::vector<const char*> values = params.values();
  const std::vector<int> lengths = params.lengths();
  const std::vector<int> formats(values.size(), kBinary);
  ++statements_sent_;
  ++round_trips_;
  PgResult result(PQexecPrepared(connection_, name->c_str(), params.size(), values.data(),
                                 lengths.data(), formats.data(), kBinary));
  const ExecStatusType status = PQresultStatus(result.result_);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return std::unexpected(failure(result.result_, operation));
  }
  count_changed(result.result_);
  return result;
}

Result<void> PgConnection::execute(const char* sql, std::string_view operation) {
  if (std::optional<Status> kept = take_deferred_failure()) {
    return std::unexpected(std::move(*kept));
  }
  if (!deferred_.empty()) {
    const Pending last{sql, std::nullopt, operation};
    WL_TRY(run_pipeline(&last));
    return ok();
  }
  ++statements_sent_;
  ++round_trips_;
  PgResult result(PQexec(connection_, sql));
  const ExecStatusType status = PQresultStatus(result.result_);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return std::unexpected(failure(result.result_, operation));
  }
  count_changed(result.result_);
  return ok();
}

void PgConnection::defer(std::string_view sql, Params params, std::string_view operation) {
  push_deferred(Pending{sql, std::move(params), operation});
}

void PgConnection::defer_command(const char* sql, std::string_view operation) {
  push_deferred(Pending{sql, std::nullopt, operation});
}

void PgConnection::push_deferred(Pending statement) {
  if (deferred_failure_) {
    return;  // The transaction has failed already; the next call reports it.
  }
  deferred_.push_back(std::move(statement));
  if (deferred_.size() >= kMaxDeferred) {
    const Result<PgResult> flushed = run_pipeline(nullptr);
    if (!flushed) {
      deferred_failure_ = flushed.error();
    }
  }
}

Result<void> PgConnection::flush() {
  if (std::optional<Status> kept = take_deferred_failure()) {
    return std::unexpected(std::move(*kept));
  }
  if (!deferred_.empty()) {
    WL_TRY(run_pipeline(nullptr));
  }
  return ok();
}

Result<PgResult> PgConnection::run_pipeline(const Pending* last) {
  const std::vector<Pending> pending = std::exchange(deferred_, {});
  const std::string_view first_operation =
      pending.empty() ? last->operation : pending.front().operation;
  if (PQenterPipelineMode(connection_) != 1) {
    return std::unexpected(failure(nullptr, first_operation));
  }
  // What each result the server sends back answers, in order.
  struct Sent {
    const Pending* statement;
    bool is_prepare;
  };
  std::vector<Sent> sent;
  sent.reserve(2 * pending.size() + 2);
  bool sending = true;
  const auto send = [&](const Pending& statement) {
    if (!sending) {
      return;
    }
    if (!statement.params) {
      const std::string text(statement.sql);
      sending = PQsendQueryParams(connection_, text.c_str(), 0, nullptr, nullptr, nullptr, nullptr,
                                  kBinary) == 1;
      sent.push_back({&statement, false});
      return;
    }
    const Params& params = *statement.params;
    const auto [name, unprepared] = statement_name(statement.sql);
    if (unprepared) {
      const std::string text(statement.sql);
      sending = PQsendPrepare(connection_, name->c_str(), text.c_str(), params.size(),
                              params.types().data()) == 1;
      sent.push_back({&statement, true});
      if (!sending) {
        return;
      }
    }
    const std::vector<const char*> values = params.values();
    const std::vector<int> lengths = params.lengths();
    const std::vector<int> formats(values.size(), kBinary);
    sending = PQsendQueryPrepared(connection_, name->c_str(), params.size(), values.data(),
                                  lengths.data(), formats.data(), kBinary) == 1;
    sent.push_back({&statement, false});
  };
  for (const Pending& statement : pending) {
    send(statement);
  }
  if (last != nullptr) {
    send(*last);
  }
  sending = sending && PQpipelineSync(connection_) == 1;
  statements_sent_ += sent.size();
  ++round_trips_;

  // Every result is read, also after a failure: libpq's queue must end at the sync.
  std::optional<Status> first_failure;
  PgResult last_result(nullptr);
  for (const Sent& answer : sent) {
    pg_result* raw = PQgetResult(connection_);
    if (raw == nullptr) {
      if (!first_failure) {
        first_failure = failure(nullptr, answer.statement->operation);
      }
      break;
    }
    PgResult result(raw);
    const ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
      if (!answer.is_prepare) {
        count_changed(raw);
      }
      if (answer.statement == last && !answer.is_prepare) {
        last_result = std::move(result);
      }
    } else {
      if (!first_failure) {
        first_failure = failure(raw, answer.statement->operation);
      }
      if (answer.is_prepare) {
        statements_.erase(answer.statement->sql);
      }
    }
    // Each statement's results end with a null.
    while ((raw = PQgetResult(connection_)) != nullptr) {
      PQclear(raw);
    }
  }
  if (sending && is_healthy()) {
    PgResult sync(PQgetResult(connection_));
    if (sync.result_ == nullptr || PQresultStatus(sync.result_) != PGRES_PIPELINE_SYNC) {
      broken_ = true;
      if (!first_failure) {
        first_failure = Status(Code::kUnavailable, "store: " + std::string(first_operation) +
                                                       " failed (pipeline out of step)");
      }
    }
  }
  if (PQexitPipelineMode(connection_) != 1 || !sending) {
    // Out of step with the server (a send failed, or results are left over): the
    // connection is treated as lost, and the owner's reconnect starts it over.
    broken_ = true;
    if (!first_failure) {
      first_failure = failure(nullptr, first_operation);
    }
  }
  if (first_failure) {
    return std::unexpected(std::move(*first_failure));
  }
  return last_result;
}

}  // namespace wl::detail::pg
