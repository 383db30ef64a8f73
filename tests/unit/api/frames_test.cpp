// The WebSocket frame decoder (src/api/frames.hpp): each frame type's fields, the
// first error of a bad frame, and the ref every answer carries (docs/protocol.md, 7.4).
#include "api/frames.hpp"

#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "core/utf8.hpp"

namespace wl::api {
namespace {

DecodedFrame decoded(std::string_view text) {
  auto frame = decode_client_frame(text);
  EXPECT_TRUE(frame.has_value()) << text << ": " << frame.error().status.to_string();
  return frame ? std::move(*frame) : DecodedFrame{PingFrame{}, ""};
}

FrameError refused(std::string_view text) {
  auto frame = decode_client_frame(text);
  EXPECT_FALSE(frame.has_value()) << text;
  return frame ? FrameError{Status(Code::kOk, ""), "", ""} : frame.error();
}

TEST(FramesTest, DecodesEveryFrameTypeWithItsFields) {
  const auto hello = decoded(R"({"type":"hello","token":"t0k","cursor":"abc.12","ref":"h"})");
  EXPECT_EQ(std::get<HelloFrame>(hello.frame).token, "t0k");
  EXPECT_EQ(std::get<HelloFrame>(hello.frame).cursor, "abc.12");
  EXPECT_EQ(hello.ref, "");  // Hello errors carry no ref.

  const auto send =
      decoded(R"({"type":"send","thread_id":4,"client_id":"c-1","body":"Bed 4","urgent":true,)"
              R"("written_at":"2025-06-02T14:03:11.204518Z","ref":"ignored"})");
  const auto& message = std::get<SendFrame>(send.frame);
  EXPECT_EQ(message.thread, ThreadId(4));
  EXPECT_EQ(message.client_id, "c-1");
  EXPECT_EQ(message.body, "Bed 4");
  EXPECT_TRUE(message.urgent);
  ASSERT_TRUE(message.written_at.has_value());
  EXPECT_EQ(format_rfc3339(*message.written_at), "2025-06-02T14:03:11.204518Z");
  EXPECT_EQ(send.ref, "c-1");  // A send answers by its client id.
  EXPECT_EQ(message.callback, "");  // None unless sent (docs/callback.md).
  const auto with_callback = decoded(
      R"({"type":"send","thread_id":4,"client_id":"c-2","body":"x","callback":"+1 555 010 2000"})");
  EXPECT_EQ(std::get<SendFrame>(with_callback.frame).callback, "+1 555 010 2000");
  EXPECT_EQ(refused(R"({"type":"send","thread_id":4,"client_id":"c-3","body":"x","callback":4412})")
                .status.code(),
            Code::kInvalidArgument);

  const auto ack = decoded(R"({"type":"ack","message_ids":[20,21],"ref":"a-1"})");
  EXPECT_EQ(std::get<AckFrame>(ack.frame).message_ids,
            (std::vector<EventId>{EventId(20), EventId(21)}));
  EXPECT_EQ(ack.ref, "a-1");
  const auto read = decoded(R"({"type":"read","thread_id":4,"up_to_seq":7})");
  EXPECT_EQ(std::get<ReadFrame>(read.frame).thread, ThreadId(4));
  EXPECT_EQ(std::get<ReadFrame>(read.frame).up_to_seq, 7);
  EXPECT_EQ(std::get<TypingFrame>(decoded(R"({"type":"typing","thread_id":9})").frame).thread,
            ThreadId(9));
  EXPECT_TRUE(std::holds_alternative<PingFrame>(decoded(R"({"type":"ping"})").frame));
  EXPECT_EQ(client_frame_types().size(), std::variant_size_v<ClientFrame>);
}

TEST(FramesTest, ABadFrameGivesItsFirstErrorInFieldOrderWithItsRef) {
  struct Case {
    std::string_view text;
    std::string_view message;
    std::string_view type;
    std::string_view ref;
  };
  const Case cases[] = {
      {R"({"type":"ping")", "malformed JSON", "", ""},
      {R"([{"type":"ping"}])", "the body must be a JSON object", "", ""},
      {R"({"ref":"r-9"})", "missing field 'type'", "", "r-9"},
      {R"({"type":7})", "missing field 'type'", "", ""},
      {R"({"type":"shout","ref":"r-1"})", "unknown frame type 'shout'", "shout", "r-1"},
      {R"({"type":"hello","cursor":"x"})", "missing field 'token'", "hello", ""},
      // thread_id comes before body in the frame's field order, whatever the text's.
      {R"({"type":"send","body":3,"thread_id":"4","client_id":"c-2"})",
       "field 'thread_id' must be an integer", "send", "c-2"},
      {R"({"type":"send","thread_id":4,"client_id":"c-3","body":"x","written_at":"yesterday"})",
       "written_at must be an RFC 3339 UTC time like 2025-06-02T14:03:11.204518Z", "send", "c-3"},
      {R"({"type":"send","thread_id":4,"client_id":"c-4","body":"x","colour":"red"})",
       "unknown field 'colour'", "send", "c-4"},
      {R"({"type":"ack","ref":"a-2"})", "missing field 'message_ids'", "ack", "a-2"},
      {R"({"type":"ack","message_ids":[1,"2"],"ref":"a-3"})",
       "field 'message_ids' must be an array of integers", "ack", "a-3"},
      {R"({"type":"read","thread_id":4,"ref":"r-2"})", "missing field 'up_to_seq'", "read", "r-2"},
      {R"({"type":"ping","ref":5})", "field 'ref' must be a string", "ping", ""},
  };
  for (const Case& one : cases) {
    SCOPED_TRACE(one.text);
    const FrameError error = refused(one.text);
    EXPECT_EQ(error.status.code(), Code::kInvalidArgument);
    EXPECT_EQ(error.status.message(), one.message);
    EXPECT_EQ(error.type, one.type);
    EXPECT_EQ(error.ref, one.ref);
  }
}

TEST(FramesTest, RefsAreCutTo64BytesWithoutSplittingACharacter) {
  const std::string long_ref(100, 'r');
  EXPECT_EQ(decoded(R"({"type":"ping","ref":")" + long_ref + R"("})").ref, std::string(64, 'r'));
  // 63 ASCII bytes, then a two-byte character that would straddle the cut.
  const std::string straddling = std::string(63, 'x') + "\xc3\xa9" + "tail";
  EXPECT_EQ(refused(R"({"type":"read","ref":")" + straddling + R"("})").ref, std::string(63, 'x'));
  const std::string client_id = std::string(70, 'c');
  EXPECT_EQ(
      decoded(R"({"type":"send","thread_id":1,"body":"b","client_id":")" + client_id + R"("})").ref,
      std::string(64, 'c'));
  EXPECT_EQ(refused(R"({"type":")" + std::string(50, 'z') + R"("})").status.message(),
            "unknown frame type '" + std::string(32, 'z') + "'");
}

// Found by the fuzzer: an unknown field's name is quoted in the error, cut to 64 bytes,
// and the cut must not split a character, or the answer is not valid UTF-8.
TEST(FramesTest, AnUnknownFieldIsQuotedWithoutSplittingACharacter) {
  const std::string name = std::string(63, 'k') + "\xce\xaf" + "rest";
  const FrameError error = refused(R"({"type":"ack","message_ids":[1],")" + name + R"(":"x"})");
  EXPECT_EQ(error.status.message(), "unknown field '" + std::string(63, 'k') + "'");
  EXPECT_TRUE(is_valid_utf8(error.status.message()));
}

}  // namespace
}  // namespace wl::api
