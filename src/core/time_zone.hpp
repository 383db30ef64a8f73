#pragma once

#include <string_view>

#include "core/status.hpp"
#include "core/time.hpp"

namespace wl {

// A wall-clock reading with no zone: what a schedule says ("2026-11-01 01:30"), before it is
// placed on the time line.
struct LocalTime {
  int year = 0;
  int month = 0;   // 1 to 12
  int day = 0;     // 1 to the month's length
  int hour = 0;    // 0 to 23
  int minute = 0;  // 0 to 59
  int second = 0;  // 0 to 59
};

// Zone conversions read the system tz database (/usr/share/zoneinfo) through Howard Hinnant's
// date/tz library; docs/schedules.md, "Dependencies", says why not std::chrono or libical.
// All functions may be called from any thread: the database is loaded once, and each zone's
// rules once, under the library's own once-flags.

// True if name is a zone of the system tz database ("America/New_York", "UTC", "Etc/GMT+5").
// "localtime" is refused: it names whatever zone the machine is set to, not a place.
bool is_time_zone(std::string_view name);

// Places a wall-clock time of zone on the time line, by RFC 5545 section 3.3.5: a time that
// does not exist (the hour skipped when clocks go forward) takes the UTC offset in force just
// before the gap, so 02:30 on a spring-forward night in New York is 03:30 EDT; a time that
// happens twice (clocks go back) is its first occurrence. InvalidArgument for a zone that is
// not in the database or a time that is not a calendar time (February 30, 24:00, year 0).
[[nodiscard]] Result<Timestamp> local_to_utc(const LocalTime& local, std::string_view zone);

// The wall-clock time in zone at the instant at, fractions of a second dropped. InvalidArgument
// for an unknown zone or an instant outside the years 1 to 9999.
[[nodiscard]] Result<LocalTime> utc_to_local(Timestamp at, std::string_view zone);

}  // namespace wl
