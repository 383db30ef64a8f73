#include "core/time_zone.hpp"

#include <chrono>

#include <gtest/gtest.h>

namespace wl {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

Timestamp utc(std::string_view rfc3339) { return parse_rfc3339(rfc3339).value(); }

Timestamp in_zone(const LocalTime& local, std::string_view zone) {
  return local_to_utc(local, zone).value();
}

TEST(TimeZoneTest, KnowsIanaZones) {
  EXPECT_TRUE(is_time_zone("America/New_York"));
  EXPECT_TRUE(is_time_zone("UTC"));
  EXPECT_TRUE(is_time_zone("Etc/GMT+5"));
  EXPECT_FALSE(is_time_zone(""));
  EXPECT_FALSE(is_time_zone("Eastern Standard Time"));
  EXPECT_FALSE(is_time_zone("America/Gotham"));
  EXPECT_FALSE(is_time_zone("localtime"));
  EXPECT_FALSE(is_time_zone("../../etc/passwd"));
}

TEST(TimeZoneTest, SpringForwardGapTakesTheOffsetBeforeIt) {
  // 2026-03-08 02:00 EST jumps to 03:00 EDT: 02:30 does not exist and is read as EST.
  EXPECT_EQ(in_zone({2026, 3, 8, 2, 30, 0}, "America/New_York"), utc("2026-03-08T07:30:00Z"));
  EXPECT_EQ(in_zone({2026, 3, 8, 1, 59, 59}, "America/New_York"), utc("2026-03-08T06:59:59Z"));
  EXPECT_EQ(in_zone({2026, 3, 8, 3, 0, 0}, "America/New_York"), utc("2026-03-08T07:00:00Z"));
}

TEST(TimeZoneTest, FallBackAmbiguityTakesTheFirstOccurrence) {
  // 2026-11-01 02:00 EDT falls back to 01:00 EST: 01:30 happens twice, first as EDT.
  EXPECT_EQ(in_zone({2026, 11, 1, 1, 30, 0}, "America/New_York"), utc("2026-11-01T05:30:00Z"));
  EXPECT_EQ(in_zone({2026, 11, 1, 2, 0, 0}, "America/New_York"), utc("2026-11-01T07:00:00Z"));
}

TEST(TimeZoneTest, NightShiftsAcrossDaylightSavingChanges) {
  const auto night = [](LocalTime from, LocalTime to) {
    return in_zone(to, "America/New_York") - in_zone(from, "America/New_York");
  };
  EXPECT_EQ(night({2026, 3, 7, 19, 0, 0}, {2026, 3, 8, 7, 0, 0}), hours(11));
  EXPECT_EQ(night({2026, 10, 31, 19, 0, 0}, {2026, 11, 1, 7, 0, 0}), hours(13));
  EXPECT_EQ(night({2026, 11, 1, 19, 0, 0}, {2026, 11, 2, 7, 0, 0}), hours(12));
}

TEST(TimeZoneTest, London) {
  EXPECT_EQ(in_zone({2026, 1, 15, 12, 0, 0}, "Europe/London"), utc("2026-01-15T12:00:00Z"));
  EXPECT_EQ(in_zone({2026, 7, 1, 12, 0, 0}, "Europe/London"), utc("2026-07-01T11:00:00Z"));
  // Gap at 01:00 on 2026-03-29, overlap at 01:00 on 2026-10-25.
  EXPECT_EQ(in_zone({2026, 3, 29, 1, 30, 0}, "Europe/London"), utc("2026-03-29T01:30:00Z"));
  EXPECT_EQ(in_zone({2026, 10, 25, 1, 30, 0}, "Europe/London"), utc("2026-10-25T00:30:00Z"));
}

TEST(TimeZoneTest, LordHoweMovesItsClocksByHalfAnHour) {
  // Standard time is UTC+10:30, summer time UTC+11.
  EXPECT_EQ(in_zone({2026, 1, 15, 12, 0, 0}, "Australia/Lord_Howe"), utc("2026-01-15T01:00:00Z"));
  EXPECT_EQ(in_zone({2026, 6, 15, 12, 0, 0}, "Australia/Lord_Howe"), utc("2026-06-15T01:30:00Z"));
  // 2026-04-05 02:00 goes back to 01:30: 01:45 is first read at UTC+11.
  EXPECT_EQ(in_zone({2026, 4, 5, 1, 45, 0}, "Australia/Lord_Howe"), utc("2026-04-04T14:45:00Z"));
  // 2026-10-04 02:00 jumps to 02:30: 02:15 takes the earlier UTC+10:30.
  EXPECT_EQ(in_zone({2026, 10, 4, 2, 15, 0}, "Australia/Lord_Howe"), utc("2026-10-03T15:45:00Z"));
  EXPECT_EQ(in_zone({2026, 4, 5, 7, 0, 0}, "Australia/Lord_Howe") -
                in_zone({2026, 4, 4, 19, 0, 0}, "Australia/Lord_Howe"),
            hours(12) + minutes(30));
}

TEST(TimeZoneTest, Kolkata) {
  EXPECT_EQ(in_zone({2026, 6, 1, 12, 0, 0}, "Asia/Kolkata"), utc("2026-06-01T06:30:00Z"));
}

TEST(TimeZoneTest, RefusesUnknownZones) {
  const auto result = local_to_utc({2026, 6, 1, 12, 0, 0}, "Mars/Olympus_Mons");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), Code::kInvalidArgument);
  EXPECT_FALSE(utc_to_local(utc("2026-06-01T12:00:00Z"), "Mars/Olympus_Mons"));
}

TEST(TimeZoneTest, RefusesImpossibleDates) {
  for (const LocalTime& bad : {LocalTime{2026, 2, 30, 12, 0, 0}, LocalTime{2026, 2, 29, 0, 0, 0},
                               LocalTime{2026, 13, 1, 0, 0, 0}, LocalTime{2026, 0, 1, 0, 0, 0},
                               LocalTime{2026, 4, 31, 0, 0, 0}, LocalTime{2026, 6, 1, 24, 0, 0},
                               LocalTime{2026, 6, 1, 12, 60, 0}, LocalTime{2026, 6, 1, 12, 0, 60},
                               LocalTime{2026, 6, 1, -1, 0, 0}, LocalTime{0, 6, 1, 12, 0, 0},
                               LocalTime{10000, 1, 1, 0, 0, 0}}) {
    const auto result = local_to_utc(bad, "UTC");
    ASSERT_FALSE(result) << bad.year << "-" << bad.month << "-" << bad.day << " " << bad.hour;
    EXPECT_EQ(result.error().code(), Code::kInvalidArgument);
  }
  EXPECT_TRUE(local_to_utc({2028, 2, 29, 23, 59, 59}, "UTC"));
}

TEST(TimeZoneTest, UtcToLocalRoundTrips) {
  for (const std::string_view zone :
       {"America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"}) {
    for (Timestamp at = utc("2026-01-01T00:00:00Z"); at < utc("2027-01-01T00:00:00Z");
         at += minutes(7 * 60 + 13)) {
      const LocalTime local = utc_to_local(at, zone).value();
      // Every instant is some wall-clock time; reading it back gives the instant, except
      // the second pass through a fall-back hour, which reads as the first.
      const Timestamp back = in_zone(local, zone);
      EXPECT_TRUE(back == at || back == at - hours(1) || back == at - minutes(30)) << zone;
    }
  }
  const LocalTime local =
      utc_to_local(utc("2026-11-01T06:30:00.900000Z"), "America/New_York").value();
  EXPECT_EQ(local.hour, 1);  // The second 01:30, now EST.
  EXPECT_EQ(local.minute, 30);
  EXPECT_EQ(local.second, 0);
  EXPECT_EQ(local.day, 1);
  EXPECT_FALSE(utc_to_local(from_micros(INT64_MAX), "UTC"));
  EXPECT_FALSE(utc_to_local(from_micros(INT64_MIN), "UTC"));
}

}  // namespace
}  // namespace wl
