#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "core/time.hpp"

namespace wl {

// Readers for the on-call schedule files a hospital exports: iCalendar (RFC 5545; Amion's
// and most rostering tools' feeds) and a plain CSV. They turn text into shift rows and say
// what is wrong with each row they cannot use; matching people and roles to accounts is the
// importer's job. docs/schedules.md gives the rules. Pure functions: no I/O, no clock, any
// thread.

// One person on one shift, as the file gives it.
struct ShiftRow {
  // Where the row came from, for problem reports: "line 12" (CSV) or "event 3 (UID abc@x)".
  std::string where;
  // The shift's stable identity in its source. iCalendar: the UID; for an occurrence of a
  // recurring event, UID + "/" + the occurrence's original start in UTC as format_rfc3339
  // writes it. CSV: empty (the importer derives one).
  std::string key;
  std::string role;    // the role's name as written (trimmed, unescaped)
  std::string person;  // iCalendar: the ATTENDEE address without "mailto:"; CSV: the person column
  std::string person_name;  // iCalendar: the ATTENDEE's CN parameter, if any
  Timestamp starts_at;      // UTC
  Timestamp ends_at;        // UTC, exclusive, after starts_at
  // The zone the shift was given in: an IANA name, or "UTC" for UTC and offset times. An
  // iCalendar TZID that is not an IANA name but is defined by a VTIMEZONE in the file is
  // kept as written, so it may not be an IANA name.
  std::string time_zone;
  // iCalendar STATUS:CANCELLED: the importer removes the shift with this key. A cancelled
  // event with no ATTENDEE gives one row with an empty person.
  bool cancelled = false;
};

// Something wrong with one event or row; the rest of the file is still used.
struct ScheduleProblem {
  std::string where;   // as in ShiftRow::where
  std::string reason;  // one sentence a scheduler can act on
};

struct ParsedSchedule {
  std::vector<ShiftRow> shifts;
  std::vector<ScheduleProblem> problems;
  std::size_t entries = 0;  // VEVENTs or CSV data lines seen
};

struct ScheduleFileOptions {
  // The zone of floating iCalendar times and all-day dates, and of CSV rows whose
  // time_zone column is empty or absent. Must be an IANA name.
  std::string default_time_zone = "UTC";
  // An all-day event (VALUE=DATE) runs from this local time on its first day to the same
  // time after its last day.
  std::chrono::minutes all_day_starts{7 * 60};
  // Occurrences of recurring events are kept if they start in [expand_from, expand_until);
  // single events are kept wherever they fall.
  Timestamp expand_from;
  Timestamp expand_until;
  // More shift rows than this makes the whole file InvalidArgument.
  std::size_t max_shifts = 200000;
  // A longer shift is a problem of its row.
  std::chrono::hours max_shift_length{7 * 24};
};

// Reads an iCalendar object: one VEVENT per shift, one row per ATTENDEE, recurrences
// expanded within the options' window. InvalidArgument when the whole file is unusable:
// text that is not UTF-8, no BEGIN:VCALENDAR, a default_time_zone that is not an IANA zone,
// or more than max_shifts rows. Everything else is a problem of one event.
[[nodiscard]] Result<ParsedSchedule> parse_icalendar(std::string_view text,
                                                     const ScheduleFileOptions& options);

// Reads a CSV (RFC 4180) with a header naming the columns role, person, start, end and
// optionally time_zone. InvalidArgument for text that is not UTF-8, a header without the
// required columns, a default_time_zone that is not an IANA zone, or more than max_shifts
// rows. Everything else is a problem of one row.
[[nodiscard]] Result<ParsedSchedule> parse_schedule_csv(std::string_view text,
                                                        const ScheduleFileOptions& options);

}  // namespace wl
