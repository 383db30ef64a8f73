#include "net/server.hpp"

#include <algorithm>
#include <cctype>

namespace wl::net {
namespace {

bool equals_ignoring_case(std::string_view left, std::string_view right) {
  return left.size() == right.size() &&
         std::equal(left.begin(), left.end(), right.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

}  // namespace

std::string_view Request::header(std::string_view name) const {
  for (const Header& entry : headers) {
    if (equals_ignoring_case(entry.name, name)) {
      return entry.value;
    }
  }
  return {};
}

}  // namespace wl::net
