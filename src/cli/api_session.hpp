#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <CLI/App.hpp>
#include <boost/json/value.hpp>

#include "core/status.hpp"
#include "net/client.hpp"

// A user's signed-in session against a running server's HTTPS API, for the commands that
// act as that user (`wardline chat`, `wardline hl7 messages|show|replay`): the server's
// own checks decide what the user may do, and its audit log names them.
namespace wl::cli {

// How to reach the server and whom to sign in as.
struct ApiLogin {
  std::string server = "https://127.0.0.1:8443";
  std::string org;  // Empty: the server's only org.
  std::string user;
  std::string password_file;  // Else WARDLINE_PASSWORD, else a prompt (read_password).
  std::string ca_file;
  bool insecure_dev = false;
  std::string device_name = "wardline cli";
};

// Adds --server, --org, --user (required), --password-file, --ca and --insecure-dev to
// `command`, filling `login`, which must outlive the command's parsing.
void add_login_options(CLI::App& command, ApiLogin& login);

// Signed in from login() until destroyed (which signs out). Blocking; not thread-safe.
class ApiSession {
 public:
  // Reads the password and signs in (POST /api/v1/login). Errors: InvalidArgument for a
  // bad server URL; NotFound when no password is available; Unavailable or
  // DeadlineExceeded when the server cannot be reached; the server's refusal
  // (Unauthenticated for a wrong password) with its message.
  static Result<std::unique_ptr<ApiSession>> login(const ApiLogin& login);
  ~ApiSession();
  ApiSession(const ApiSession&) = delete;
  ApiSession& operator=(const ApiSession&) = delete;

  // One request with the session's token; the JSON answer (null for 204). A non-2xx
  // answer becomes the error the server named (docs/protocol.md, "Errors": not_found ->
  // NotFound, ...) with the message "HTTP <status>: <the server's message>"; a body that
  // is not JSON is Internal.
  Result<boost::json::value> call(std::string_view method, std::string_view target,
                                  std::string_view body = {});

  const net::ClientOptions& client_options() const { return options_; }
  const std::string& token() const { return token_; }
  std::int64_t user_id() const { return user_id_; }

 private:
  explicit ApiSession(net::ClientOptions options) : options_(options), http_(options) {}

  net::ClientOptions options_;
  net::HttpsClient http_;
  std::string token_;
  std::int64_t user_id_ = 0;
};

}  // namespace wl::cli
