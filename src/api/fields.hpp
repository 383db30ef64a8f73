#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/status.hpp"

// Strict reading of the JSON objects clients send (request bodies and WebSocket
// frames): what docs/protocol.md does not name is refused.
namespace wl::api {

// Parses text as one JSON object. Errors: InvalidArgument ("malformed JSON" or "the
// body must be a JSON object").
Result<boost::json::object> parse_object(std::string_view text);

// Reads the fields of a request object and rejects what the protocol does not know:
// finish() fails with InvalidArgument naming the first unknown field. Each getter
// fails with InvalidArgument naming the field and the expected type.
//
// A decoder may collect instead of checking each field: keep() takes a getter's
// result and gives its value (or the fallback), remembering the first error, and
// finish() then fails with that error, or else with an unknown field.
class FieldReader {
 public:
  explicit FieldReader(const boost::json::object& object) : object_(object) {}

  template <typename T>
  T keep(Result<T> value, T fallback = T()) {
    if (value) {
      return std::move(*value);
    }
    reject(value.error());
    return fallback;
  }
  // Records an error found by the decoder itself (a value of the right type that
  // does not parse), unless an earlier one is recorded.
  void reject(Status status) {
    if (!first_error_) {
      first_error_ = std::move(status);
    }
  }

  Result<std::string> required_string(std::string_view key);
  Result<std::string> optional_string(std::string_view key, std::string fallback = {});
  Result<std::int64_t> required_int(std::string_view key);
  Result<std::int64_t> optional_int(std::string_view key, std::int64_t fallback);
  Result<bool> required_bool(std::string_view key);
  Result<bool> optional_bool(std::string_view key, bool fallback);
  Result<std::vector<std::int64_t>> int_array(std::string_view key, bool required);
  // An object field: nullptr when absent or null.
  Result<const boost::json::object*> optional_object(std::string_view key);
  Result<void> finish() const;

 private:
  const boost::json::value* take(std::string_view key);

  const boost::json::object& object_;
  std::vector<std::string> seen_;
  std::optional<Status> first_error_;
};

}  // namespace wl::api
