#pragma once

#include <string>
#include <string_view>

#include "core/status.hpp"

namespace wl::cli {

// A password from, in order: the file (first line), the WARDLINE_PASSWORD
// environment variable, or a prompt on the terminal without echo.
// Errors: NotFound if none is available (no file, no variable, no terminal).
Result<std::string> read_password(std::string_view file, std::string_view prompt);

}  // namespace wl::cli
