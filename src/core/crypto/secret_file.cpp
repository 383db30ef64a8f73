#include "core/crypto/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/crypto/random.hpp"

namespace wl::crypto {
namespace {

// Closes a file descriptor on scope exit.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }

  int get() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  // Closes now and reports whether close succeeded (close can report a write error).
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

// Maps errno from an open/create to a code by what the caller can do about it.
Status io_error(int error_number, std::string_view action) {
  std::string message = "secret file: ";
  message += action;
  message += " failed";
  switch (error_number) {
    case ENOENT:
    case ENOTDIR:
      return Status(Code::kNotFound, message + " (no such file or directory)");
    case EACCES:
    case EPERM:
    case EROFS:
      return Status(Code::kFailedPrecondition, message + " (permission denied)");
    default:
      return Status(Code::kUnavailable, message + " (I/O error)");
  }
}

Result<void> write_all(int fd, std::string_view contents) {
  while (!contents.empty()) {
    const ssize_t written = ::write(fd, contents.data(), contents.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return std::unexpected(io_error(errno, "write"));
    }
    contents.remove_prefix(static_cast<std::size_t>(written));
  }
  return ok();
}

Result<void> fsync_directory(const std::filesystem::path& directory) {
  FileDescriptor fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.is_open()) {
    return std::unexpected(io_error(errno, "open directory"));
  }
  if (::fsync(fd.get()) != 0) {
    return std::unexpected(io_error(errno, "fsync directory"));
  }
  return ok();
}

std::filesystem::path directory_of(const std::filesystem::path& file) {
  const std::filesystem::path parent = file.parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

// Writes `contents` to a new 0600 temporary file beside `file` and fsyncs it.
// Returns the temporary path; the caller moves it into place or removes it.
Result<std::filesystem::path> write_temporary(const std::filesystem::path& file,
                                              std::string_view contents) {
  std::filesystem::path temporary = file;
  temporary += ".tmp-" + random_token_hex(8);
  // O_EXCL: never follow or reuse something an attacker placed at the temporary name.
  FileDescriptor fd(
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.is_open()) {
    return std::unexpected(io_error(errno, "create"));
  }
  auto written = write_all(fd.get(), contents);
  if (written && ::fsync(fd.get()) != 0) {
    written = std::unexpected(io_error(errno, "fsync"));
  }
  if (written && !fd.close()) {
    written = std::unexpected(io_error(errno, "close"));
  }
  if (!written) {
    ::unlink(temporary.c_str());
    return std::unexpected(written.error());
  }
  return temporary;
}

}  // namespace

Result<std::string> read_secret_file(const std::filesystem::path& file, std::size_t max_bytes) {
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.is_open()) {
    if (errno == ELOOP) {
      return error(Code::kFailedPrecondition, "secret file is a symbolic link");
    }
    return std::unexpected(io_error(errno, "open"));
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    return std::unexpected(io_error(errno, "stat"));
  }
  if (!S_ISREG(info.st_mode)) {
    return error(Code::kFailedPrecondition, "secret file is not a regular file");
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return error(Code::kFailedPrecondition,
                 "secret file is accessible by group or others; restrict it with chmod 600");
  }
  if (static_cast<std::uint64_t>(info.st_size) > max_bytes) {
    return error(Code::kInvalidArgument, "secret file is larger than it may be");
  }
  std::string contents;
  contents.reserve(static_cast<std::size_t>(info.st_size));
  char buffer[4096];
  while (true) {
    const ssize_t count = ::read(fd.get(), buffer, sizeof buffer);
    if (count < 0) {
      if (errno == EINTR) {
        continue;
      }
      return std::unexpected(io_error(errno, "read"));
    }
    if (count == 0) {
      break;
    }
    contents.append(buffer, static_cast<std::size_t>(count));
    if (contents.size() > max_bytes) {  // It grew while being read.
      return error(Code::kInvalidArgument, "secret file is larger than it may be");
    }
  }
  return contents;
}

Result<void> write_secret_file(const std::filesystem::path& file, std::string_view contents) {
  const std::filesystem::path temporary = WL_TRY(write_temporary(file, contents));
  if (::rename(temporary.c_str(), file.c_str()) != 0) {
    const int error_number = errno;
    ::unlink(temporary.c_str());
    return std::unexpected(io_error(error_number, "rename"));
  }
  return fsync_directory(directory_of(file));
}

Result<void> create_secret_file(const std::filesystem::path& file, std::string_view contents) {
  const std::filesystem::path temporary = WL_TRY(write_temporary(file, contents));
  // link() fails with EEXIST instead of replacing: an atomic create-if-absent.
  const int linked = ::link(temporary.c_str(), file.c_str());
  const int error_number = errno;
  ::unlink(temporary.c_str());
  if (linked != 0) {
    if (error_number == EEXIST) {
      return error(Code::kAlreadyExists, "secret file already exists");
    }
    return std::unexpected(io_error(error_number, "link"));
  }
  return fsync_directory(directory_of(file));
}

}  // namespace wl::crypto
