#pragma once

#include "core/status.hpp"
#include "ports/message_log.hpp"
#include "ports/records.hpp"
#include "services/identity/principal.hpp"

namespace wl {

// How routing (services/routing) plugs into sending without messaging depending on
// it: while messaging builds a send's batch to a role thread, it asks the router whom
// the message goes to now and adds the answer (a RouteMessage) after the message.
class SendRouter {
 public:
  virtual ~SendRouter() = default;

  // Whom a message `sender` sends now to role thread `thread` reaches. Blocks on the
  // store. Errors: FailedPrecondition when nobody can be reached (no holder and no
  // fallback), with a sentence for the sender; as the store's reads.
  virtual Result<RouteMessage> route(const Principal& sender, const Thread& thread,
                                     bool urgent) = 0;
};

}  // namespace wl
