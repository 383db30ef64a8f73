#include "api/fields.hpp"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>
#include <boost/json/parse.hpp>

#include "core/utf8.hpp"

namespace wl::api {
namespace json = boost::json;

Result<json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec) {
    return error(Code::kInvalidArgument, "malformed JSON");
  }
  if (!value.is_object()) {
    return error(Code::kInvalidArgument, "the body must be a JSON object");
  }
  return std::move(value.as_object());
}

const json::value* FieldReader::take(std::string_view key) {
  seen_.emplace_back(key);
  return object_.if_contains(key);
}

Result<std::string> FieldReader::required_string(std::string_view key) {
  const json::value* value = take(key);
  if (value == nullptr) {
    return error(Code::kInvalidArgument, fmt::format("missing field '{}'", key));
  }
  if (!value->is_string()) {
    return error(Code::kInvalidArgument, fmt::format("field '{}' must be a string", key));
  }
  return std::string(value->as_string());
}

Result<std::string> FieldReader::optional_string(std::string_view key, std::string fallback) {
  const json::value* value = take(key);
  if (value == nullptr || value->is_null()) {
    return fallback;
  }
  if (!value->is_string()) {
    return error(Code::kInvalidArgument, fmt::format("field '{}' must be a string", key));
  }
  return std::string(value->as_string());
}

namespace {
std::optional<std::int64_t> as_int(const json::value& value) {
  if (value.is_int64()) {
    return value.as_int64();
  }
  if (value.is_uint64() && value.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(value.as_uint64());
  }
  return std::nullopt;
}
}  // namespace

Result<std::int64_t> FieldReader::required_int(std::string_view key) {
  const json::value* value = take(key);
  if (value == nullptr) {
    return error(Code::kInvalidArgument, fmt::format("missing field '{}'", key));
  }
  const auto number = as_int(*value);
  if (!number) {
    return error(Code::kInvalidArgument, fmt::format("field '{}' must be an integer", key));
  }
  return *number;
}

Result<std::int64_t> FieldReader::optional_int(std::string_view key, std::int64_t fallback) {
  const json::value* value = take(key);
  if (value == nullptr || value->is_null()) {
    return fallback;
  }
  const auto number = as_int(*value);
  if (!number) {
    return error(Code::kInvalidArgument, fmt::format("field '{}' must be an integer", key));
  }
  return *number;
}

Result<bool> FieldReader::required_bool(std::string_view key) {
  const json::value* value = take(key);
  if (value == nullptr) {
    return error(Code::kInvalidArgument, fmt::format("missing field '{}'", key));
  }
  if (!value->is_bool()) {
    return error(Code::kInvalidArgument, fmt::format("field '{}' must be true or false", key));
  }
  return value->as_bool();
}

Result<bool> FieldReader::optional_bool(std::string_view key, bool fallback) {
  const json::value* value = take(key);
  if (value == nullptr || value->is_null()) {
    return fallback;
  }
  if (!value->is_bool()) {
    return error(Code::kInvalidArgument, fmt::format("field '{}' must be true or false", key));
  }
  return value->as_bool();
}

Result<const json::object*> FieldReader::optional_object(std::string_view key) {
  const json::value* value = take(key);
  if (value == nullptr || value->is_null()) {
    return static_cast<const json::object*>(nullptr);
  }
  if (!value->is_object()) {
    return error(Code::kInvalidArgument, fmt::format("field '{}' must be an object", key));
  }
  return &value->as_object();
}

Result<std::vector<std::int64_t>> FieldReader::int_array(std::string_view key, bool required) {
  const json::value* value = take(key);
  if (value == nullptr || value->is_null()) {
    if (required) {
      return error(Code::kInvalidArgument, fmt::format("missing field '{}'", key));
    }
    return std::vector<std::int64_t>{};
  }
  if (!value->is_array()) {
    return error(Code::kInvalidArgument,
                 fmt::format("field '{}' must be an array of integers", key));
  }
  std::vector<std::int64_t> numbers;
  numbers.reserve(value->as_array().size());
  for (const json::value& element : value->as_array()) {
    const auto number = as_int(element);
    if (!number) {
      return error(Code::kInvalidArgument,
                   fmt::format("field '{}' must be an array of integers", key));
    }
    numbers.push_back(*number);
  }
  return numbers;
}

Result<void> FieldReader::finish() const {
  if (first_error_) {
    return std::unexpected(*first_error_);
  }
  for (const auto& entry : object_) {
    if (std::find(seen_.begin(), seen_.end(), std::string_view(entry.key())) == seen_.end()) {
      return error(Code::kInvalidArgument,
                   fmt::format("unknown field '{}'", utf8_prefix(entry.key(), 64)));
    }
  }
  return ok();
}

}  // namespace wl::api
