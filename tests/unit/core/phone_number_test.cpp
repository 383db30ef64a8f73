#include "core/phone_number.hpp"

#include <gtest/gtest.h>

namespace wl {
namespace {

TEST(PhoneNumberTest, KeepsE164NumbersAndExtensionsWithoutSeparators) {
  EXPECT_EQ(*normalize_phone_number("+1 (555) 010-2000", "n"), "+15550102000");
  EXPECT_EQ(*normalize_phone_number("+44.20.7946.0000", "n"), "+442079460000");
  EXPECT_EQ(*normalize_phone_number(" +12345678 ", "n"), "+12345678");
  EXPECT_EQ(*normalize_phone_number("+123456789012345", "n"), "+123456789012345");
  EXPECT_EQ(*normalize_phone_number("44 12", "n"), "4412");
  EXPECT_EQ(*normalize_phone_number("12", "n"), "12");
  EXPECT_EQ(*normalize_phone_number("123456", "n"), "123456");
}

TEST(PhoneNumberTest, RefusesEverythingElseNamingTheField) {
  for (const char* bad : {"", "1", "1234567", "+1234567", "+1234567890123456", "+0555010200",
                          "555-CALL", "12+34", "++15550102000", "+", "5550102000x12",
                          "+1 555 010 2000 ext 4", "1234567890123456789012345678901234"}) {
    const auto refused = normalize_phone_number(bad, "callback");
    ASSERT_FALSE(refused.has_value()) << bad;
    EXPECT_EQ(refused.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(refused.error().message(),
              "callback must be +, then 8 to 15 digits (E.164), or an extension of 2 to 6 "
              "digits; spaces, hyphens, dots and brackets are ignored")
        << bad;
  }
}

}  // namespace
}  // namespace wl
