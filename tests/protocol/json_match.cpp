#include "protocol/json_match.hpp"

#include <charconv>
#include <regex>

#include <boost/json/serialize.hpp>

namespace wl::testing {
namespace json = boost::json;

namespace {

constexpr std::string_view kAbsent = "<absent>";

bool is_timestamp(std::string_view text) {
  static const std::regex kPattern(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z)");
  return std::regex_match(text.begin(), text.end(), kPattern);
}

std::optional<long double> number_of(const json::value& value) {
  if (value.is_int64()) {
    return static_cast<long double>(value.as_int64());
  }
  if (value.is_uint64()) {
    return static_cast<long double>(value.as_uint64());
  }
  if (value.is_double()) {
    return static_cast<long double>(value.as_double());
  }
  return std::nullopt;
}

// Returns the placeholder's verdict, or nullopt if `expected` is not a placeholder.
std::optional<bool> match_placeholder(const json::value& actual, const json::value& expected) {
  if (!expected.is_string()) {
    return std::nullopt;
  }
  const std::string_view text = expected.as_string();
  if (text == "<any>") {
    return true;
  }
  if (text == "<string>") {
    return actual.is_string();
  }
  if (text == "<int>") {
    return actual.is_int64() || actual.is_uint64();
  }
  if (text == "<bool>") {
    return actual.is_bool();
  }
  if (text == "<timestamp>") {
    return actual.is_string() && is_timestamp(actual.as_string());
  }
  return std::nullopt;
}

bool fail(std::string* where, const std::string& path, std::string reason) {
  if (where != nullptr) {
    *where = (path.empty() ? std::string(".") : path) + ": " + std::move(reason);
  }
  return false;
}

bool contains_at(const json::value& actual, const json::value& expected, const std::string& path,
                 std::string* where) {
  if (const auto verdict = match_placeholder(actual, expected)) {
    return *verdict ? true
                    : fail(where, path,
                           "expected " + json::serialize(expected) + ", got " +
                               json::serialize(actual));
  }
  if (expected.is_object()) {
    if (!actual.is_object()) {
      return fail(where, path, "expected an object, got " + json::serialize(actual));
    }
    for (const auto& [key, value] : expected.as_object()) {
      const std::string child = path + "." + std::string(key);
      const json::value* found = actual.as_object().if_contains(key);
      if (value.is_string() && value.as_string() == kAbsent) {
        if (found != nullptr) {
          return fail(where, child, "expected no such key, got " + json::serialize(*found));
        }
        continue;
      }
      if (found == nullptr) {
        return fail(where, child, "missing");
      }
      if (!contains_at(*found, value, child, where)) {
        return false;
      }
    }
    return true;
  }
  if (expected.is_array()) {
    if (!actual.is_array()) {
      return fail(where, path, "expected an array, got " + json::serialize(actual));
    }
    const auto& wanted = expected.as_array();
    const auto& got = actual.as_array();
    if (wanted.size() != got.size()) {
      return fail(where, path,
                  "expected " + std::to_string(wanted.size()) + " elements, got " +
                      std::to_string(got.size()));
    }
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      if (!contains_at(got[i], wanted[i], path + "[" + std::to_string(i) + "]", where)) {
        return false;
      }
    }
    return true;
  }
  const auto wanted_number = number_of(expected);
  const auto got_number = number_of(actual);
  const bool equal = wanted_number ? (got_number && *wanted_number == *got_number)
                                   : expected == actual;
  return equal ? true
               : fail(where, path,
                      "expected " + json::serialize(expected) + ", got " + json::serialize(actual));
}

}  // namespace

bool json_contains(const json::value& actual, const json::value& expected, std::string* where) {
  return contains_at(actual, expected, "", where);
}

std::optional<json::value> json_at(const json::value& root, std::string_view path) {
  if (path.empty() || (path.front() != '.' && path.front() != '[')) {
    return std::nullopt;
  }
  const json::value* current = &root;
  std::size_t at = 0;
  if (path == ".") {
    return root;
  }
  while (at < path.size()) {
    if (path[at] == '.') {
      const std::size_t end = path.find_first_of(".[", at + 1);
      const std::string_view key = path.substr(at + 1, end == std::string_view::npos
                                                           ? std::string_view::npos
                                                           : end - at - 1);
      if (key.empty() || !current->is_object()) {
        return std::nullopt;
      }
      current = current->as_object().if_contains(key);
      if (current == nullptr) {
        return std::nullopt;
      }
      at = end == std::string_view::npos ? path.size() : end;
    } else if (path[at] == '[') {
      const std::size_t end = path.find(']', at);
      if (end == std::string_view::npos || !current->is_array()) {
        return std::nullopt;
      }
      std::size_t index = 0;
      const auto [stop, ec] = std::from_chars(path.data() + at + 1, path.data() + end, index);
      if (ec != std::errc() || stop != path.data() + end || index >= current->as_array().size()) {
        return std::nullopt;
      }
      current = &current->as_array()[index];
      at = end + 1;
    } else {
      return std::nullopt;
    }
  }
  return *current;
}

}  // namespace wl::testing
