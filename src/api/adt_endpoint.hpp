#pragma once

#include <atomic>
#include <cstdint>

#include "net/mllp_server.hpp"

namespace wl {
class AdtService;
}  // namespace wl

namespace wl::api {

class WorkPool;

// What an AdtEndpoint counted since it started (docs/operations.md, "Monitoring").
struct AdtCounts {
  // ACKs handed back to the listener, by MSA-1.
  std::uint64_t acks_accepted = 0;  // AA
  std::uint64_t acks_error = 0;     // AE
  std::uint64_t acks_rejected = 0;  // AR
  // Messages by outcome (docs/protocol.md, section 17).
  std::uint64_t applied = 0;
  std::uint64_t duplicate = 0;
  std::uint64_t stale = 0;
  std::uint64_t error = 0;
  std::uint64_t rejected = 0;
  // Messages left without an ACK: the store could not record them, or the work queue
  // was full. The sender resends them.
  std::uint64_t unacknowledged = 0;
};

// Where the MLLP listener's messages go: each is applied by the ADT service on a worker
// thread and acknowledged once its outcome is durable (docs/protocol.md, section 17).
// A message that cannot be stored, or that finds the work queue full, gets no ACK: its
// connection closes and the sender sends it again.
class AdtEndpoint final : public net::MllpHandler {
 public:
  AdtEndpoint(AdtService& adt, WorkPool& pool) : adt_(adt), pool_(pool) {}

  void on_message(net::MllpMessage message, net::MllpReply reply) override;

  // For /metrics. Any thread.
  AdtCounts counts() const;

 private:
  // Counts one message's ACK code and outcome, as the ADT service named them.
  void count(std::string_view ack_code, std::string_view outcome);

  AdtService& adt_;
  WorkPool& pool_;
  // Relaxed counters behind counts().
  std::atomic<std::uint64_t> acks_accepted_{0};
  std::atomic<std::uint64_t> acks_error_{0};
  std::atomic<std::uint64_t> acks_rejected_{0};
  std::atomic<std::uint64_t> applied_{0};
  std::atomic<std::uint64_t> duplicate_{0};
  std::atomic<std::uint64_t> stale_{0};
  std::atomic<std::uint64_t> error_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> unacknowledged_{0};
};

}  // namespace wl::api
