#include "core/hl7/mllp.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace wl::hl7 {
namespace {

constexpr std::string_view kFirst = "MSH|^~\\&|A|B|||||ADT^A01|1|P|2.5\rPID|1||X\r";
constexpr std::string_view kSecond = "MSH|^~\\&|A|B|||||ADT^A08|2|P|2.5\rPID|1||Y\r";

std::vector<std::string> drain(MllpDecoder& decoder) {
  std::vector<std::string> messages;
  while (auto message = decoder.next()) {
    messages.push_back(std::move(*message));
  }
  return messages;
}

TEST(MllpTest, EncodeWrapsTheMessage) {
  EXPECT_EQ(encode_mllp("MSH|x\r"), std::string("\x0BMSH|x\r\x1C\r"));
}

TEST(MllpTest, DecodesAFrameFedOneByteAtATime) {
  MllpDecoder decoder;
  const std::string framed = encode_mllp(kFirst);
  for (std::size_t i = 0; i < framed.size(); ++i) {
    ASSERT_TRUE(decoder.feed(framed.substr(i, 1)).has_value());
    EXPECT_EQ(decoder.has_partial_frame(), i + 1 < framed.size());
    if (i + 1 < framed.size()) {
      EXPECT_FALSE(decoder.next().has_value());
    }
  }
  EXPECT_EQ(drain(decoder), std::vector<std::string>{std::string(kFirst)});
  EXPECT_TRUE(decoder.finish().has_value());
}

TEST(MllpTest, DecodesTwoFramesInOneChunk) {
  MllpDecoder decoder;
  ASSERT_TRUE(decoder.feed(encode_mllp(kFirst) + encode_mllp(kSecond)).has_value());
  EXPECT_EQ(drain(decoder), (std::vector<std::string>{std::string(kFirst), std::string(kSecond)}));
  EXPECT_EQ(decoder.skipped_bytes(), 0u);
}

TEST(MllpTest, DecodesAFrameSplitAcrossTheEndBlock) {
  MllpDecoder decoder;
  const std::string framed = encode_mllp(kFirst);
  ASSERT_TRUE(decoder.feed(framed.substr(0, framed.size() - 1)).has_value());
  EXPECT_FALSE(decoder.next().has_value());
  ASSERT_TRUE(decoder.feed(framed.substr(framed.size() - 1)).has_value());
  EXPECT_EQ(decoder.next(), std::string(kFirst));
}

TEST(MllpTest, SkipsAndCountsBytesOutsideFrames) {
  MllpDecoder decoder;
  ASSERT_TRUE(
      decoder.feed("noise\r\n" + encode_mllp(kFirst) + "\n\n" + encode_mllp(kSecond)).has_value());
  EXPECT_EQ(drain(decoder).size(), 2u);
  EXPECT_EQ(decoder.skipped_bytes(), 9u);
}

TEST(MllpTest, AnOversizeFrameFailsBeforeBuffering) {
  MllpDecoder decoder(16);
  ASSERT_TRUE(decoder.feed(encode_mllp("0123456789abcdef")).has_value());
  EXPECT_EQ(decoder.next(), "0123456789abcdef");
  ASSERT_TRUE(decoder
                  .feed("\x0B"
                        "0123456789")
                  .has_value());
  const auto result = decoder.feed("abcdefg");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), Code::kResourceExhausted);
  EXPECT_TRUE(decoder.failed());
  // Failed for good: the caller closes the connection.
  const auto again = decoder.feed(encode_mllp("x"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), Code::kResourceExhausted);
  EXPECT_FALSE(decoder.next().has_value());
}

TEST(MllpTest, KeepsFramesCompletedBeforeAFramingError) {
  MllpDecoder decoder;
  const auto result = decoder.feed(encode_mllp(kFirst) +
                                   "\x0B"
                                   "abc\x1C"
                                   "x");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(decoder.next(), std::string(kFirst));
  EXPECT_FALSE(decoder.next().has_value());
}

TEST(MllpTest, RejectsAStartBlockInsideAFrame) {
  MllpDecoder decoder;
  const auto result = decoder.feed(
      "\x0B"
      "abc\x0B"
      "def\x1C\r");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(result.error().message(), "an MLLP start block arrived inside a frame");
  EXPECT_FALSE(decoder.next().has_value());
}

TEST(MllpTest, ReportsADisconnectInsideAFrame) {
  MllpDecoder decoder;
  const std::string framed = encode_mllp(kFirst);
  ASSERT_TRUE(decoder.feed(framed.substr(0, 10)).has_value());
  EXPECT_TRUE(decoder.has_partial_frame());
  const auto closed = decoder.finish();
  ASSERT_FALSE(closed.has_value());
  EXPECT_EQ(closed.error().code(), Code::kDataLoss);

  MllpDecoder after_end;
  ASSERT_TRUE(after_end.feed(framed.substr(0, framed.size() - 1)).has_value());
  EXPECT_FALSE(after_end.finish().has_value());
}

TEST(MllpTest, AnEmptyFrameIsAnEmptyMessage) {
  MllpDecoder decoder;
  ASSERT_TRUE(decoder.feed("\x0B\x1C\r").has_value());
  EXPECT_EQ(decoder.next(), "");
}

}  // namespace
}  // namespace wl::hl7
