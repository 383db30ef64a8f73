#include "adapters/sqlite/detail/connection.hpp"

#include <utility>

#include <sqlite3.h>

namespace wl::detail {

Status sqlite_status(int result_code, std::string_view operation) {
  const int primary = result_code & 0xff;
  std::string message = "store: ";
  message.append(operation);
  message.append(" failed (");
  message.append(sqlite3_errstr(result_code));
  message.append(")");
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_READONLY:
      return Status(Code::kUnavailable, std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status(Code::kDataLoss, std::move(message));
    case SQLITE_CONSTRAINT:
      if (result_code == SQLITE_CONSTRAINT_UNIQUE || result_code == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Status(Code::kAlreadyExists, std::move(message));
      }
      if (result_code == SQLITE_CONSTRAINT_FOREIGNKEY) {
        return Status(Code::kNotFound, std::move(message));
      }
      return Status(Code::kInternal, std::move(message));
    default:
      return Status(Code::kInternal, std::move(message));
  }
}

Statement::Statement(Statement&& other) noexcept
    : statement_(std::exchange(other.statement_, nullptr)),
      operation_(other.operation_),
      bind_error_(other.bind_error_) {}

Statement::~Statement() {
  if (statement_ != nullptr) {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
}

namespace {
void keep_first_error(int& stored, int result) {
  if (stored == SQLITE_OK && result != SQLITE_OK) {
    stored = result;
  }
}
}  // namespace

Statement& Statement::bind(int index, std::int64_t value) {
  keep_first_error(bind_error_, sqlite3_bind_int64(statement_, index, value));
  return *this;
}

Statement& Statement::bind(int index, std::optional<Timestamp> value) {
  if (value) {
    return bind(index, *value);
  }
  return bind_null(index);
}

Statement& Statement::bind_text(int index, std::string_view value) {
  keep_first_error(bind_error_, sqlite3_bind_text64(statement_, index, value.data(), value.size(),
                                                    SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind_text_or_null(int index, std::string_view value) {
  if (value.empty()) {
    return bind_null(index);
  }
  return bind_text(index, value);
}

Statement& Statement::bind_blob(int index, std::string_view value) {
  // A zero-length blob (not NULL) keeps NOT NULL columns satisfied; data() may be null.
  keep_first_error(bind_error_,
                   sqlite3_bind_blob64(statement_, index, value.empty() ? "" : value.data(),
                                       value.size(), SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::bind_null(int index) {
  keep_first_error(bind_error_, sqlite3_bind_null(statement_, index));
  return *this;
}

Result<bool> Statement::step() {
  if (bind_error_ != SQLITE_OK) {
    return std::unexpected(sqlite_status(bind_error_, operation_));
  }
  const int result = sqlite3_step(statement_);
  if (result == SQLITE_ROW) {
    return true;
  }
  if (result == SQLITE_DONE) {
    return false;
  }
  // sqlite3_step returns the extended code with the v2 prepare interface.
  return std::unexpected(sqlite_status(result, operation_));
}

Result<void> Statement::run() {
  while (WL_TRY(step())) {
  }
  return ok();
}

std::int64_t Statement::column_int64(int index) const {
  return sqlite3_column_int64(statement_, index);
}

std::optional<Timestamp> Statement::column_optional_time(int index) const {
  if (column_is_null(index)) {
    return std::nullopt;
  }
  return column_time(index);
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(statement_, index) == SQLITE_NULL;
}

std::string Statement::column_bytes(int index) const {
  const void* data = sqlite3_column_blob(statement_, index);
  const int size = sqlite3_column_bytes(statement_, index);
  if (data == nullptr || size <= 0) {
    return {};
  }
  return std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

Result<std::unique_ptr<Connection>> Connection::open(const std::filesystem::path& file,
                                                     OpenMode mode,
                                                     std::chrono::milliseconds busy_timeout) {
  const int flags = (mode == OpenMode::kReadWrite ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                                  : SQLITE_OPEN_READONLY) |
                    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  sqlite3* database = nullptr;
  const int result = sqlite3_open_v2(file.c_str(), &database, flags, nullptr);
  if (result != SQLITE_OK) {
    sqlite3_close_v2(database);
    return std::unexpected(sqlite_status(result, "open database"));
  }
  sqlite3_extended_result_codes(database, 1);
  sqlite3_busy_timeout(database, static_cast<int>(busy_timeout.count()));
  return std::unique_ptr<Connection>(new Connection(database));
}

Connection::~Connection() {
  for (auto& [sql, statement] : statements_) {
    sqlite3_finalize(statement);
  }
  sqlite3_close_v2(database_);
}

Result<Statement> Connection::prepare(std::string_view sql, std::string_view operation) {
  auto found = statements_.find(sql);
  if (found != statements_.end()) {
    return Statement(found->second, operation);
  }
  sqlite3_stmt* statement = nullptr;
  const int result = sqlite3_prepare_v3(database_, sql.data(), static_cast<int>(sql.size()),
                                        SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
  if (result != SQLITE_OK) {
    sqlite3_finalize(statement);
    return std::unexpected(sqlite_status(result, operation));
  }
  statements_.emplace(sql, statement);
  return Statement(statement, operation);
}

Result<void> Connection::execute(const char* sql, std::string_view operation) {
  const int result = sqlite3_exec(database_, sql, nullptr, nullptr, nullptr);
  if (result != SQLITE_OK) {
    return std::unexpected(sqlite_status(sqlite3_extended_errcode(database_), operation));
  }
  return ok();
}

std::int64_t Connection::last_insert_id() const { return sqlite3_last_insert_rowid(database_); }

int Connection::changes() const { return sqlite3_changes(database_); }

}  // namespace wl::detail
