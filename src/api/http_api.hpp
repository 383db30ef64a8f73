#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/api_context.hpp"
#include "net/server.hpp"

namespace wl::api {

// The HTTPS JSON resources of docs/protocol.md. handle() runs on an io thread: it
// parses and routes, then runs the service call on the WorkPool and responds from
// there. Every route but login and health needs "Authorization: Bearer <token>".
class HttpApi final : public net::HttpHandler {
 public:
  // static_root: a folder of static files served at / (the web app); may be empty.
  HttpApi(ApiContext& context, std::string static_root);

  void handle(net::Request request, net::Respond respond) override;

 private:
  net::Response route(const net::Request& request);
  net::Response serve_static(const net::Request& request);

  ApiContext& context_;
  std::string static_root_;
};

}  // namespace wl::api
