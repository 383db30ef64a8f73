#include "api/adt_endpoint.hpp"

#include <memory>
#include <string_view>

#include "api/work_pool.hpp"
#include "core/log.hpp"
#include "services/patients/adt_service.hpp"

namespace wl::api {

void AdtEndpoint::on_message(net::MllpMessage message, net::MllpReply reply) {
  // The reply travels in a shared slot: whichever of the task or its completion ends the
  // message calls or drops it, once.
  auto slot = std::make_shared<net::MllpReply>(std::move(reply));
  const bool queued =
      pool_.try_submit([this, slot, payload = std::move(message.payload)]() mutable {
        if (!pool_.try_begin_async()) {
          return;  // Stopping: no ACK, the sender resends.
        }
        adt_.receive(std::move(payload), [this, slot](Result<AdtResult> result) {
          if (result) {
            count(result->ack_code, result->outcome);
            (*slot)(std::move(result->ack));
          } else {
            unacknowledged_.fetch_add(1, std::memory_order_relaxed);
            log::get("hl7")->warn("an HL7 message was not stored, so not acknowledged: {}",
                                  result.error().to_string());
            *slot = nullptr;  // Dropped: the connection closes.
          }
          pool_.end_async();
        });
      });
  if (!queued) {
    unacknowledged_.fetch_add(1, std::memory_order_relaxed);
    log::get("hl7")->warn("the work queue is full: an HL7 message is not acknowledged");
  }
}

void AdtEndpoint::count(std::string_view ack_code, std::string_view outcome) {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  if (ack_code == "AA") {
    acks_accepted_.fetch_add(1, kRelaxed);
  } else if (ack_code == "AE") {
    acks_error_.fetch_add(1, kRelaxed);
  } else if (ack_code == "AR") {
    acks_rejected_.fetch_add(1, kRelaxed);
  }
  if (outcome == "applied") {
    applied_.fetch_add(1, kRelaxed);
  } else if (outcome == "duplicate") {
    duplicate_.fetch_add(1, kRelaxed);
  } else if (outcome == "stale") {
    stale_.fetch_add(1, kRelaxed);
  } else if (outcome == "error") {
    error_.fetch_add(1, kRelaxed);
  } else if (outcome == "rejected") {
    rejected_.fetch_add(1, kRelaxed);
  }
}

AdtCounts AdtEndpoint::counts() const {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  return AdtCounts{.acks_accepted = acks_accepted_.load(kRelaxed),
                   .acks_error = acks_error_.load(kRelaxed),
                   .acks_rejected = acks_rejected_.load(kRelaxed),
                   .applied = applied_.load(kRelaxed),
                   .duplicate = duplicate_.load(kRelaxed),
                   .stale = stale_.load(kRelaxed),
                   .error = error_.load(kRelaxed),
                   .rejected = rejected_.load(kRelaxed),
                   .unacknowledged = unacknowledged_.load(kRelaxed)};
}

}  // namespace wl::api
