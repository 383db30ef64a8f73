#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "api/fields.hpp"
#include "core/status.hpp"
#include "ports/records.hpp"
#include "services/messaging/messaging_service.hpp"
#include "services/patients/patient_service.hpp"

// The JSON shapes of docs/protocol.md: strict readers for requests and frames, and
// writers for resources and events.
namespace wl::api {

std::string_view thread_kind_name(ThreadKind kind);
std::string_view event_kind_name(EventKind kind);
std::string_view event_scope_name(EventScope scope);
std::string_view availability_name(Availability status);
// Errors: InvalidArgument for a name that is not one.
Result<Availability> availability_of(std::string_view name);
// An RFC 3339 time, or null.
boost::json::value optional_time_json(const std::optional<Timestamp>& at);
// A held message (docs/protocol.md, "Held messages"), and the `held` of a held `sent`.
boost::json::object held_json(const OpenedHeld& held);
boost::json::object held_notice_json(const HeldNotice& held);
// A person's forwarding (docs/protocol.md, "Forwarding").
boost::json::object forwarding_json(const Forwarding& forwarding);
// The `routed_to` entries of a `sent`.
boost::json::array routed_to_json(const std::vector<RoutedTo>& routed);

boost::json::object user_json(const User& user, bool online);
boost::json::object patient_json(const PatientView& patient);
boost::json::object thread_json(const ThreadView& thread);
boost::json::object event_json(const OpenedEvent& event);
boost::json::object receipt_json(const Receipt& receipt);
// The "receipts" of a history page (docs/protocol.md, GET /threads/{id}/messages).
boost::json::object history_receipts_json(const HistoryReceipts& receipts);

// The stream's frames (docs/protocol.md, 7.5) around event objects already serialised
// (event_json), so that an event shared by many connections is serialised once: an
// "event" frame, and an "events" frame of several in order. `after` is the cursor's
// position: the event's, or the last one's.
std::string event_frame_text(std::string_view instance_id, StreamPosition after,
                             std::string_view event_object);
std::string events_frame_text(std::string_view instance_id, StreamPosition after,
                              std::span<const std::string_view> event_objects);

// Cursors are opaque to clients: "<store instance id>.<event id>", or
// "<store instance id>.<epoch>.<event id>" for a position with an epoch (PostgreSQL).
std::string encode_cursor(std::string_view instance_id, StreamPosition after);
// Errors: InvalidArgument if malformed; FailedPrecondition if it names another store.
Result<StreamPosition> decode_cursor(std::string_view cursor, std::string_view instance_id);

}  // namespace wl::api
