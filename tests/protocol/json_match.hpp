#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

// The two JSON helpers of the protocol transcripts (tests/protocol/README in
// transcript_runner.hpp): subset matching with placeholders, and path lookup.
namespace wl::testing {

// True if `actual` contains `expected`:
// - an object matches if every key of `expected` is present in `actual` and its value
//   matches; extra keys in `actual` are allowed. A key whose expected value is the
//   string "<absent>" must be missing.
// - an array matches an array of the same length whose elements match in order.
// - numbers match numerically (int64 and uint64 alike); other scalars must be equal.
// - the placeholder strings "<any>", "<string>", "<int>", "<bool>" and "<timestamp>"
//   (RFC 3339 UTC with optional fraction, as the server writes them) match any value
//   of that kind.
// On a mismatch, `where` (if not null) receives the path and a short reason.
bool json_contains(const boost::json::value& actual, const boost::json::value& expected,
                   std::string* where = nullptr);

// The value at `path` in `root`: "." is the root, ".a.b" walks object keys, "[2]"
// indexes arrays (".messages[0].id"). nullopt if the path is malformed or absent.
std::optional<boost::json::value> json_at(const boost::json::value& root, std::string_view path);

}  // namespace wl::testing
