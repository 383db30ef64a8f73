#include "api/echo_session.hpp"

#include <string>

namespace wl::api {

void EchoSession::on_open(std::shared_ptr<net::WsConnection> connection) {
  connection_ = std::move(connection);
}

void EchoSession::on_message(std::string_view text) {
  if (!connection_) {
    return;
  }
  if (!connection_->try_send(std::make_shared<const std::string>(text))) {
    connection_->close(net::CloseCode::kPolicyViolation, "slow consumer");
  }
}

void EchoSession::on_drained() {}

void EchoSession::on_closed() { connection_.reset(); }

}  // namespace wl::api
