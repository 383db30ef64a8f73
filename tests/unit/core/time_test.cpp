#include "core/time.hpp"

#include <gtest/gtest.h>

namespace wl {
namespace {

TEST(TimeTest, FormatsRfc3339WithMicroseconds) {
  // 2026-11-25T08:30:00Z is 1795595400 seconds after the epoch.
  const Timestamp t = from_micros(1795595400LL * 1000000 + 123456);
  EXPECT_EQ(format_rfc3339(t), "2026-11-25T08:30:00.123456Z");
}

TEST(TimeTest, FormatsTimesOutsideTheNanosecondRange) {
  // Schedules can name any year; fmt's chrono formatter overflowed before 1678.
  const Timestamp early = parse_rfc3339("1013-05-12T23:00:00Z").value();
  EXPECT_EQ(format_rfc3339(early), "1013-05-12T23:00:00.000000Z");
  const Timestamp late = parse_rfc3339("9999-12-31T23:59:59.999999Z").value();
  EXPECT_EQ(format_rfc3339(late), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_rfc3339(from_micros(-1)), "1969-12-31T23:59:59.999999Z");
}

TEST(TimeTest, MicrosRoundTrip) {
  const Timestamp t = from_micros(1700000000123456LL);
  EXPECT_EQ(to_micros(t), 1700000000123456LL);
}

TEST(TimeTest, ParsesWhatItFormats) {
  const Timestamp t = from_micros(1795595400LL * 1000000 + 123456);
  EXPECT_EQ(parse_rfc3339(format_rfc3339(t)), t);
  EXPECT_EQ(parse_rfc3339("2026-11-25T08:30:00Z"), from_micros(1795595400LL * 1000000));
  EXPECT_EQ(parse_rfc3339("2026-11-25T08:30:00.5Z"), from_micros(1795595400LL * 1000000 + 500000));
}

TEST(TimeTest, RefusesWhatIsNotUtcRfc3339) {
  for (const std::string_view text :
       {"", "2026-11-25", "2026-11-25T08:30:00", "2026-11-25T08:30:00+01:00",
        "2026-11-25 08:30:00Z", "2026-02-30T08:30:00Z", "2026-11-25T24:00:00Z",
        "2026-11-25T08:30:00.Z", "2026-11-25T08:30:00.1234567Z", "2026-11-25T08:3a:00Z",
        "yesterday"}) {
    EXPECT_EQ(parse_rfc3339(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace wl
