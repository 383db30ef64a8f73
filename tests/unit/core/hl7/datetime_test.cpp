#include "core/hl7/datetime.hpp"

#include <gtest/gtest.h>

namespace wl::hl7 {
namespace {

using std::chrono::minutes;

TEST(Hl7DateTimeTest, ReadsEachPrecision) {
  EXPECT_EQ(parse_datetime("2026")->precision, DateTimePrecision::kYear);
  EXPECT_EQ(parse_datetime("202611")->precision, DateTimePrecision::kMonth);
  EXPECT_EQ(parse_datetime("20261124")->precision, DateTimePrecision::kDay);
  EXPECT_EQ(parse_datetime("2026112408")->precision, DateTimePrecision::kHour);
  EXPECT_EQ(parse_datetime("202611240830")->precision, DateTimePrecision::kMinute);
  EXPECT_EQ(parse_datetime("20261124083005")->precision, DateTimePrecision::kSecond);
  EXPECT_EQ(parse_datetime("20261124083005.1234")->precision, DateTimePrecision::kFraction);
}

TEST(Hl7DateTimeTest, AnOffsetGivesAUtcInstant) {
  const auto value = parse_datetime("20261124083000.25-0500");
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(value->offset, minutes(-300));
  EXPECT_EQ(value->utc(), parse_rfc3339("2026-11-24T13:30:00.250000Z"));
}

TEST(Hl7DateTimeTest, WithoutAnOffsetThereIsNoUtcInstant) {
  const auto value = parse_datetime("20261124083000");
  ASSERT_TRUE(value.has_value());
  EXPECT_FALSE(value->offset.has_value());
  EXPECT_FALSE(value->utc().has_value());
}

TEST(Hl7DateTimeTest, RejectsWhatIsNotADtm) {
  for (const char* bad : {"", "202", "20261", "2026-11-24", "20261324", "20260230", "2026112425",
                          "20261124083000.", "20261124083000.12345", "2026112408.5", "20261124+05",
                          "20261124+1500", "20261124+0560", "20261124083000Z", "2026112408300a"}) {
    EXPECT_FALSE(parse_datetime(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace wl::hl7
