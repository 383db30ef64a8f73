#include "net/server.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace wl::net {
namespace {

bool equals_ignoring_case(std::string_view left, std::string_view right) {
  return left.size() == right.size() &&
         std::equal(left.begin(), left.end(), right.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

// The first header named `name` (case-insensitive), or "" if absent.
std::string_view find_header(const std::vector<Header>& headers, std::string_view name) {
  for (const Header& entry : headers) {
    if (equals_ignoring_case(entry.name, name)) {
      return entry.value;
    }
  }
  return {};
}

}  // namespace

std::string_view Request::header(std::string_view name) const { return find_header(headers, name); }

std::string_view Response::header(std::string_view name) const {
  return find_header(headers, name);
}

}  // namespace wl::net

namespace wl::net {

void HttpHandler::admit(const Request& /*head*/, Admit admit) {
  admit(Admission{std::nullopt, SIZE_MAX});
}

}  // namespace wl::net
