#pragma once

#include "net/mllp_server.hpp"

namespace wl {
class AdtService;
}  // namespace wl

namespace wl::api {

class WorkPool;

// Where the MLLP listener's messages go: each is applied by the ADT service on a worker
// thread and acknowledged once its outcome is durable (docs/protocol.md, section 17).
// A message that cannot be stored, or that finds the work queue full, gets no ACK: its
// connection closes and the sender sends it again.
class AdtEndpoint final : public net::MllpHandler {
 public:
  AdtEndpoint(AdtService& adt, WorkPool& pool) : adt_(adt), pool_(pool) {}

  void on_message(net::MllpMessage message, net::MllpReply reply) override;

 private:
  AdtService& adt_;
  WorkPool& pool_;
};

}  // namespace wl::api
