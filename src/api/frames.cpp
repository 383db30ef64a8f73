#include "api/frames.hpp"

#include <array>
#include <utility>

#include <fmt/format.h>
#include <boost/json/object.hpp>

#include "api/fields.hpp"
#include "core/utf8.hpp"

namespace wl::api {
namespace json = boost::json;

namespace {

std::string cut(std::string_view text, std::size_t limit) {
  return std::string(utf8_prefix(text, limit));
}

std::string cut_ref(std::string_view text) { return cut(text, kMaxRefBytes); }

// The string at `key`, if the frame has one there.
std::string_view string_at(const json::object& frame, std::string_view key) {
  const json::value* value = frame.if_contains(key);
  return value != nullptr && value->is_string() ? std::string_view(value->as_string())
                                                : std::string_view();
}

// Each decoder reads its frame's fields in the order docs/protocol.md lists them;
// `type` and `ref` are read by decode_client_frame.
using Decoder = ClientFrame (*)(FieldReader& reader);

ClientFrame decode_hello(FieldReader& reader) {
  HelloFrame hello;
  hello.token = reader.keep(reader.required_string("token"));
  hello.cursor = reader.keep(reader.optional_string("cursor"));
  return hello;
}

ClientFrame decode_send(FieldReader& reader) {
  SendFrame send;
  send.thread = ThreadId(reader.keep(reader.required_int("thread_id")));
  send.client_id = reader.keep(reader.required_string("client_id"));
  send.body = reader.keep(reader.required_string("body"));
  send.urgent = reader.keep(reader.optional_bool("urgent", false));
  const std::string written = reader.keep(reader.optional_string("written_at"));
  if (!written.empty()) {
    send.written_at = parse_rfc3339(written);
    if (!send.written_at) {
      reader.reject(
          Status(Code::kInvalidArgument,
                 "written_at must be an RFC 3339 UTC time like 2025-06-02T14:03:11.204518Z"));
    }
  }
  const std::int64_t remind = reader.keep(reader.optional_int("remind_after_minutes", 0));
  if (remind != 0) {
    send.remind_after_minutes = remind;
  }
  send.override_availability = reader.keep(reader.optional_bool("override", false));
  send.callback = reader.keep(reader.optional_string("callback"));
  return send;
}

ClientFrame decode_ack(FieldReader& reader) {
  AckFrame ack;
  for (const std::int64_t id : reader.keep(reader.int_array("message_ids", true))) {
    ack.message_ids.emplace_back(id);
  }
  return ack;
}

ClientFrame decode_read(FieldReader& reader) {
  ReadFrame read;
  read.thread = ThreadId(reader.keep(reader.required_int("thread_id")));
  read.up_to_seq = reader.keep(reader.required_int("up_to_seq"));
  return read;
}

ClientFrame decode_typing(FieldReader& reader) {
  return TypingFrame{ThreadId(reader.keep(reader.required_int("thread_id")))};
}

ClientFrame decode_ping(FieldReader& /*reader*/) { return PingFrame{}; }

struct FrameType {
  std::string_view name;
  Decoder decode;
};

// The registry of client frames: a new frame type is one line here, its struct in
// frames.hpp and its handler in ClientSession.
constexpr std::array<FrameType, 6> kFrameTypes = {{
    {"hello", &decode_hello},
    {"send", &decode_send},
    {"ack", &decode_ack},
    {"read", &decode_read},
    {"typing", &decode_typing},
    {"ping", &decode_ping},
}};

constexpr std::array<std::string_view, kFrameTypes.size()> kFrameNames = [] {
  std::array<std::string_view, kFrameTypes.size()> names{};
  for (std::size_t i = 0; i < kFrameTypes.size(); ++i) {
    names[i] = kFrameTypes[i].name;
  }
  return names;
}();

}  // namespace

std::expected<DecodedFrame, FrameError> decode_client_frame(std::string_view text) {
  auto parsed = parse_object(text);
  if (!parsed) {
    return std::unexpected(FrameError{parsed.error(), "", ""});
  }
  const json::object& object = *parsed;
  const json::value* type = object.if_contains("type");
  if (type == nullptr || !type->is_string()) {
    return std::unexpected(FrameError{Status(Code::kInvalidArgument, "missing field 'type'"), "",
                                      cut_ref(string_at(object, "ref"))});
  }
  const std::string_view name = type->as_string();
  const FrameType* known = nullptr;
  for (const FrameType& candidate : kFrameTypes) {
    if (candidate.name == name) {
      known = &candidate;
    }
  }
  // Answers tie to the frame by its ref; a send's by its client_id; a hello's by none.
  std::string ref;
  if (name == "send") {
    ref = cut_ref(string_at(object, "client_id"));
  } else if (name != "hello") {
    ref = cut_ref(string_at(object, "ref"));
  }
  if (known == nullptr) {
    return std::unexpected(FrameError{
        Status(Code::kInvalidArgument, fmt::format("unknown frame type '{}'", cut(name, 32))),
        std::string(name), std::move(ref)});
  }
  FieldReader reader(object);
  (void)reader.required_string("type");
  (void)reader.keep(reader.optional_string("ref"));
  ClientFrame frame = known->decode(reader);
  if (auto finished = reader.finish(); !finished) {
    return std::unexpected(FrameError{finished.error(), std::string(name), std::move(ref)});
  }
  return DecodedFrame{std::move(frame), std::move(ref)};
}

std::span<const std::string_view> client_frame_types() { return kFrameNames; }

}  // namespace wl::api
