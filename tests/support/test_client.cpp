#include "support/test_client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace wl::testing {
namespace json = boost::json;

TestClient::TestClient(const net::ClientOptions& options) : options_(options), http_(options) {}

TestClient::TestClient(const net::ClientOptions& options, std::string_view username,
                       std::string_view password, std::string_view org)
    : options_(options), http_(options) {
  json::object login{{"username", username}, {"password", password}, {"device_name", "test"}};
  if (!org.empty()) {
    login["org"] = org;
  }
  const HttpAnswer answer = call("POST", "/api/v1/login", json::serialize(login));
  if (answer.status != 200) {
    ADD_FAILURE() << "login of " << username << " failed: " << answer.status << " "
                  << json::serialize(answer.body);
    return;
  }
  token_ = std::string(answer.body.at("token").as_string());
  user_id_ = answer.body.at("user").at("id").as_int64();
}

HttpAnswer TestClient::call(std::string_view method, std::string_view target,
                            std::string_view body) {
  std::vector<net::Header> headers;
  if (!token_.empty()) {
    headers.push_back({"Authorization", "Bearer " + token_});
  }
  auto response = http_.request(method, target, body, headers);
  if (!response) {
    ADD_FAILURE() << "request failed: " << response.error().to_string();
    return {};
  }
  HttpAnswer answer;
  answer.status = response->status;
  if (!response->body.empty()) {
    boost::system::error_code ec;
    answer.body = json::parse(response->body, ec);
    if (ec) {
      answer.body = json::string(response->body);
    }
  }
  return answer;
}

json::value TestClient::get(std::string_view target) {
  const HttpAnswer answer = call("GET", target);
  EXPECT_EQ(answer.status, 200) << target << ": " << json::serialize(answer.body);
  return answer.body;
}

json::value TestClient::post(std::string_view target, const json::value& body) {
  const HttpAnswer answer = call("POST", target, json::serialize(body));
  EXPECT_TRUE(answer.status == 200 || answer.status == 204)
      << target << ": " << answer.status << " " << json::serialize(answer.body);
  return answer.body;
}

json::value TestClient::connect(std::string_view cursor) {
  auto connected = net::WsClient::connect(options_, "/api/v1/ws");
  if (!connected) {
    ADD_FAILURE() << "websocket connect failed: " << connected.error().to_string();
    return {};
  }
  ws_ = std::move(*connected);
  json::object hello{{"type", "hello"}, {"token", token_}};
  if (!cursor.empty()) {
    hello["cursor"] = cursor;
  }
  send_frame(hello);
  return next();
}

void TestClient::send_frame(const json::value& frame) { send_text(json::serialize(frame)); }

void TestClient::send_text(std::string_view text) {
  ASSERT_TRUE(ws_) << "not connected";
  auto sent = ws_->send(text);
  ASSERT_TRUE(sent) << sent.error().to_string();
}

json::value TestClient::next(std::chrono::milliseconds timeout) {
  if (!ws_) {
    return {};
  }
  auto text = ws_->receive(timeout);
  if (!text) {
    return {};
  }
  return json::parse(*text);
}

json::value TestClient::next_matching(const std::function<bool(const json::value&)>& match,
                                      std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    json::value frame = next(std::max(left, std::chrono::milliseconds(1)));
    if (frame.is_null()) {
      return {};
    }
    if (match(frame)) {
      return frame;
    }
  }
  return {};
}

json::value TestClient::send_message(std::int64_t thread, std::string_view client_id,
                                     std::string_view body, bool urgent) {
  send_frame(json::object{{"type", "send"},
                          {"thread_id", thread},
                          {"client_id", client_id},
                          {"body", body},
                          {"urgent", urgent}});
  return next_matching([&](const json::value& frame) {
    const auto type = frame.at("type").as_string();
    return (type == "sent" && frame.at("client_id").as_string() == client_id) ||
           type == "error";
  });
}

void TestClient::disconnect() {
  if (ws_) {
    ws_->close();
    ws_.reset();
  }
}

std::int64_t TestClient::user_id_of(std::string_view username) {
  const json::value users = get("/api/v1/users");
  for (const json::value& user : users.at("users").as_array()) {
    if (user.at("username").as_string() == username) {
      return user.at("id").as_int64();
    }
  }
  ADD_FAILURE() << "no user " << username;
  return 0;
}

}  // namespace wl::testing
