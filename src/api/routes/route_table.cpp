#include "api/routes/route_table.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <boost/url/parse.hpp>

#include "net/server.hpp"

namespace wl::api {
namespace {

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) {
    return std::nullopt;
  }
  return value;
}

// Whether a request's decoded segments fit a route's path ("{id}" matches any one).
bool matches(std::string_view path, const std::vector<std::string>& segments) {
  std::size_t index = 0;
  std::size_t start = 1;  // After the leading '/'.
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    if (index >= segments.size() || (part != "{id}" && part != segments[index])) {
      return false;
    }
    ++index;
    start = end + 1;
  }
  return index == segments.size();
}

}  // namespace

bool Route::is(std::string_view verb, std::initializer_list<std::string_view> pattern) const {
  if (method != verb || segments.size() != pattern.size()) {
    return false;
  }
  std::size_t i = 0;
  for (const std::string_view part : pattern) {
    if (part != "*" && part != segments[i]) {
      return false;
    }
    ++i;
  }
  return true;
}

std::optional<std::string_view> Route::param(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) {
      return value;
    }
  }
  return std::nullopt;
}

Result<Route> parse_route(const net::Request& request) {
  auto url = boost::urls::parse_origin_form(request.target);
  if (!url) {
    return error(Code::kInvalidArgument, "malformed request target");
  }
  Route route;
  route.method = request.method;
  for (const auto segment : url->segments()) {
    route.segments.push_back(segment);
  }
  for (const auto param : url->params()) {
    route.query.emplace_back(param.key, param.value);
  }
  return route;
}

Result<std::int64_t> id_segment(const Route& route, std::size_t index, std::string_view what) {
  auto id = parse_id(route.segments[index]);
  if (!id) {
    return error(Code::kInvalidArgument, fmt::format("{} must be a positive integer", what));
  }
  return *id;
}

Result<std::int64_t> int_param(const Route& route, std::string_view name, std::int64_t fallback) {
  const auto text = route.param(name);
  if (!text) {
    return fallback;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < 0) {
    return error(Code::kInvalidArgument, fmt::format("'{}' must be a non-negative integer", name));
  }
  return value;
}

const RouteTable::Entry* RouteTable::find(const Route& route) const {
  for (const Entry& entry : entries_) {
    if (entry.info.method == route.method && matches(entry.info.path, route.segments)) {
      return &entry;
    }
  }
  return nullptr;
}

}  // namespace wl::api
