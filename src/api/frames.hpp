#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/ids.hpp"
#include "core/status.hpp"
#include "core/time.hpp"

// The frames a client sends on the WebSocket (docs/protocol.md, 7.4), decoded in one
// place: each type's fields read and checked once, unknown fields refused, and the
// first error kept with the ref that answers it. Pure: no I/O, no services, so the
// decoder is fuzzed on its own (fuzz/ws_frame_fuzzer.cpp).
namespace wl::api {

struct HelloFrame {
  std::string token;
  std::string cursor;  // Empty: start now.
};

struct SendFrame {
  ThreadId thread;
  std::string client_id;
  std::string body;
  bool urgent = false;
  std::optional<Timestamp> written_at;
  std::optional<std::int64_t> remind_after_minutes;
  bool override_availability = false;  // "override"
  std::string callback;                // A call-back number as typed; "" for none.
};

struct AckFrame {
  std::vector<EventId> message_ids;
};

struct ReadFrame {
  ThreadId thread;
  std::int64_t up_to_seq = 0;
};

struct TypingFrame {
  ThreadId thread;
};

struct PingFrame {};

using ClientFrame =
    std::variant<HelloFrame, SendFrame, AckFrame, ReadFrame, TypingFrame, PingFrame>;

// Refs are cut to this many bytes (at a character boundary) in every answer.
inline constexpr std::size_t kMaxRefBytes = 64;

// A frame and the ref its answers carry: a send's client_id, otherwise the frame's
// `ref` (empty if none).
struct DecodedFrame {
  ClientFrame frame;
  std::string ref;
};

// Why a text is not a frame: the error to answer with, the frame's type if it had a
// string one (known or not), and the ref as far as it could be read.
struct FrameError {
  Status status;
  std::string type;
  std::string ref;
};

// Errors (all InvalidArgument): "malformed JSON", "the body must be a JSON object",
// "missing field 'type'", "unknown frame type 'T'" (T cut to 32 bytes), then the
// frame's own: a missing or mistyped field, a written_at that is not RFC 3339, an
// unknown field (the first in the frame's field order of docs/protocol.md).
std::expected<DecodedFrame, FrameError> decode_client_frame(std::string_view text);

// Every frame type a client may send, in the order of docs/protocol.md.
std::span<const std::string_view> client_frame_types();

}  // namespace wl::api
