#include "core/phone_number.hpp"

#include <fmt/format.h>

namespace wl {

namespace {

constexpr std::size_t kMaxTyped = 32;  // Characters a typed number may have, separators too.

}  // namespace

Result<std::string> normalize_phone_number(std::string_view text, std::string_view field) {
  const auto refuse = [field] {
    return error(Code::kInvalidArgument,
                 fmt::format("{} must be +, then 8 to 15 digits (E.164), or an extension of 2 to "
                             "6 digits; spaces, hyphens, dots and brackets are ignored",
                             field));
  };
  if (text.size() > kMaxTyped) {
    return refuse();
  }
  std::string digits;
  bool plus = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == '+' && !plus && digits.empty()) {
      plus = true;
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return refuse();
    }
  }
  if (plus) {
    if (digits.size() < 8 || digits.size() > 15 || digits.front() == '0') {
      return refuse();
    }
    return "+" + digits;
  }
  if (digits.size() < 2 || digits.size() > 6) {
    return refuse();
  }
  return digits;
}

}  // namespace wl
