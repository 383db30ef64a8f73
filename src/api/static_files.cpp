#include "api/static_files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <boost/url/parse.hpp>

#include "core/log.hpp"

namespace wl::api {
namespace {

namespace fs = std::filesystem;

// One decoded segment a file in the folder can have. Refused: "" (a doubled slash, which
// a naive join turns into an absolute path), "." and ".." and hidden names, and any
// separator or control byte that decoding produced ("%2F", "%5C", "%00").
bool is_plain_segment(std::string_view segment) {
  if (segment.empty() || segment.front() == '.') {
    return false;
  }
  for (const char c : segment) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\' || byte < 0x20 || byte == 0x7f) {
      return false;
    }
  }
  return true;
}

enum class OpenError { kNone, kMissing, kRefused, kUnsupported };

// openat2 with RESOLVE_BENEATH: the kernel refuses any step, symlinks included, that
// leaves the directory (EXDEV), and RESOLVE_NO_MAGICLINKS refuses /proc-style links.
OpenError open_beneath(int directory, const std::string& relative, UniqueFd& file) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const long fd = ::syscall(SYS_openat2, directory, relative.c_str(), &how, sizeof how);
  if (fd >= 0) {
    file.reset(static_cast<int>(fd));
    return OpenError::kNone;
  }
  switch (errno) {
    case ENOENT:
    case ENOTDIR:
      return OpenError::kMissing;
    case ENOSYS:  // Kernels before 5.6, or a seccomp filter that does not know openat2.
    case EPERM:
      return OpenError::kUnsupported;
    default:  // EXDEV (escape), ELOOP, EACCES, ...
      return OpenError::kRefused;
  }
}

// Without openat2: walks the segments with O_NOFOLLOW, so no symlink is followed at
// all (stricter: a symlink inside the folder is refused too).
OpenError open_walking(int directory, const std::vector<std::string>& segments, UniqueFd& file) {
  UniqueFd current;
  int at = directory;
  for (std::size_t index = 0; index < segments.size(); ++index) {
    const bool is_last = index + 1 == segments.size();
    const int flags = O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
                      (is_last ? (O_RDONLY | O_NONBLOCK) : (O_PATH | O_DIRECTORY));
    const int fd = ::openat(at, segments[index].c_str(), flags);
    if (fd < 0) {
      return errno == ENOENT || errno == ENOTDIR ? OpenError::kMissing : OpenError::kRefused;
    }
    current.reset(fd);
    at = current.get();
  }
  file = std::move(current);
  return OpenError::kNone;
}

}  // namespace

StaticFiles::StaticFiles(const std::string& root) {
  if (root.empty()) {
    return;
  }
  std::error_code ec;
  root_ = fs::canonical(root, ec);
  if (ec || !fs::is_directory(root_, ec)) {
    log::get("api")->warn("the static folder does not exist; serving no web app");
    root_.clear();
  }
}

StaticFiles::Lookup StaticFiles::open(std::string_view target) const {
  Lookup refused;
  refused.outcome = Outcome::kRefused;
  auto url = boost::urls::parse_origin_form(target);
  if (!url) {
    return refused;
  }
  std::vector<std::string> segments;
  for (const auto segment : url->segments()) {
    segments.emplace_back(segment);
  }
  // "/" and "/folder/" name the index; url->segments() gives "" as the last segment.
  if (segments.empty() || segments.back().empty()) {
    if (!segments.empty()) {
      segments.pop_back();
    }
    segments.emplace_back("index.html");
  }
  std::string relative;
  for (const std::string& segment : segments) {
    if (!is_plain_segment(segment)) {
      return refused;
    }
    if (!relative.empty()) {
      relative += '/';
    }
    relative += segment;
  }
  Lookup found = open_relative(relative);
  found.is_fingerprinted =
      found.outcome == Outcome::kFound && segments.size() > 1 && segments.front() == "assets";
  return found;
}

StaticFiles::Lookup StaticFiles::open_shell() const { return open_relative("index.html"); }

StaticFiles::Lookup StaticFiles::open_relative(const std::string& relative) const {
  Lookup lookup;
  if (root_.empty()) {
    return lookup;
  }
  // The folder is opened by name for every request, so a redeployed app (folder
  // replaced) is picked up without a restart.
  const UniqueFd directory(::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!directory.is_open()) {
    return lookup;
  }
  UniqueFd file;
  OpenError result = open_beneath(directory.get(), relative, file);
  if (result == OpenError::kUnsupported) {
    std::vector<std::string> segments;
    for (std::size_t start = 0; start <= relative.size();) {
      const std::size_t end = std::min(relative.find('/', start), relative.size());
      segments.push_back(relative.substr(start, end - start));
      start = end + 1;
    }
    result = open_walking(directory.get(), segments, file);
  }
  if (result == OpenError::kRefused) {
    lookup.outcome = Outcome::kRefused;
    return lookup;
  }
  struct stat info {};
  if (result != OpenError::kNone || ::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return lookup;  // Missing, or a folder: the shell answers.
  }
  // Reads must block normally once the file is known to be a regular file.
  ::fcntl(file.get(), F_SETFL, ::fcntl(file.get(), F_GETFL) & ~O_NONBLOCK);
  lookup.outcome = Outcome::kFound;
  lookup.file = std::move(file);
  lookup.name = relative.substr(relative.rfind('/') + 1);
  return lookup;
}

}  // namespace wl::api
