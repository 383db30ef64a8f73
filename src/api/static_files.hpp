#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/unique_fd.hpp"

namespace wl::api {

// The web app's folder as served at "/" (`serve --static-dir`). Maps a request target
// to an open file inside the folder and never to anything outside it, however the
// target is spelled (docs/transport.md, "Static files"). Immutable after construction;
// thread-safe. Opening files blocks on the disk: call it from a worker, not an io thread.
class StaticFiles {
 public:
  enum class Outcome {
    kFound,    // file holds a regular file inside the folder.
    kMissing,  // No such file: a client-side route, answered with the app shell.
    kRefused,  // A target no file in the folder can have (dot segments, empty or
               // encoded separators, control bytes, hidden names) or a path that
               // leaves the folder through a symlink: 404, never the shell.
  };

  struct Lookup {
    Outcome outcome = Outcome::kMissing;
    UniqueFd file;
    std::string name;               // The file's last segment ("index-3f9a1c.js"), when found.
    bool is_fingerprinted = false;  // Under /assets/: content-addressed, cacheable for good.
  };

  // root: the folder, or empty for none. It is made canonical here, so a symlinked
  // root is fine; a root that does not exist counts as none.
  explicit StaticFiles(const std::string& root);

  bool has_root() const { return !root_.empty(); }

  // Opens the file a GET or HEAD request target names ("/assets/a.js?v=1"); "/" and
  // names ending in "/" mean the folder's index.html.
  Lookup open(std::string_view target) const;

  // Opens the app shell (index.html), or kMissing.
  Lookup open_shell() const;

 private:
  Lookup open_relative(const std::string& relative) const;

  std::filesystem::path root_;  // Canonical; empty = no folder.
};

}  // namespace wl::api
