#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json/value.hpp>

#include "net/client.hpp"

namespace wl::testing {

inline constexpr std::string_view kDemoPassword = "wardline-demo-password";

struct HttpAnswer {
  int status = 0;
  boost::json::value body;  // null for an empty body.
};

// One logged-in demo user speaking the public protocol, for integration tests.
class TestClient {
 public:
  // Not logged in: for tests of login itself.
  explicit TestClient(const net::ClientOptions& options);
  // Logs in; fails the test (and leaves token empty) if login fails.
  TestClient(const net::ClientOptions& options, std::string_view username,
             std::string_view password = kDemoPassword, std::string_view org = {});

  HttpAnswer call(std::string_view method, std::string_view target, std::string_view body = {});
  // As call(), expecting status 200 (or 204); returns the body.
  boost::json::value get(std::string_view target);
  boost::json::value post(std::string_view target, const boost::json::value& body);

  // Opens the WebSocket and sends hello; returns the welcome (or error) frame.
  boost::json::value connect(std::string_view cursor = {});
  void send_frame(const boost::json::value& frame);
  void send_text(std::string_view text);
  // The next frame, or null after `timeout`.
  boost::json::value next(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Skips frames until one satisfies `match`; null if none within `timeout`.
  boost::json::value next_matching(const std::function<bool(const boost::json::value&)>& match,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Sends a message and waits for its "sent" (or "error") reply.
  boost::json::value send_message(std::int64_t thread, std::string_view client_id,
                                  std::string_view body, bool urgent = false);
  void disconnect();
  net::WsClient* ws() { return ws_.get(); }

  std::int64_t user_id_of(std::string_view username);

  const std::string& token() const { return token_; }
  // Sends `token` as the bearer token from now on (the server's admin token, or one
  // to be refused); the user id is unchanged.
  void set_token(std::string token) { token_ = std::move(token); }
  std::int64_t user_id() const { return user_id_; }

 private:
  net::ClientOptions options_;
  net::HttpsClient http_;
  std::unique_ptr<net::WsClient> ws_;
  std::string token_;
  std::int64_t user_id_ = 0;
};

}  // namespace wl::testing
