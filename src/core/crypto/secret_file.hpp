#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace wl::crypto {

// Files that hold secrets (the KEK file, the audit signing key, TLS private keys).
// They are created with mode 0600 (never briefly wider) and replaced atomically, so a
// crash leaves either the old or the new contents, never a torn file. Error messages
// never contain the path or the contents: the caller knows which file it asked for.
// These functions block on disk I/O.

// Reads the whole file. Errors: NotFound if it does not exist; FailedPrecondition if
// it is not a regular file (a symbolic link is not followed) or is readable or
// writable by group or others (fix with chmod 600); InvalidArgument if it holds more
// than max_bytes; Unavailable for an I/O error.
[[nodiscard]] Result<std::string> read_secret_file(const std::filesystem::path& file,
                                                   std::size_t max_bytes = SIZE_MAX);

// Replaces the file with `contents`: writes a 0600 temporary file in the same
// directory, fsyncs it, renames it over `file` and fsyncs the directory.
// Errors: NotFound if the directory does not exist; FailedPrecondition if it is not
// writable; Unavailable for an I/O error (e.g. disk full). On error `file` is unchanged.
[[nodiscard]] Result<void> write_secret_file(const std::filesystem::path& file,
                                             std::string_view contents);

// Like write_secret_file, but only if `file` does not exist yet (the temporary file is
// linked into place, which fails if the name is taken), so two processes creating the
// same secret at once cannot overwrite each other. Errors: AlreadyExists if `file`
// exists; otherwise as write_secret_file.
[[nodiscard]] Result<void> create_secret_file(const std::filesystem::path& file,
                                              std::string_view contents);

}  // namespace wl::crypto
