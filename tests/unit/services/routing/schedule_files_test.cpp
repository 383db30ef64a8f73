#include "services/routing/schedule_files.hpp"

#include <atomic>
#include <chrono>
#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/utf8.hpp"

namespace wl {
namespace {

using std::chrono::hours;

Timestamp utc(std::string_view rfc3339) { return parse_rfc3339(rfc3339).value(); }

ScheduleFileOptions options_for_2026() {
  ScheduleFileOptions options;
  options.default_time_zone = "America/New_York";
  options.expand_from = utc("2026-01-01T00:00:00Z");
  options.expand_until = utc("2027-01-01T00:00:00Z");
  return options;
}

// An iCalendar object around the given content lines, with CRLF line ends.
std::string calendar(std::initializer_list<std::string_view> lines) {
  std::string text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Wardline//Test//EN\r\n";
  for (const std::string_view line : lines) {
    text.append(line).append("\r\n");
  }
  return text + "END:VCALENDAR\r\n";
}

ParsedSchedule ical(const std::string& text,
                    const ScheduleFileOptions& options = options_for_2026()) {
  Result<ParsedSchedule> parsed = parse_icalendar(text, options);
  EXPECT_TRUE(parsed) << parsed.error().to_string();
  return parsed.value_or(ParsedSchedule{});
}

ParsedSchedule csv(const std::string& text,
                   const ScheduleFileOptions& options = options_for_2026()) {
  Result<ParsedSchedule> parsed = parse_schedule_csv(text, options);
  EXPECT_TRUE(parsed) << parsed.error().to_string();
  return parsed.value_or(ParsedSchedule{});
}

// The problems, one a line, for failure messages.
std::string describe(const ParsedSchedule& parsed) {
  std::string out;
  for (const ScheduleProblem& problem : parsed.problems) {
    out += problem.where + ": " + problem.reason + "\n";
  }
  return out;
}

TEST(IcalendarTest, NightShiftsOverDaylightSavingChanges) {
  const ParsedSchedule parsed = ical(calendar({
      "BEGIN:VEVENT",
      "UID:spring@x",
      "DTSTAMP:20260101T000000Z",
      "DTSTART;TZID=America/New_York:20260307T190000",
      "DTEND;TZID=America/New_York:20260308T070000",
      "SUMMARY:4 West Hospitalist Night",
      "ATTENDEE;CN=Ann Smith:mailto:ann.smith@example.org",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:fall@x",
      "DTSTAMP:20260101T000000Z",
      "DTSTART;TZID=America/New_York:20261031T190000",
      "DTEND;TZID=America/New_York:20261101T070000",
      "SUMMARY:4 West Hospitalist Night",
      "ATTENDEE:MAILTO:bob@example.org",
      "END:VEVENT",
  }));
  ASSERT_EQ(parsed.shifts.size(), 2u);
  EXPECT_TRUE(parsed.problems.empty());
  EXPECT_EQ(parsed.entries, 2u);
  const ShiftRow& spring = parsed.shifts[0];
  EXPECT_EQ(spring.key, "spring@x");
  EXPECT_EQ(spring.where, "event 1 (UID spring@x)");
  EXPECT_EQ(spring.role, "4 West Hospitalist Night");
  EXPECT_EQ(spring.person, "ann.smith@example.org");
  EXPECT_EQ(spring.person_name, "Ann Smith");
  EXPECT_EQ(spring.time_zone, "America/New_York");
  EXPECT_EQ(spring.starts_at, utc("2026-03-08T00:00:00Z"));
  EXPECT_EQ(spring.ends_at - spring.starts_at, hours(11));
  const ShiftRow& fall = parsed.shifts[1];
  EXPECT_EQ(fall.person, "bob@example.org");
  EXPECT_EQ(fall.person_name, "");
  EXPECT_EQ(fall.starts_at, utc("2026-10-31T23:00:00Z"));
  EXPECT_EQ(fall.ends_at - fall.starts_at, hours(13));
  EXPECT_FALSE(fall.cancelled);
}

TEST(IcalendarTest, UtcFloatingAndDuration) {
  const ParsedSchedule parsed = ical(calendar({
      "BEGIN:VEVENT",
      "UID:u@x",
      "DTSTART:20260601T120000Z",
      "DURATION:PT12H",
      "SUMMARY:ICU Day",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
      // Floating: the default zone, New York (EDT in June).
      "BEGIN:VEVENT",
      "UID:f@x",
      "DTSTART:20260601T070000",
      "DTEND:20260601T190000",
      "SUMMARY:ICU Day",
      "ATTENDEE:mailto:b@x",
      "END:VEVENT",
      // A day in DURATION is a wall-clock day: 19:00 to 19:00 over spring-forward is 23 h.
      "BEGIN:VEVENT",
      "UID:d@x",
      "DTSTART;TZID=America/New_York:20260307T190000",
      "DURATION:P1D",
      "SUMMARY:24h Call",
      "ATTENDEE:mailto:c@x",
      "END:VEVENT",
  }));
  ASSERT_EQ(parsed.shifts.size(), 3u) << (parsed.problems.empty() ? "" : parsed.problems[0].reason);
  EXPECT_EQ(parsed.shifts[0].starts_at, utc("2026-06-01T12:00:00Z"));
  EXPECT_EQ(parsed.shifts[0].ends_at, utc("2026-06-02T00:00:00Z"));
  EXPECT_EQ(parsed.shifts[0].time_zone, "UTC");
  EXPECT_EQ(parsed.shifts[1].starts_at, utc("2026-06-01T11:00:00Z"));
  EXPECT_EQ(parsed.shifts[1].ends_at, utc("2026-06-01T23:00:00Z"));
  EXPECT_EQ(parsed.shifts[1].time_zone, "America/New_York");
  EXPECT_EQ(parsed.shifts[2].ends_at - parsed.shifts[2].starts_at, hours(23));
}

TEST(IcalendarTest, AllDayEventsRunFromTheHandoverTime) {
  ScheduleFileOptions options = options_for_2026();
  options.all_day_starts = std::chrono::hours(8);
  const ParsedSchedule parsed = ical(calendar({
                                         "BEGIN:VEVENT",
                                         "UID:allday@x",
                                         "DTSTART;VALUE=DATE:20261124",
                                         "DTEND;VALUE=DATE:20261126",
                                         "SUMMARY:Cardiology Call",
                                         "ATTENDEE:mailto:a@x",
                                         "END:VEVENT",
                                         "BEGIN:VEVENT",
                                         "UID:oneday@x",
                                         "DTSTART;VALUE=DATE:20261124",
                                         "SUMMARY:Cardiology Call",
                                         "ATTENDEE:mailto:b@x",
                                         "END:VEVENT",
                                     }),
                                     options);
  ASSERT_EQ(parsed.shifts.size(), 2u);
  EXPECT_EQ(parsed.shifts[0].starts_at, utc("2026-11-24T13:00:00Z"));  // 08:00 EST
  EXPECT_EQ(parsed.shifts[0].ends_at, utc("2026-11-26T13:00:00Z"));
  EXPECT_EQ(parsed.shifts[1].ends_at - parsed.shifts[1].starts_at, hours(24));
}

TEST(IcalendarTest, FoldedLinesEscapesAndLfOnly) {
  std::string text = calendar({
      "BEGIN:VEVENT",
      "UID:fold@x",
      "DTSTART:20260601T120000Z",
      "DTEND:20260601T200000Z",
      "SUMMARY:Cardiology\\, Electrophysiology Fellow On Call For The Entire Northeast Win",
      " g",
      "ATTENDEE;CN=\"Smith, Ann\":mailto:ann@x",
      "ATTENDEE;CN=Bob Jones;ROLE=REQ-PARTICIPANT:mailto:bob@x",
      "X-AMION-SHIFT-ID:12345",
      "X-WR-CALNAME:Cardiology",
      "END:VEVENT",
  });
  std::string lf_only;
  for (const char c : text) {
    if (c != '\r') {
      lf_only += c;
    }
  }
  for (const std::string& input : {text, lf_only}) {
    const ParsedSchedule parsed = ical(input);
    ASSERT_EQ(parsed.shifts.size(), 2u);
    EXPECT_TRUE(parsed.problems.empty());
    EXPECT_EQ(parsed.shifts[0].role,
              "Cardiology, Electrophysiology Fellow On Call For The Entire Northeast Wing");
    EXPECT_EQ(parsed.shifts[0].person, "ann@x");
    EXPECT_EQ(parsed.shifts[0].person_name, "Smith, Ann");
    EXPECT_EQ(parsed.shifts[1].person, "bob@x");
    EXPECT_EQ(parsed.shifts[1].person_name, "Bob Jones");
    EXPECT_EQ(parsed.shifts[0].key, parsed.shifts[1].key);
  }
}

TEST(IcalendarTest, CategoriesNameTheRoleWithoutSummary) {
  const ParsedSchedule parsed = ical(calendar({
      "BEGIN:VEVENT",
      "UID:c@x",
      "DTSTART:20260601T120000Z",
      "DTEND:20260601T200000Z",
      "CATEGORIES:HOSPITALIST,4W",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:none@x",
      "DTSTART:20260601T120000Z",
      "DTEND:20260601T200000Z",
      "SUMMARY: ",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
  }));
  ASSERT_EQ(parsed.shifts.size(), 1u);
  EXPECT_EQ(parsed.shifts[0].role, "HOSPITALIST");
  ASSERT_EQ(parsed.problems.size(), 1u);
  EXPECT_EQ(parsed.problems[0].where, "event 2 (UID none@x)");
}

TEST(IcalendarTest, WeeklyRuleWithExdateAndOverride) {
  ScheduleFileOptions options = options_for_2026();
  options.expand_from = utc("2026-10-01T00:00:00Z");
  options.expand_until = utc("2026-11-15T00:00:00Z");
  const ParsedSchedule parsed =
      ical(calendar({
               // Saturdays 19:00-07:00 from 2026-09-05 to the end of November.
               "BEGIN:VEVENT",
               "UID:weekly@x",
               "DTSTART;TZID=America/New_York:20260905T190000",
               "DTEND;TZID=America/New_York:20260906T070000",
               "RRULE:FREQ=WEEKLY;UNTIL=20261130T000000Z",
               "EXDATE;TZID=America/New_York:20261010T190000,20261017T190000",
               "SUMMARY:Night Float",
               "ATTENDEE:mailto:a@x",
               "END:VEVENT",
               // The 2026-10-24 night goes to someone else and starts an hour later.
               "BEGIN:VEVENT",
               "UID:weekly@x",
               "RECURRENCE-ID;TZID=America/New_York:20261024T190000",
               "DTSTART;TZID=America/New_York:20261024T200000",
               "DTEND;TZID=America/New_York:20261025T070000",
               "SUMMARY:Night Float",
               "ATTENDEE:mailto:b@x",
               "END:VEVENT",
           }),
           options);
  EXPECT_TRUE(parsed.problems.empty()) << parsed.problems[0].reason;
  // In the window: Oct 3, (10 and 17 excluded), 24 (overridden), 31, Nov 7. The Nov 14
  // night starts at 2026-11-15T00:00Z, the window's exclusive end.
  ASSERT_EQ(parsed.shifts.size(), 4u);
  EXPECT_EQ(parsed.shifts[0].key, "weekly@x/2026-10-03T23:00:00.000000Z");
  EXPECT_EQ(parsed.shifts[0].person, "a@x");
  // The Oct 31 night crosses fall-back: still 19:00 to 07:00, so 13 hours.
  const ShiftRow& fall_back = parsed.shifts[1];
  EXPECT_EQ(fall_back.key, "weekly@x/2026-10-31T23:00:00.000000Z");
  EXPECT_EQ(fall_back.ends_at - fall_back.starts_at, hours(13));
  EXPECT_EQ(parsed.shifts[2].starts_at, utc("2026-11-08T00:00:00Z"));
  const ShiftRow& moved = parsed.shifts[3];
  EXPECT_EQ(moved.key, "weekly@x/2026-10-24T23:00:00.000000Z");
  EXPECT_EQ(moved.person, "b@x");
  EXPECT_EQ(moved.starts_at, utc("2026-10-25T00:00:00Z"));
}

TEST(IcalendarTest, UnboundedRuleStopsAtTheWindow) {
  ScheduleFileOptions options = options_for_2026();
  options.expand_from = utc("2026-06-01T00:00:00Z");
  options.expand_until = utc("2026-06-08T00:00:00Z");
  const ParsedSchedule parsed = ical(calendar({
                                         "BEGIN:VEVENT",
                                         "UID:daily@x",
                                         "DTSTART:19900101T120000Z",
                                         "DURATION:PT8H",
                                         "RRULE:FREQ=DAILY",
                                         "SUMMARY:Clinic",
                                         "ATTENDEE:mailto:a@x",
                                         "END:VEVENT",
                                     }),
                                     options);
  ASSERT_EQ(parsed.shifts.size(), 7u);
  EXPECT_EQ(parsed.shifts.front().starts_at, utc("2026-06-01T12:00:00Z"));
  EXPECT_EQ(parsed.shifts.back().starts_at, utc("2026-06-07T12:00:00Z"));
}

TEST(IcalendarTest, CancelledEventsGiveCancelledRows) {
  const ParsedSchedule parsed = ical(calendar({
      "BEGIN:VEVENT",
      "UID:gone@x",
      "STATUS:CANCELLED",
      "DTSTART:20260601T120000Z",
      "DTEND:20260601T200000Z",
      "SUMMARY:ICU Day",
      "END:VEVENT",
  }));
  ASSERT_EQ(parsed.shifts.size(), 1u);
  EXPECT_TRUE(parsed.shifts[0].cancelled);
  EXPECT_EQ(parsed.shifts[0].key, "gone@x");
  EXPECT_EQ(parsed.shifts[0].person, "");
}

TEST(IcalendarTest, ReportsBrokenEventsAndKeepsTheRest) {
  const ParsedSchedule parsed = ical(calendar({
      "BEGIN:VEVENT",
      "DTSTART:20260601T120000Z",
      "DTEND:20260601T200000Z",
      "SUMMARY:ICU",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:nostart@x",
      "DTEND:20260601T200000Z",
      "SUMMARY:ICU",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:nobody@x",
      "DTSTART:20260601T120000Z",
      "DTEND:20260601T200000Z",
      "SUMMARY:ICU",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:both@x",
      "DTSTART:20260601T120000Z",
      "DTEND:20260601T200000Z",
      "DURATION:PT1H",
      "SUMMARY:ICU",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:backwards@x",
      "DTSTART:20260601T120000Z",
      "DTEND:20260601T110000Z",
      "SUMMARY:ICU",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:gotham@x",
      "DTSTART;TZID=America/Gotham:20260601T120000",
      "DTEND;TZID=America/Gotham:20260601T200000",
      "SUMMARY:ICU",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:long@x",
      "DTSTART:20260601T120000Z",
      "DURATION:P8D",
      "SUMMARY:ICU",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:good@x",
      "DTSTART:20260601T120000Z",
      "DTEND:20260601T200000Z",
      "SUMMARY:ICU",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
  }));
  EXPECT_EQ(parsed.entries, 8u);
  ASSERT_EQ(parsed.shifts.size(), 1u);
  EXPECT_EQ(parsed.shifts[0].key, "good@x");
  ASSERT_EQ(parsed.problems.size(), 7u) << describe(parsed);
  EXPECT_EQ(parsed.problems[0].where, "event 1");
  EXPECT_NE(parsed.problems[0].reason.find("UID"), std::string::npos);
  EXPECT_EQ(parsed.problems[1].where, "event 2 (UID nostart@x)");
  EXPECT_NE(parsed.problems[1].reason.find("DTSTART"), std::string::npos);
  EXPECT_EQ(parsed.problems[2].where, "event 3 (UID nobody@x)");
  EXPECT_EQ(parsed.problems[2].reason, "No ATTENDEE names who works this shift.");
  EXPECT_NE(parsed.problems[3].reason.find("both DTEND and DURATION"), std::string::npos);
  EXPECT_EQ(parsed.problems[4].reason, "The end is not after the start.") << describe(parsed);
  EXPECT_NE(parsed.problems[5].reason.find("\"America/Gotham\""), std::string::npos);
  EXPECT_NE(parsed.problems[6].reason.find("longer than 168 hours"), std::string::npos);
}

// RFC 5545 escapes only \\ \; \, and \n in text. libical reads a backslash before any
// other character as a space in place of that character's first byte, so "\é" would
// leave a lone continuation byte: such an event is a problem, and the report stays UTF-8.
TEST(IcalendarTest, AnEscapedMultibyteCharacterIsAProblemNotBrokenText) {
  const ParsedSchedule parsed = ical(calendar({
      "BEGIN:VEVENT",
      "UID:role@x",
      "DTSTART:20260601T120000Z",
      "DTEND:20260601T200000Z",
      "SUMMARY:Caf\\\xC3\xA9 ICU",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:uid\\\xC3\xA9@x",
      "DTSTART:20260601T120000Z",
      "DTEND:20260601T200000Z",
      "SUMMARY:ICU",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
      "BEGIN:VEVENT",
      "UID:good@x",
      "DTSTART:20260601T120000Z",
      "DTEND:20260601T200000Z",
      "SUMMARY:Caf\xC3\xA9 ICU",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
  }));
  ASSERT_EQ(parsed.shifts.size(), 1u) << describe(parsed);
  EXPECT_EQ(parsed.shifts[0].role, "Caf\xC3\xA9 ICU");
  ASSERT_EQ(parsed.problems.size(), 2u) << describe(parsed);
  EXPECT_EQ(parsed.problems[0].where, "event 1 (UID role@x)");
  EXPECT_NE(parsed.problems[0].reason.find("SUMMARY"), std::string::npos) << describe(parsed);
  EXPECT_EQ(parsed.problems[1].where, "event 2");
  EXPECT_NE(parsed.problems[1].reason.find("UID"), std::string::npos) << describe(parsed);
  for (const ScheduleProblem& problem : parsed.problems) {
    EXPECT_TRUE(is_valid_utf8(problem.where) && is_valid_utf8(problem.reason));
  }
}

TEST(IcalendarTest, NonIanaTzidUsesTheFilesVtimezone) {
  const ParsedSchedule parsed = ical(calendar({
      "BEGIN:VTIMEZONE",
      "TZID:Eastern Standard Time",
      "BEGIN:STANDARD",
      "DTSTART:16011104T020000",
      "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11",
      "TZOFFSETFROM:-0400",
      "TZOFFSETTO:-0500",
      "END:STANDARD",
      "BEGIN:DAYLIGHT",
      "DTSTART:16010311T020000",
      "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3",
      "TZOFFSETFROM:-0500",
      "TZOFFSETTO:-0400",
      "END:DAYLIGHT",
      "END:VTIMEZONE",
      "BEGIN:VEVENT",
      "UID:outlook@x",
      "DTSTART;TZID=Eastern Standard Time:20260601T070000",
      "DTEND;TZID=Eastern Standard Time:20260601T190000",
      "SUMMARY:ICU Day",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
  }));
  ASSERT_EQ(parsed.shifts.size(), 1u) << parsed.problems[0].reason;
  EXPECT_EQ(parsed.shifts[0].starts_at, utc("2026-06-01T11:00:00Z"));
  EXPECT_EQ(parsed.shifts[0].ends_at, utc("2026-06-01T23:00:00Z"));
  EXPECT_EQ(parsed.shifts[0].time_zone, "Eastern Standard Time");
}

TEST(IcalendarTest, IgnoresVtimezonesThatRepeatFasterThanYearly) {
  const ParsedSchedule parsed = ical(calendar({
      "BEGIN:VTIMEZONE",
      "TZID:Busy",
      "BEGIN:STANDARD",
      "DTSTART:16010101T000000",
      "RRULE:FREQ=SECONDLY",
      "TZOFFSETFROM:-0400",
      "TZOFFSETTO:-0500",
      "END:STANDARD",
      "END:VTIMEZONE",
      "BEGIN:VEVENT",
      "UID:busy@x",
      "DTSTART;TZID=Busy:20260601T070000",
      "DTEND;TZID=Busy:20260601T190000",
      "SUMMARY:ICU Day",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
  }));
  EXPECT_TRUE(parsed.shifts.empty());
  ASSERT_EQ(parsed.problems.size(), 1u);
  EXPECT_NE(parsed.problems[0].reason.find("\"Busy\""), std::string::npos);
}

TEST(IcalendarTest, RdateAddsOccurrences) {
  const ParsedSchedule parsed = ical(calendar({
      "BEGIN:VEVENT",
      "UID:extra@x",
      "DTSTART;TZID=Europe/London:20260601T080000",
      "DTEND;TZID=Europe/London:20260601T200000",
      "RDATE;TZID=Europe/London:20261220T080000",
      "RDATE:20260701T070000Z",
      "SUMMARY:Theatre",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
  }));
  ASSERT_EQ(parsed.shifts.size(), 3u) << describe(parsed);
  EXPECT_EQ(parsed.shifts[0].starts_at, utc("2026-06-01T07:00:00Z"));
  EXPECT_EQ(parsed.shifts[1].starts_at, utc("2026-07-01T07:00:00Z"));
  EXPECT_EQ(parsed.shifts[1].ends_at, utc("2026-07-01T19:00:00Z"));
  // GMT in December: 08:00 local is 08:00Z, still 12 hours long.
  EXPECT_EQ(parsed.shifts[2].starts_at, utc("2026-12-20T08:00:00Z"));
  EXPECT_EQ(parsed.shifts[2].key, "extra@x/2026-12-20T08:00:00.000000Z");
  EXPECT_EQ(parsed.shifts[2].ends_at - parsed.shifts[2].starts_at, hours(12));
}

TEST(IcalendarTest, ReadersAreSafeToCallFromManyThreads) {
  const std::string text = calendar({
      "BEGIN:VEVENT",
      "UID:weekly@x",
      "DTSTART;TZID=America/New_York:20260103T190000",
      "DTEND;TZID=America/New_York:20260104T070000",
      "RRULE:FREQ=WEEKLY",
      "SUMMARY:Night Float",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
  });
  const std::size_t expected = ical(text).shifts.size();
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int round = 0; round < 20; ++round) {
        const auto parsed = parse_icalendar(text, options_for_2026());
        if (!parsed || parsed->shifts.size() != expected) {
          ++mismatches;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(expected, 52u);
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(IcalendarTest, RefusesWhatIsNotACalendar) {
  const ScheduleFileOptions options = options_for_2026();
  for (const std::string_view text :
       {std::string_view(""), std::string_view("garbage\x01\x02"),
        std::string_view("role,person,start,end\n"), std::string_view("BEGIN:VEVENT\r\n"),
        std::string_view("BEGIN:VCALENDAR\r\nSUMMARY:\xff\xfe\r\n")}) {
    const auto parsed = parse_icalendar(text, options);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code(), Code::kInvalidArgument);
  }
  ScheduleFileOptions bad_zone = options;
  bad_zone.default_time_zone = "Gotham";
  EXPECT_FALSE(parse_icalendar(calendar({}), bad_zone));
  // A calendar that is cut off or full of junk still gives what it can.
  const ParsedSchedule junk = ical("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n::::\r\n;;;\r\n");
  EXPECT_TRUE(junk.shifts.empty());
  EXPECT_EQ(junk.problems.size(), 1u);
}

TEST(IcalendarTest, RefusesMoreThanMaxShifts) {
  ScheduleFileOptions options = options_for_2026();
  options.max_shifts = 100;
  const std::string text = calendar({
      "BEGIN:VEVENT",
      "UID:hourly@x",
      "DTSTART:20260101T000000Z",
      "DURATION:PT1H",
      "RRULE:FREQ=HOURLY",
      "SUMMARY:ICU",
      "ATTENDEE:mailto:a@x",
      "END:VEVENT",
  });
  const auto parsed = parse_icalendar(text, options);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message(), "the file has more than 100 shifts");
}

TEST(IcalendarTest, ReadsTheSampleFeed) {
  // tests/data/schedule_sample.ics: see tests/data/SOURCES.md.
  FILE* file = std::fopen(WL_TEST_DATA_DIR "/schedule_sample.ics", "rb");
  ASSERT_NE(file, nullptr);
  std::string text;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) {
    text.append(buffer, n);
  }
  std::fclose(file);
  const ParsedSchedule parsed = ical(text);
  EXPECT_GT(parsed.shifts.size(), 0u);
  for (const ShiftRow& row : parsed.shifts) {
    EXPECT_LT(row.starts_at, row.ends_at);
    EXPECT_FALSE(row.key.empty());
  }
}

TEST(ScheduleCsvTest, ReadsQuotedFieldsInAnyColumnOrder) {
  const ParsedSchedule parsed =
      csv("\xEF\xBB\xBFPerson,Notes,START,End,Role,Time_Zone\r\n"
          "ann@x,\"says \"\"hi\"\", bye\",2026-03-07 19:00,2026-03-08 07:00,\"4 West, Night\","
          "America/New_York\r\n"
          "\r\n"
          "bob@x,\"two\nlines\",2026-10-31T19:00,2026-11-01T07:00:00,4 West Night,\r\n");
  ASSERT_EQ(parsed.shifts.size(), 2u) << parsed.problems[0].reason;
  EXPECT_EQ(parsed.entries, 2u);
  EXPECT_EQ(parsed.shifts[0].where, "line 2");
  EXPECT_EQ(parsed.shifts[0].role, "4 West, Night");
  EXPECT_EQ(parsed.shifts[0].person, "ann@x");
  EXPECT_EQ(parsed.shifts[0].key, "");
  EXPECT_EQ(parsed.shifts[0].ends_at - parsed.shifts[0].starts_at, hours(11));
  EXPECT_EQ(parsed.shifts[1].where, "line 4");
  EXPECT_EQ(parsed.shifts[1].time_zone, "America/New_York");  // the default
  EXPECT_EQ(parsed.shifts[1].ends_at - parsed.shifts[1].starts_at, hours(13));
}

TEST(ScheduleCsvTest, ReadsOffsetsAndUtc) {
  const ParsedSchedule parsed =
      csv("role,person,start,end,time_zone\n"
          "ICU,a@x,2026-06-01 07:00+05:30,2026-06-01T19:00:00+05:30,Asia/Kolkata\n"
          "ICU,b@x,2026-06-01 07:00Z,2026-06-01 19:00Z,\n"
          "ICU,c@x,2026-06-01 07:00-04:00,2026-06-01 19:00-04:00,\n");
  ASSERT_EQ(parsed.shifts.size(), 3u);
  EXPECT_EQ(parsed.shifts[0].starts_at, utc("2026-06-01T01:30:00Z"));
  EXPECT_EQ(parsed.shifts[0].time_zone, "Asia/Kolkata");
  EXPECT_EQ(parsed.shifts[1].starts_at, utc("2026-06-01T07:00:00Z"));
  EXPECT_EQ(parsed.shifts[1].time_zone, "UTC");
  EXPECT_EQ(parsed.shifts[2].starts_at, utc("2026-06-01T11:00:00Z"));
}

TEST(ScheduleCsvTest, ReportsBadRowsAndKeepsTheRest) {
  const ParsedSchedule parsed =
      csv("role,person,start,end,time_zone\n"
          "ICU,a@x,2026-02-30 07:00,2026-03-01 07:00,\n"
          "ICU,a@x,tomorrow,2026-03-01 07:00,\n"
          "ICU,a@x,2026-06-01 07:00,2026-06-01 19:00,Mars/Olympus\n"
          "ICU,a@x,2026-06-01 07:00,2026-06-01 19:00\n"
          "ICU,a@x,2026-06-01 19:00,2026-06-01 07:00,\n"
          ",a@x,2026-06-01 07:00,2026-06-01 19:00,\n"
          "ICU,a@x,2026-06-01 07:00,2026-06-01 19:00,,extra\n"
          "ICU,a@x,2026-06-01 07:00,2026-06-01 19:00,UTC\n");
  ASSERT_EQ(parsed.shifts.size(), 1u);
  EXPECT_EQ(parsed.shifts[0].where, "line 9");
  ASSERT_EQ(parsed.problems.size(), 7u);
  EXPECT_EQ(parsed.problems[0].where, "line 2");
  EXPECT_NE(parsed.problems[0].reason.find("calendar date"), std::string::npos);
  EXPECT_NE(parsed.problems[1].reason.find("\"tomorrow\""), std::string::npos);
  EXPECT_NE(parsed.problems[2].reason.find("\"Mars/Olympus\""), std::string::npos);
  EXPECT_EQ(parsed.problems[3].reason, "The row has 4 fields but the header has 5.");
  EXPECT_EQ(parsed.problems[4].reason, "The end is not after the start.") << describe(parsed);
  EXPECT_EQ(parsed.problems[5].reason, "The role is empty.");
  EXPECT_EQ(parsed.problems[6].where, "line 8");
}

TEST(ScheduleCsvTest, RefusesFilesWithoutTheRequiredColumns) {
  const ScheduleFileOptions options = options_for_2026();
  for (const std::string_view text : {"", "role,person,start\nICU,a,b\n", "\xff,role"}) {
    const auto parsed = parse_schedule_csv(text, options);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code(), Code::kInvalidArgument);
  }
}

TEST(ScheduleCsvTest, RefusesMoreThanMaxShifts) {
  ScheduleFileOptions options = options_for_2026();
  options.max_shifts = 2;
  std::string text = "role,person,start,end\n";
  for (int i = 0; i < 3; ++i) {
    text += "ICU,a@x,2026-06-01 07:00,2026-06-01 19:00\n";
  }
  const auto parsed = parse_schedule_csv(text, options);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message(), "the file has more than 2 shifts");
}

TEST(ScheduleCsvTest, UnclosedQuoteEndsTheFile) {
  const ParsedSchedule parsed =
      csv("role,person,start,end\n"
          "ICU,a@x,2026-06-01 07:00,2026-06-01 19:00\n"
          "ICU,\"b@x,2026-06-01 07:00,2026-06-01 19:00\n");
  EXPECT_EQ(parsed.shifts.size(), 1u);
  ASSERT_EQ(parsed.problems.size(), 1u);
  EXPECT_EQ(parsed.problems[0].where, "line 3");
}

}  // namespace
}  // namespace wl
