#include "adapters/sqlite/detail/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace wl::detail {

Result<std::unique_ptr<FileLock>> FileLock::acquire(const std::filesystem::path& file) {
  const int descriptor = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (descriptor < 0) {
    return error(Code::kUnavailable, "store: cannot create the database lock file");
  }
  if (::flock(descriptor, LOCK_EX | LOCK_NB) != 0) {
    ::close(descriptor);
    return error(Code::kUnavailable, "store: the database is in use by another store");
  }
  return std::unique_ptr<FileLock>(new FileLock(descriptor));
}

FileLock::~FileLock() { ::close(descriptor_); }

Result<void> create_private_file(const std::filesystem::path& file) {
  const int descriptor = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (descriptor < 0) {
    return error(Code::kUnavailable, "store: cannot create the database file");
  }
  ::close(descriptor);
  return ok();
}

}  // namespace wl::detail
