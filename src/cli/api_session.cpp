#include "cli/api_session.hpp"

#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "cli/password_input.hpp"

namespace wl::cli {
namespace {
namespace json = boost::json;

// The Code a protocol error code names ("not_found"); FailedPrecondition for one this
// build does not know.
Code code_named(std::string_view name) {
  for (int value = static_cast<int>(Code::kInvalidArgument);
       value <= static_cast<int>(Code::kSessionLocked); ++value) {
    if (code_name(static_cast<Code>(value)) == name) {
      return static_cast<Code>(value);
    }
  }
  return Code::kFailedPrecondition;
}

}  // namespace

void add_login_options(CLI::App& command, ApiLogin& login) {
  command.add_option("--server", login.server, "Server URL")->capture_default_str();
  command.add_option("--org", login.org, "Org name (when the server hosts several)");
  command.add_option("--user", login.user, "Username")->required();
  command.add_option("--password-file", login.password_file,
                     "Read the password here (else WARDLINE_PASSWORD, else a prompt)");
  command.add_option("--ca", login.ca_file, "Trust this CA certificate (PEM)");
  command.add_flag("--insecure-dev", login.insecure_dev,
                   "Do not verify the server certificate (development only)");
}

Result<std::unique_ptr<ApiSession>> ApiSession::login(const ApiLogin& login) {
  net::ClientOptions base;
  base.ca_file = login.ca_file;
  base.insecure_dev = login.insecure_dev;
  const net::ClientOptions client_options = WL_TRY(net::parse_server_url(login.server, base));
  auto session = std::unique_ptr<ApiSession>(new ApiSession(client_options));
  const std::string password = WL_TRY(read_password(login.password_file, "Password: "));
  json::object body{
      {"username", login.user}, {"password", password}, {"device_name", login.device_name}};
  if (!login.org.empty()) {
    body["org"] = login.org;
  }
  const json::value answer = WL_TRY(session->call("POST", "/api/v1/login", json::serialize(body)));
  session->token_ = std::string(answer.at("token").as_string());
  session->user_id_ = answer.at("user").at("id").as_int64();
  return session;
}

ApiSession::~ApiSession() {
  if (!token_.empty()) {
    (void)call("POST", "/api/v1/logout", "");
  }
}

Result<json::value> ApiSession::call(std::string_view method, std::string_view target,
                                     std::string_view body) {
  std::vector<net::Header> headers;
  if (!token_.empty()) {
    headers.push_back({"Authorization", "Bearer " + token_});
  }
  const net::Response response = WL_TRY(http_.request(method, target, body, headers));
  if (response.status == 204) {
    return json::value();
  }
  boost::system::error_code ec;
  json::value value = json::parse(response.body, ec);
  if (ec) {
    return error(Code::kInternal, fmt::format("the server answered {} with a body that is not JSON",
                                              response.status));
  }
  if (response.status >= 300) {
    const auto* failure = value.is_object() ? value.as_object().if_contains("error") : nullptr;
    const json::object* detail = failure != nullptr ? failure->if_object() : nullptr;
    const json::value* message = detail != nullptr ? detail->if_contains("message") : nullptr;
    const json::value* code = detail != nullptr ? detail->if_contains("code") : nullptr;
    return error(
        code != nullptr && code->is_string() ? code_named(code->as_string())
                                             : Code::kFailedPrecondition,
        fmt::format("HTTP {}: {}", response.status,
                    message != nullptr && message->is_string() ? std::string(message->as_string())
                                                               : response.body));
  }
  return value;
}

}  // namespace wl::cli
