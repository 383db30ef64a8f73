#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "core/status.hpp"
#include "services/identity/principal.hpp"

namespace wl::net {
struct Request;
}  // namespace wl::net

// What every HTTPS resource file (api/routes/*_routes.cpp) shares: the route
// declarations, the parsed request a handler sees, and the table HttpApi dispatches from.
namespace wl::api {

// Who may call a route: anyone (login); a caller with an unlocked session, the
// request then counting as the user's activity; a caller with a session that has
// not ended, locked or not, without counting as activity (unlock, lock, logout); or
// the holder of the server's admin token (the run file's, docs/operations.md,
// "Administration"), acting as the system principal; no session token is accepted
// there.
enum class Access { kPublic, kSession, kLockedSession, kAdminToken };

// One HTTPS resource, as the route table declares it.
struct RouteInfo {
  std::string_view method;  // "GET", "POST", "DELETE".
  std::string_view path;    // "/api/v1/threads/{id}/messages": "{id}" is one segment.
  Access access;
  std::size_t body_limit;  // Largest request body; 0 = none.
};

// The largest body of a route that takes a small JSON object. Messages travel over the
// WebSocket; nothing here takes more.
inline constexpr std::size_t kJsonBody = 16 * 1024;
inline constexpr std::size_t kLoginBody = 4 * 1024;

// A request target, parsed.
struct Route {
  std::string method;
  std::vector<std::string> segments;  // Decoded path segments.
  std::vector<std::pair<std::string, std::string>> query;

  // Whether the method is verb and the segments fit pattern ("*" matches any one).
  bool is(std::string_view verb, std::initializer_list<std::string_view> pattern) const;
  // The first query parameter with this name, or nullopt.
  std::optional<std::string_view> param(std::string_view name) const;
};

// The request's method and target, decoded. Errors: InvalidArgument for a target
// that is not in origin form.
Result<Route> parse_route(const net::Request& request);

// Segment `index` (which must exist) as an id, or InvalidArgument "<what> must be a
// positive integer".
Result<std::int64_t> id_segment(const Route& route, std::size_t index, std::string_view what);

// Query parameter `name` as a non-negative integer, fallback when absent, or
// InvalidArgument naming it.
Result<std::int64_t> int_param(const Route& route, std::string_view name, std::int64_t fallback);

// One request as a route handler sees it. actor is empty for public routes.
struct Call {
  const Route& route;
  const net::Request& request;
  const Principal& actor;
};

// A route as its resource file declares it. The handler gets the resource's services
// (a struct of references to what its routes may use) and answers with a JSON value,
// or null for 204 No Content, or the error.
template <typename Services>
struct RouteOf {
  RouteInfo info;
  Result<boost::json::value> (*handler)(const Services& services, const Call& call);
};

// The routes HttpApi answers, each bound to the services of its resource. Filled once
// at startup; after that, any thread may read it.
class RouteTable {
 public:
  using Handler = std::function<Result<boost::json::value>(const Call&)>;

  struct Entry {
    RouteInfo info;
    Handler handler;
  };

  // Adds a resource's routes, bound to services: whatever its references name must
  // outlive the table.
  template <typename Services>
  void add(std::span<const RouteOf<Services>> routes, const Services& services) {
    for (const RouteOf<Services>& route : routes) {
      entries_.push_back(Entry{route.info, [handler = route.handler, services](const Call& call) {
                                 return handler(services, call);
                               }});
    }
  }

  // The route whose method and path fit the request ("{id}" matches any one
  // segment), or nullptr.
  const Entry* find(const Route& route) const;

 private:
  std::vector<Entry> entries_;
};

}  // namespace wl::api
