#include "api/adt_endpoint.hpp"

#include <memory>

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
            (*slot)(std::move(result->ack));
          } else {
            log::get("hl7")->warn("an HL7 message was not stored, so not acknowledged: {}",
                                  result.error().to_string());
            *slot = nullptr;  // Dropped: the connection closes.
          }
          pool_.end_async();
        });
      });
  if (!queued) {
    log::get("hl7")->warn("the work queue is full: an HL7 message is not acknowledged");
  }
}

}  // namespace wl::api
