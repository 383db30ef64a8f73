#pragma once

#include <filesystem>
#include <memory>

#include "core/status.hpp"

namespace wl::detail {

// An exclusive advisory lock (flock) on a file next to the database, held for the
// store's lifetime: a second process (or a second SqliteStore) on the same database
// would fork the audit chain the writer caches, so it is refused.
class FileLock {
 public:
  // Creates the file (mode 0600) if missing and locks it without waiting.
  // Errors: Unavailable if another holder has it or the file cannot be created.
  [[nodiscard]] static Result<std::unique_ptr<FileLock>> acquire(const std::filesystem::path& file);

  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int descriptor) : descriptor_(descriptor) {}

  int descriptor_;
};

// Creates `file` with mode 0600 if it does not exist, so the database and its WAL
// (SQLite copies the database's mode) are private to the server's user.
// Errors: Unavailable.
[[nodiscard]] Result<void> create_private_file(const std::filesystem::path& file);

}  // namespace wl::detail
