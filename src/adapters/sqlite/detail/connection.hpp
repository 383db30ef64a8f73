#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.hpp"
#include "core/time.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace wl::detail {

// Converts an SQLite result code to a Status. The message names the operation and
// SQLite's generic description of the code, never SQL text or bound data.
// BUSY/LOCKED/IO/FULL/CANTOPEN/NOMEM -> Unavailable; UNIQUE/PRIMARYKEY constraint ->
// AlreadyExists; FOREIGNKEY constraint -> NotFound; CORRUPT/NOTADB -> DataLoss;
// anything else -> Internal.
Status sqlite_status(int result_code, std::string_view operation);

// One cached prepared statement, borrowed from its Connection for one use. Resets and
// clears its bindings on destruction, so the next prepare() of the same SQL reuses it.
// Not copyable; must not outlive the Connection. Text and blobs are bound as copies.
class Statement {
 public:
  Statement(sqlite3_stmt* statement, std::string_view operation)
      : statement_(statement), operation_(operation) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  // Binders use 1-based parameter indexes, like SQLite. They return *this; a bind error
  // (a bug: wrong index) is reported by the next step().
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, Timestamp value) { return bind(index, to_micros(value)); }
  Statement& bind(int index, std::optional<Timestamp> value);
  Statement& bind_text(int index, std::string_view value);
  // Binds NULL for an empty value (optional keys such as threads.unique_key).
  Statement& bind_text_or_null(int index, std::string_view value);
  Statement& bind_blob(int index, std::string_view value);
  Statement& bind_null(int index);

  // Advances: true when a row is available, false when done. Errors: see sqlite_status.
  [[nodiscard]] Result<bool> step();
  // Runs to completion, ignoring rows.
  [[nodiscard]] Result<void> run();

  std::int64_t column_int64(int index) const;
  Timestamp column_time(int index) const { return from_micros(column_int64(index)); }
  std::optional<Timestamp> column_optional_time(int index) const;
  bool column_is_null(int index) const;
  // Text or blob bytes of a column (empty for NULL).
  std::string column_bytes(int index) const;

 private:
  sqlite3_stmt* statement_;
  std::string_view operation_;
  int bind_error_ = 0;
};

enum class OpenMode { kReadWrite, kReadOnly };

// One SQLite connection with its prepared statement cache. Used by one thread at a
// time (the owner serialises access: the writer thread, a read lease or the
// checkpointer); opened with SQLITE_OPEN_NOMUTEX.
class Connection {
 public:
  // Opens (creating if kReadWrite) the file and applies the busy timeout. Errors:
  // Unavailable if the file cannot be opened.
  [[nodiscard]] static Result<std::unique_ptr<Connection>> open(
      const std::filesystem::path& file, OpenMode mode, std::chrono::milliseconds busy_timeout);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Returns the cached statement for `sql`, preparing it on first use. `sql` must have
  // static storage duration (it keys the cache). `operation` names the caller for error
  // messages and must be static too. At most one Statement per SQL text may be live.
  [[nodiscard]] Result<Statement> prepare(std::string_view sql, std::string_view operation);

  // Runs one or more statements without caching (pragmas, DDL, BEGIN/COMMIT).
  [[nodiscard]] Result<void> execute(const char* sql, std::string_view operation);

  // Rowid of the last INSERT on this connection.
  std::int64_t last_insert_id() const;
  // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  int changes() const;

  sqlite3* handle() const { return database_; }

 private:
  explicit Connection(sqlite3* database) : database_(database) {}

  sqlite3* database_;
  std::unordered_map<std::string_view, sqlite3_stmt*> statements_;
};

}  // namespace wl::detail
