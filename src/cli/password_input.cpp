#include "cli/password_input.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

namespace wl::cli {

Result<std::string> read_password(std::string_view file, std::string_view prompt) {
  if (!file.empty()) {
    std::ifstream stream{std::string(file)};
    std::string line;
    if (!stream || !std::getline(stream, line)) {
      return error(Code::kNotFound, "cannot read the password file");
    }
    return line;
  }
  if (const char* value = std::getenv("WARDLINE_PASSWORD"); value != nullptr && *value != '\0') {
    return std::string(value);
  }
  if (!isatty(STDIN_FILENO)) {
    return error(Code::kNotFound,
                 "no password: use --password-file, WARDLINE_PASSWORD or a terminal");
  }
  std::cerr << prompt << std::flush;
  termios saved{};
  tcgetattr(STDIN_FILENO, &saved);
  termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  std::cerr << "\n";
  return line;
}

}  // namespace wl::cli
