#include "core/crypto/encoding.hpp"

#include <gtest/gtest.h>

namespace wl::crypto {
namespace {

TEST(EncodingTest, HexRoundTripsAllByteValues) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) {
    bytes.push_back(static_cast<char>(i));
  }
  const std::string hex = hex_encode(bytes);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  EXPECT_EQ(hex.substr(hex.size() - 4), "feff");
  auto decoded = hex_decode(hex);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, bytes);
}

TEST(EncodingTest, HexDecodeAcceptsUpperCase) {
  auto decoded = hex_decode("DEADbeef");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, std::string("\xde\xad\xbe\xef"));
}

TEST(EncodingTest, HexDecodeRejectsOddLengthAndBadCharacters) {
  EXPECT_EQ(hex_decode("abc").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(hex_decode("zz").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(hex_decode("0 ").error().code(), Code::kInvalidArgument);
}

// RFC 4648 section 10 vectors, translated to the URL alphabet without padding.
TEST(EncodingTest, Base64UrlMatchesRfc4648Vectors) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
}

TEST(EncodingTest, Base64UrlUsesTheUrlAlphabet) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  auto decoded = base64url_decode("-_8");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, "\xfb\xff");
}

TEST(EncodingTest, Base64UrlRoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    auto decoded = base64url_decode(base64url_encode(bytes));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, bytes);
    bytes.push_back(static_cast<char>(i * 37 + 200));
  }
}

TEST(EncodingTest, Base64UrlDecodeRejectsNonCanonicalInput) {
  EXPECT_EQ(base64url_decode("Zg==").error().code(), Code::kInvalidArgument);  // Padding.
  EXPECT_EQ(base64url_decode("Zm9v+").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(base64url_decode("Zm/v").error().code(), Code::kInvalidArgument);  // Std alphabet.
  EXPECT_EQ(base64url_decode("Zh").error().code(), Code::kInvalidArgument);    // Stray bits.
  EXPECT_EQ(base64url_decode("Z").error().code(), Code::kInvalidArgument);     // 4n + 1.
}

}  // namespace
}  // namespace wl::crypto
