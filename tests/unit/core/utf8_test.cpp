#include "core/utf8.hpp"

#include <gtest/gtest.h>

namespace wl {
namespace {

TEST(Utf8Test, AcceptsAsciiAndMultibyteText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("BP 120/80, recheck at 14:00"));
  EXPECT_TRUE(is_valid_utf8("Gr\xC3\xBC\xC3\x9F" "e"));         // Grüße
  EXPECT_TRUE(is_valid_utf8("\xE2\x9D\xA4"));                   // U+2764
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x9A\x91"));               // U+1F691 ambulance
}

TEST(Utf8Test, RejectsMalformedSequences) {
  EXPECT_FALSE(is_valid_utf8("\xC3"));              // Truncated.
  EXPECT_FALSE(is_valid_utf8("\x80"));              // Lone continuation byte.
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // Overlong '/'.
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // Surrogate U+D800.
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // Above U+10FFFF.
  EXPECT_FALSE(is_valid_utf8("\xFF"));
  EXPECT_FALSE(is_valid_utf8("ok\xE2\x9D"));        // Truncated at the end.
}

}  // namespace
}  // namespace wl
