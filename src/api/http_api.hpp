#pragma once

#include <span>
#include <string>
#include <string_view>

#include "api/api_context.hpp"
#include "api/routes/route_table.hpp"
#include "api/static_files.hpp"
#include "net/server.hpp"

namespace wl::api {

// The HTTPS JSON resources of docs/protocol.md. handle() runs on an io thread: it
// parses and routes, then runs the service call on the WorkPool and responds from
// there. Every route but login and health needs "Authorization: Bearer <token>": a
// session token, or for the system routes the server's admin token.
class HttpApi final : public net::HttpHandler {
 public:
  // static_root: a folder of static files served at / (the web app); may be empty.
  HttpApi(ApiContext& context, const std::string& static_root);

  // Refuses unknown routes and, for routes that take a body, callers without a valid
  // session, before the body is read; otherwise admits with the route's body limit.
  void admit(const net::Request& head, net::Admit admit) override;
  void handle(net::Request request, net::Respond respond) override;

  // Every route under /api/v1 (for the authorisation matrix test and the docs).
  static std::span<const RouteInfo> routes();

 private:
  net::Response route(const net::Request& request);
  // The caller of a route with a session, or the refusal: Unauthenticated for the
  // token, SessionLocked for a kSession route while the session is locked. Audits the
  // refusal (an anonymous one rate-limited per source: RefusalAudit).
  Result<Principal> authorize(Access access, std::string_view token, std::string_view source,
                              std::string_view target);
  // The system principal if `token` is the server's admin token; otherwise
  // Unauthenticated, audited as a refused token (a session token is refused too).
  Result<Principal> authorize_admin_token(std::string_view token, std::string_view source,
                                          std::string_view target);
  // Audits an admin-token call that was let in ("system.api": the route, the ids it
  // names, its HTTP status and the caller's address), whatever its outcome.
  void audit_admin_call(const Route& route, const RouteTable::Entry& entry, std::string_view source,
                        int status);
  // Audits a request refused for its token (rate-limited per source: RefusalAudit).
  void audit_refused_token(std::string_view source, std::string_view target, const Status& refusal);
  net::Response serve_static(const net::Request& request);
  // GET /healthz: the store answers a read, and the data directory's file system has
  // room (docs/operations.md, "Monitoring"). 503 when the store does not answer or the
  // disk is all but full.
  net::Response health();
  // GET /metrics, for a scraper with the metrics token (docs/operations.md,
  // "Monitoring"); 404 unless the server was given one.
  net::Response metrics(const net::Request& request);

  ApiContext& context_;
  RouteTable routes_;  // Bound to context_'s services.
  StaticFiles static_files_;
};

}  // namespace wl::api
