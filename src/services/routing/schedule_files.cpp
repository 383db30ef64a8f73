#include "services/routing/schedule_files.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <utility>
#include <variant>

#include <libical/ical.h>

#include "core/time_zone.hpp"
#include "core/utf8.hpp"

namespace wl {
namespace {

using std::chrono::days;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::sys_seconds;

// ---------------------------------------------------------------------------------------
// Shared by both formats.

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// How much of a file's own text a problem quotes: enough to recognise, never a paragraph.
constexpr std::size_t kQuoteLimit = 64;

std::string quoted(std::string_view text) {
  if (!is_valid_utf8(text)) {
    return "(text that is not UTF-8)";
  }
  std::string out = "\"" + std::string(utf8_prefix(text, kQuoteLimit));
  if (text.size() > kQuoteLimit) {
    out += "...";
  }
  return out + "\"";
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Wall-clock arithmetic: a LocalTime read as if it were UTC, so adding a day keeps the
// clock time whatever the zone does that night.
sys_seconds naive(const LocalTime& local) {
  const std::chrono::year_month_day day{std::chrono::year{local.year},
                                        std::chrono::month(static_cast<unsigned>(local.month)),
                                        std::chrono::day(static_cast<unsigned>(local.day))};
  return sys_days{day} + std::chrono::hours{local.hour} + std::chrono::minutes{local.minute} +
         seconds{local.second};
}

LocalTime from_naive(sys_seconds at) {
  const sys_days day = std::chrono::floor<days>(at);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss<seconds> time{at - day};
  return LocalTime{static_cast<int>(date.year()),
                   static_cast<int>(static_cast<unsigned>(date.month())),
                   static_cast<int>(static_cast<unsigned>(date.day())),
                   static_cast<int>(time.hours().count()),
                   static_cast<int>(time.minutes().count()),
                   static_cast<int>(time.seconds().count())};
}

// Years a schedule may name; outside them naive() would leave the calendar's range.
bool is_plausible_year(int year) { return year >= 1 && year <= 9999; }

// Checks what every row needs before it is kept: an end after the start, a bounded length.
std::optional<std::string> shift_length_problem(Timestamp starts_at, Timestamp ends_at,
                                                const ScheduleFileOptions& options) {
  if (ends_at <= starts_at) {
    return "The end is not after the start.";
  }
  if (ends_at - starts_at > options.max_shift_length) {
    return "The shift is longer than " + std::to_string(options.max_shift_length.count()) +
           " hours.";
  }
  return std::nullopt;
}

Status too_many_shifts(const ScheduleFileOptions& options) {
  return Status(Code::kInvalidArgument,
                "the file has more than " + std::to_string(options.max_shifts) + " shifts");
}

Result<void> check_common(std::string_view text, const ScheduleFileOptions& options) {
  if (!is_valid_utf8(text)) {
    return error(Code::kInvalidArgument, "the file is not UTF-8 text");
  }
  if (!is_time_zone(options.default_time_zone)) {
    return error(Code::kInvalidArgument, "the default time zone is not an IANA time zone");
  }
  return ok();
}

// ---------------------------------------------------------------------------------------
// iCalendar.

// libical reports errors through icalerrno, which it keeps per thread (pthread keys), and
// can be built to abort on them; this turns that off once, before the first parse. It also
// creates libical's UTC zone, which the parser compares against, before two threads can
// race to create it.
void prepare_libical() {
  static std::once_flag once;
  std::call_once(once, [] {
    icalerror_set_errors_are_fatal(0);
    icaltimezone_get_utc_timezone();
  });
}

struct ComponentFree {
  void operator()(icalcomponent* component) const { icalcomponent_free(component); }
};
using ComponentPtr = std::unique_ptr<icalcomponent, ComponentFree>;

struct ZoneFree {
  void operator()(icaltimezone* zone) const { icaltimezone_free(zone, 1); }
};
using ZonePtr = std::unique_ptr<icaltimezone, ZoneFree>;

struct RecurrenceFree {
  void operator()(icalrecur_iterator* iterator) const { icalrecur_iterator_free(iterator); }
};
using RecurrencePtr = std::unique_ptr<icalrecur_iterator, RecurrenceFree>;

ComponentPtr parse_component(std::string_view text) {
  const std::string terminated(text);  // libical reads up to a NUL.
  return ComponentPtr(icalparser_parse_string(terminated.c_str()));
}

// One BEGIN:...END: block of the calendar, still unparsed.
struct Block {
  std::string_view text;
};

struct CalendarBlocks {
  std::vector<Block> events;
  std::vector<Block> zones;
};

// Cuts the calendar into its VEVENT and VTIMEZONE blocks, so each event is parsed (and
// freed) on its own: a whole-tree parse of a 100,000-event feed would hold every property
// at once. Continuation lines start with a space or tab, so a line that reads BEGIN:VEVENT
// is always a real boundary; unfolding, escapes and values are left to libical.
Result<CalendarBlocks> split_calendar(std::string_view text) {
  CalendarBlocks blocks;
  bool seen_calendar = false;
  int depth = 0;  // components open inside the current block
  std::size_t block_start = 0;
  std::vector<Block>* target = nullptr;
  std::size_t position = 0;
  while (position < text.size()) {
    std::size_t end = text.find('\n', position);
    const std::size_t next = end == std::string_view::npos ? text.size() : end + 1;
    std::string_view line = text.substr(position, next - position);
    line = line.substr(0, line.find_last_not_of("\r\n") + 1);
    if (!seen_calendar) {
      if (equals_ignoring_case(trim(line), "BEGIN:VCALENDAR")) {
        seen_calendar = true;
      } else if (!trim(line).empty()) {
        return error(Code::kInvalidArgument, "the file is not an iCalendar object");
      }
    } else if (line.size() > 6 && equals_ignoring_case(line.substr(0, 6), "BEGIN:")) {
      if (target != nullptr) {
        ++depth;
      } else if (equals_ignoring_case(line, "BEGIN:VEVENT")) {
        target = &blocks.events;
      } else if (equals_ignoring_case(line, "BEGIN:VTIMEZONE")) {
        target = &blocks.zones;
      }
      if (target != nullptr && depth == 0) {
        block_start = position;
      }
    } else if (target != nullptr && line.size() > 4 &&
               equals_ignoring_case(line.substr(0, 4), "END:")) {
      if (depth == 0) {
        target->push_back(Block{text.substr(block_start, next - block_start)});
        target = nullptr;
      } else {
        --depth;
      }
    }
    position = next;
  }
  if (!seen_calendar) {
    return error(Code::kInvalidArgument, "the file is not an iCalendar object");
  }
  if (target != nullptr) {  // Cut off mid-event: libical reads what is there.
    target->push_back(Block{text.substr(block_start)});
  }
  return blocks;
}

// The VTIMEZONEs of the file by TZID, for TZIDs that are not IANA names.
using DefinedZones = std::map<std::string, ZonePtr, std::less<>>;

// Real zones change their offsets at most yearly. libical expands a VTIMEZONE's rules from
// their first DTSTART up to the year it converts, so a rule that repeats every second since
// 1601 would take hours; such a zone is not used (its TZID is then a problem of the events).
bool has_only_yearly_rules(icalcomponent* zone) {
  for (icalcomponent* part = icalcomponent_get_first_component(zone, ICAL_ANY_COMPONENT);
       part != nullptr; part = icalcomponent_get_next_component(zone, ICAL_ANY_COMPONENT)) {
    for (icalproperty* rule = icalcomponent_get_first_property(part, ICAL_RRULE_PROPERTY);
         rule != nullptr; rule = icalcomponent_get_next_property(part, ICAL_RRULE_PROPERTY)) {
      if (icalproperty_get_rrule(rule).freq != ICAL_YEARLY_RECURRENCE) {
        return false;
      }
    }
  }
  return true;
}

DefinedZones read_defined_zones(const std::vector<Block>& blocks) {
  DefinedZones zones;
  for (const Block& block : blocks) {
    ComponentPtr component = parse_component(block.text);
    if (!component || icalcomponent_isa(component.get()) != ICAL_VTIMEZONE_COMPONENT ||
        !has_only_yearly_rules(component.get())) {
      continue;
    }
    icalproperty* tzid = icalcomponent_get_first_property(component.get(), ICAL_TZID_PROPERTY);
    const char* name = tzid != nullptr ? icalproperty_get_tzid(tzid) : nullptr;
    if (name == nullptr || zones.contains(std::string_view(name))) {
      continue;
    }
    ZonePtr zone(icaltimezone_new());
    std::string key(name);
    // The zone takes the component on success.
    if (icaltimezone_set_component(zone.get(), component.get()) != 0) {
      component.release();
      zones.emplace(std::move(key), std::move(zone));
    }
  }
  return zones;
}

// The zone a date-time value is read in.
struct Zone {
  enum class Kind { kUtc, kIana, kDefined };
  Kind kind = Kind::kUtc;
  std::string name;                 // "UTC", the IANA name, or the TZID as written
  icaltimezone* defined = nullptr;  // Kind::kDefined: owned by the DefinedZones

  bool operator==(const Zone& other) const { return kind == other.kind && name == other.name; }
};

// A date-time property's value before it is placed on the time line.
struct When {
  LocalTime local;
  Zone zone;
  bool is_date = false;
};

// What one event says, read out of libical's tree so the tree can be freed.
struct Event {
  std::string where;
  std::string uid;
  std::string role;
  struct Attendee {
    std::string address;
    std::string name;
  };
  std::vector<Attendee> attendees;
  bool cancelled = false;
  std::optional<Timestamp> recurrence_id;
  bool recurring = false;
  struct Occurrence {
    Timestamp starts_at;
    Timestamp ends_at;
  };
  std::vector<Occurrence> occurrences;  // a single event has exactly one
  std::string time_zone;
};

// Everything one parse shares.
struct IcalendarContext {
  const ScheduleFileOptions& options;
  const DefinedZones& zones;
  std::size_t occurrences = 0;  // across the file, against max_shifts
  std::size_t recurrence_steps = 0;
  bool too_many_occurrences = false;  // more than max_shifts: the whole file is refused
};

// A problem of the event being read: its reason (the where is added by the caller).
using Problem = std::string;

template <typename T>
using Checked = std::variant<T, Problem>;

template <typename T>
bool failed(const Checked<T>& checked) {
  return std::holds_alternative<Problem>(checked);
}

Result<Timestamp> place(const LocalTime& local, const Zone& zone) {
  switch (zone.kind) {
    case Zone::Kind::kUtc:
      return local_to_utc(local, "UTC");
    case Zone::Kind::kIana:
      return local_to_utc(local, zone.name);
    case Zone::Kind::kDefined:
      break;
  }
  WL_TRY(local_to_utc(local, "UTC"));  // Only to refuse impossible dates.
  // A TZID that only the file defines: libical applies the VTIMEZONE's rules, including
  // its own reading of gaps and overlaps (docs/schedules.md, iCalendar).
  icaltimetype value = icaltime_null_time();
  value.year = local.year;
  value.month = local.month;
  value.day = local.day;
  value.hour = local.hour;
  value.minute = local.minute;
  value.second = local.second;
  value.zone = zone.defined;
  return Timestamp(seconds(icaltime_as_timet_with_zone(value, zone.defined)));
}

Checked<Zone> zone_of(icalproperty* property, const icaltimetype& value,
                      const IcalendarContext& context) {
  if (icaltime_is_utc(value)) {
    return Zone{Zone::Kind::kUtc, "UTC"};
  }
  icalparameter* tzid = icalproperty_get_first_parameter(property, ICAL_TZID_PARAMETER);
  const char* name = tzid != nullptr ? icalparameter_get_tzid(tzid) : nullptr;
  if (value.is_date || name == nullptr) {  // Floating: the scheduler's own zone.
    return Zone{Zone::Kind::kIana, context.options.default_time_zone};
  }
  if (is_time_zone(name)) {
    return Zone{Zone::Kind::kIana, name};
  }
  if (auto found = context.zones.find(std::string_view(name)); found != context.zones.end()) {
    return Zone{Zone::Kind::kDefined, name, found->second.get()};
  }
  return Problem("The time zone " + quoted(name) +
                 " is neither an IANA time zone nor defined by a VTIMEZONE in the file.");
}

// Reads a date-time value; an all-day date starts at the options' handover time.
Checked<When> when_of(icalproperty* property, const icaltimetype& value,
                      const IcalendarContext& context) {
  const char* name = icalproperty_get_property_name(property);
  if (icaltime_is_null_time(value) || !is_plausible_year(value.year)) {
    return Problem(std::string(name) + " is not a date or date-time.");
  }
  Checked<Zone> zone = zone_of(property, value, context);
  if (failed(zone)) {
    return std::get<Problem>(zone);
  }
  LocalTime local{value.year, value.month, value.day, value.hour, value.minute, value.second};
  if (value.is_date) {
    local.hour = local.minute = local.second = 0;
    if (!local_to_utc(local, "UTC")) {
      return Problem(std::string(name) + " is not a calendar date.");
    }
    local = from_naive(naive(local) + context.options.all_day_starts);
  }
  return When{local, std::get<Zone>(std::move(zone)), value.is_date != 0};
}

Checked<Timestamp> instant_of(const When& when, const char* property_name) {
  Result<Timestamp> at = place(when.local, when.zone);
  if (!at) {
    return Problem(std::string(property_name) + " is not a calendar date and time.");
  }
  return *at;
}

// How an occurrence's end follows from its start.
struct Length {
  // DTEND in the start's zone (or an all-day event with neither DTEND nor DURATION): the
  // same wall-clock distance, so a weekly 19:00-07:00 shift ends at 07:00 on DST nights too.
  std::optional<seconds> wall;
  // DURATION: whole days count on the wall clock (RFC 5545 section 3.3.6), the rest exactly.
  // DTEND in another zone: all exact.
  seconds exact{0};
};

Checked<Timestamp> end_of(const When& start, const Length& length) {
  Checked<Timestamp> begins = instant_of(start, "DTSTART");
  if (failed(begins)) {
    return begins;
  }
  if (!length.wall) {
    return std::get<Timestamp>(begins) + length.exact;
  }
  const sys_seconds wall_end = naive(start.local) + *length.wall;
  if (!is_plausible_year(static_cast<int>(
          std::chrono::year_month_day{std::chrono::floor<days>(wall_end)}.year()))) {
    return Problem("The end is not a calendar date and time.");
  }
  Checked<Timestamp> ends = instant_of(When{from_naive(wall_end), start.zone}, "DTEND");
  if (failed(ends)) {
    return ends;
  }
  return std::get<Timestamp>(ends) + length.exact;
}

Checked<Length> length_of(icalcomponent* event, const When& start,
                          const IcalendarContext& context) {
  icalproperty* dtend = icalcomponent_get_first_property(event, ICAL_DTEND_PROPERTY);
  icalproperty* duration = icalcomponent_get_first_property(event, ICAL_DURATION_PROPERTY);
  if (dtend != nullptr && duration != nullptr) {
    return Problem("The event has both DTEND and DURATION; it may have only one.");
  }
  if (dtend != nullptr) {
    Checked<When> end = when_of(dtend, icalproperty_get_dtend(dtend), context);
    if (failed(end)) {
      return std::get<Problem>(end);
    }
    const When& until = std::get<When>(end);
    if (until.zone == start.zone) {
      return Length{naive(until.local) - naive(start.local), seconds(0)};
    }
    Checked<Timestamp> from = instant_of(start, "DTSTART");
    Checked<Timestamp> to = instant_of(until, "DTEND");
    if (failed(from) || failed(to)) {
      return failed(from) ? std::get<Problem>(from) : std::get<Problem>(to);
    }
    return Length{std::nullopt, std::chrono::duration_cast<seconds>(std::get<Timestamp>(to) -
                                                                    std::get<Timestamp>(from))};
  }
  if (duration != nullptr) {
    const icaldurationtype value = icalproperty_get_duration(duration);
    if (value.is_neg) {
      return Problem("The DURATION is negative.");
    }
    const auto whole_days = days(static_cast<std::int64_t>(value.days) + 7LL * value.weeks);
    const auto exact = std::chrono::hours(value.hours) + std::chrono::minutes(value.minutes) +
                       seconds(value.seconds);
    if (whole_days + exact > context.options.max_shift_length + days(1)) {
      return Problem("The shift is longer than " +
                     std::to_string(context.options.max_shift_length.count()) + " hours.");
    }
    return Length{whole_days, exact};
  }
  if (start.is_date) {  // RFC 5545 section 3.6.1: an all-day event alone lasts one day.
    return Length{days(1), seconds(0)};
  }
  return Problem("The event has neither DTEND nor DURATION, so its end is unknown.");
}

// Instants of a set of date-time properties (RDATE or EXDATE), each in its own zone.
Checked<std::vector<When>> listed_times(icalcomponent* event, icalproperty_kind kind,
                                        const IcalendarContext& context) {
  std::vector<When> times;
  for (icalproperty* property = icalcomponent_get_first_property(event, kind); property != nullptr;
       property = icalcomponent_get_next_property(event, kind)) {
    icaltimetype value;
    if (kind == ICAL_RDATE_PROPERTY) {
      const icaldatetimeperiodtype rdate = icalproperty_get_rdate(property);
      // A period's own end is not used: every occurrence has the event's length.
      value = icaltime_is_null_time(rdate.time) ? rdate.period.start : rdate.time;
    } else {
      value = icalproperty_get_exdate(property);
    }
    Checked<When> when = when_of(property, value, context);
    if (failed(when)) {
      return std::get<Problem>(when);
    }
    times.push_back(std::get<When>(std::move(when)));
  }
  return times;
}

icaltimetype to_icaltime(const LocalTime& local, bool is_date) {
  icaltimetype value = icaltime_null_time();
  value.year = local.year;
  value.month = local.month;
  value.day = local.day;
  if (is_date) {
    value.is_date = 1;
  } else {
    value.hour = local.hour;
    value.minute = local.minute;
    value.second = local.second;
  }
  return value;
}

bool in_window(Timestamp at, const ScheduleFileOptions& options) {
  return at >= options.expand_from && at < options.expand_until;
}

// The most RRULE steps one file may take, kept or not: a rule like FREQ=SECONDLY from 1970
// must fail quickly instead of stepping to the window.
constexpr std::size_t kMaxRecurrenceSteps = 5'000'000;

// Appends the starts one RRULE gives inside the window (with some slack; the caller checks
// exactly). Iterates in DTSTART's own wall-clock time, as RFC 5545 section 3.3.10 asks, and
// jumps to the window when the rule allows it.
std::optional<Problem> rule_starts(icalproperty* property, const icaltimetype& dtstart,
                                   const When& start, IcalendarContext& context,
                                   std::vector<When>& starts) {
  const icalrecurrencetype rule = icalproperty_get_rrule(property);
  if (rule.freq == ICAL_NO_RECURRENCE) {
    return Problem("The RRULE cannot be read.");
  }
  icaltimetype first = to_icaltime(start.local, start.is_date);
  if (start.is_date) {
    first = to_icaltime(LocalTime{dtstart.year, dtstart.month, dtstart.day}, true);
  }
  RecurrencePtr iterator(icalrecur_iterator_new(rule, first));
  if (!iterator) {
    return Problem("The RRULE cannot be expanded.");
  }
  // Where to start and stop in wall-clock time: a zone is at most a day from UTC.
  const sys_seconds earliest = std::chrono::floor<seconds>(context.options.expand_from) - days(2);
  const sys_seconds latest = std::chrono::floor<seconds>(context.options.expand_until) + days(2);
  if (rule.count == 0 &&
      std::chrono::floor<seconds>(context.options.expand_from) > naive(start.local)) {
    const LocalTime jump = from_naive(earliest);
    if (is_plausible_year(jump.year)) {
      icalrecur_iterator_set_start(iterator.get(), to_icaltime(jump, start.is_date));
    }
  }
  for (icaltimetype next = icalrecur_iterator_next(iterator.get()); !icaltime_is_null_time(next);
       next = icalrecur_iterator_next(iterator.get())) {
    if (++context.recurrence_steps > kMaxRecurrenceSteps) {
      return Problem("The RRULE repeats too often to expand.");
    }
    if (!is_plausible_year(next.year)) {
      break;
    }
    LocalTime local{next.year, next.month, next.day, next.hour, next.minute, next.second};
    if (start.is_date) {
      local = from_naive(naive(LocalTime{next.year, next.month, next.day}) +
                         context.options.all_day_starts);
    }
    if (naive(local) >= latest) {
      break;
    }
    const Result<Timestamp> at = place(local, start.zone);
    if (at && in_window(*at, context.options)) {
      if (starts.size() > context.options.max_shifts) {
        context.too_many_occurrences = true;
        return std::nullopt;
      }
      starts.push_back(When{local, start.zone, start.is_date});
    }
  }
  return std::nullopt;
}

// Expands a recurring event (RRULE, RDATE, EXDATE) into the occurrences that start inside
// the window, DTSTART counting as the first (RFC 5545 section 3.8.5).
std::optional<Problem> expand(icalcomponent* component, const icaltimetype& dtstart,
                              const When& start, const Length& length, IcalendarContext& context,
                              Event& event) {
  const Result<Timestamp> first = place(start.local, start.zone);
  if (!first) {
    return Problem("DTSTART is not a calendar date and time.");
  }
  std::vector<When> starts{start};
  for (icalproperty* rrule = icalcomponent_get_first_property(component, ICAL_RRULE_PROPERTY);
       rrule != nullptr; rrule = icalcomponent_get_next_property(component, ICAL_RRULE_PROPERTY)) {
    if (auto problem = rule_starts(rrule, dtstart, start, context, starts)) {
      return problem;
    }
    if (context.too_many_occurrences) {
      return std::nullopt;
    }
  }
  Checked<std::vector<When>> added = listed_times(component, ICAL_RDATE_PROPERTY, context);
  Checked<std::vector<When>> removed = listed_times(component, ICAL_EXDATE_PROPERTY, context);
  if (failed(added) || failed(removed)) {
    return failed(added) ? std::get<Problem>(added) : std::get<Problem>(removed);
  }
  std::ranges::move(std::get<std::vector<When>>(added), std::back_inserter(starts));
  std::set<Timestamp> excluded;
  for (const When& when : std::get<std::vector<When>>(removed)) {
    if (Result<Timestamp> at = place(when.local, when.zone)) {
      excluded.insert(*at);
    }
  }
  std::set<Timestamp> seen;
  for (const When& when : starts) {
    Result<Timestamp> begins = place(when.local, when.zone);
    if (!begins || !in_window(*begins, context.options) || excluded.contains(*begins) ||
        !seen.insert(*begins).second) {
      continue;
    }
    // An occurrence in another zone than DTSTART (an RDATE with its own TZID) keeps the
    // exact length of the first.
    Checked<Timestamp> ends = end_of(when.zone == start.zone ? when : start, length);
    if (failed(ends)) {
      return std::get<Problem>(ends);
    }
    Timestamp ends_at = std::get<Timestamp>(ends);
    if (!(when.zone == start.zone)) {
      ends_at = *begins + (ends_at - *first);
    }
    if (++context.occurrences > context.options.max_shifts) {
      context.too_many_occurrences = true;
      return std::nullopt;
    }
    event.occurrences.push_back({*begins, ends_at});
  }
  std::ranges::sort(event.occurrences, {}, &Event::Occurrence::starts_at);
  return std::nullopt;
}

// libical reads a backslash before a character RFC 5545 does not escape as a space in
// place of that character's first byte, so a valid file can give text that is not UTF-8
// (a backslash before "é" leaves a lone continuation byte). Such text is a problem of the event.
Problem not_utf8(std::string_view property) {
  return Problem("The " + std::string(property) +
                 " is not UTF-8 text once its escapes are read: in text a backslash may only "
                 "come before another backslash, a semicolon, a comma or N.");
}

std::string text_property(icalcomponent* component, icalproperty_kind kind) {
  icalproperty* property = icalcomponent_get_first_property(component, kind);
  if (property == nullptr) {
    return {};
  }
  const char* value = kind == ICAL_SUMMARY_PROPERTY ? icalproperty_get_summary(property)
                                                    : icalproperty_get_categories(property);
  return value != nullptr ? std::string(value) : std::string();
}

// The role: SUMMARY, or the first CATEGORIES value when there is no SUMMARY.
std::string role_of(icalcomponent* component) {
  std::string summary(trim(text_property(component, ICAL_SUMMARY_PROPERTY)));
  if (!summary.empty()) {
    return summary;
  }
  const std::string categories = text_property(component, ICAL_CATEGORIES_PROPERTY);
  return std::string(trim(std::string_view(categories).substr(0, categories.find(','))));
}

std::vector<Event::Attendee> attendees_of(icalcomponent* component) {
  std::vector<Event::Attendee> attendees;
  for (icalproperty* property = icalcomponent_get_first_property(component, ICAL_ATTENDEE_PROPERTY);
       property != nullptr;
       property = icalcomponent_get_next_property(component, ICAL_ATTENDEE_PROPERTY)) {
    const char* value = icalproperty_get_attendee(property);
    std::string_view address = trim(value != nullptr ? value : "");
    if (address.size() >= 7 && equals_ignoring_case(address.substr(0, 7), "mailto:")) {
      address = trim(address.substr(7));
    }
    if (address.empty()) {
      continue;
    }
    icalparameter* cn = icalproperty_get_first_parameter(property, ICAL_CN_PARAMETER);
    const char* name = cn != nullptr ? icalparameter_get_cn(cn) : nullptr;
    attendees.push_back({std::string(address), std::string(trim(name != nullptr ? name : ""))});
  }
  return attendees;
}

// Reads one VEVENT into an Event, or says why it cannot be used.
Checked<Event> read_event(icalcomponent* component, std::size_t number, IcalendarContext& context) {
  Event event;
  event.where = "event " + std::to_string(number);
  const char* uid = icalcomponent_get_uid(component);
  event.uid = std::string(trim(uid != nullptr ? uid : ""));
  if (event.uid.empty()) {
    return Problem("The event has no UID, so later changes to it could not be matched.");
  }
  if (!is_valid_utf8(event.uid)) {
    return not_utf8("UID");
  }
  event.where += " (UID " + std::string(utf8_prefix(event.uid, kQuoteLimit)) + ")";
  event.role = role_of(component);
  if (event.role.empty()) {
    return Problem("The event has no SUMMARY or CATEGORIES naming its role.");
  }
  if (!is_valid_utf8(event.role)) {
    return not_utf8(icalcomponent_get_first_property(component, ICAL_SUMMARY_PROPERTY) != nullptr
                        ? "SUMMARY"
                        : "CATEGORIES");
  }
  event.cancelled = icalcomponent_get_status(component) == ICAL_STATUS_CANCELLED;
  event.attendees = attendees_of(component);
  for (const Event::Attendee& attendee : event.attendees) {
    if (!is_valid_utf8(attendee.address) || !is_valid_utf8(attendee.name)) {
      return not_utf8("ATTENDEE");
    }
  }
  if (event.attendees.empty() && !event.cancelled) {
    return Problem("No ATTENDEE names who works this shift.");
  }
  icalproperty* dtstart = icalcomponent_get_first_property(component, ICAL_DTSTART_PROPERTY);
  if (dtstart == nullptr) {
    return Problem("The event has no DTSTART (or one that cannot be read).");
  }
  const icaltimetype start_value = icalproperty_get_dtstart(dtstart);
  Checked<When> start = when_of(dtstart, start_value, context);
  if (failed(start)) {
    return std::get<Problem>(start);
  }
  const When& begins = std::get<When>(start);
  event.time_zone = begins.zone.name;
  Checked<Length> length = length_of(component, begins, context);
  if (failed(length)) {
    return std::get<Problem>(length);
  }
  if (icalproperty* rid = icalcomponent_get_first_property(component, ICAL_RECURRENCEID_PROPERTY)) {
    Checked<When> original = when_of(rid, icalproperty_get_recurrenceid(rid), context);
    if (failed(original)) {
      return std::get<Problem>(original);
    }
    Checked<Timestamp> at = instant_of(std::get<When>(original), "RECURRENCE-ID");
    if (failed(at)) {
      return std::get<Problem>(at);
    }
    event.recurrence_id = std::get<Timestamp>(at);
  }
  event.recurring = !event.recurrence_id &&
                    (icalcomponent_get_first_property(component, ICAL_RRULE_PROPERTY) != nullptr ||
                     icalcomponent_get_first_property(component, ICAL_RDATE_PROPERTY) != nullptr);
  if (event.recurring) {
    if (auto problem =
            expand(component, start_value, begins, std::get<Length>(length), context, event)) {
      return *problem;
    }
    return event;
  }
  Checked<Timestamp> starts_at = instant_of(begins, "DTSTART");
  if (failed(starts_at)) {
    return std::get<Problem>(starts_at);
  }
  Checked<Timestamp> ends_at = end_of(begins, std::get<Length>(length));
  if (failed(ends_at)) {
    return std::get<Problem>(ends_at);
  }
  ++context.occurrences;
  event.occurrences.push_back({std::get<Timestamp>(starts_at), std::get<Timestamp>(ends_at)});
  return event;
}

// Appends one row per ATTENDEE of one occurrence. With last set, the event's strings are
// moved into the rows instead of copied: most events have one occurrence and one ATTENDEE.
Result<void> append_rows(Event& event, const Event::Occurrence& occurrence, std::string key,
                         bool last, const ScheduleFileOptions& options, ParsedSchedule& parsed) {
  if (event.attendees.empty()) {
    event.attendees.emplace_back();  // A cancellation names the shift, not who worked it.
  }
  for (std::size_t i = 0; i < event.attendees.size(); ++i) {
    if (parsed.shifts.size() >= options.max_shifts) {
      return std::unexpected(too_many_shifts(options));
    }
    const bool move = last && i + 1 == event.attendees.size();
    Event::Attendee& person = event.attendees[i];
    parsed.shifts.push_back(ShiftRow{
        move ? std::move(event.where) : event.where, move ? std::move(key) : key,
        move ? std::move(event.role) : event.role,
        last ? std::move(person.address) : person.address,
        last ? std::move(person.name) : person.name, occurrence.starts_at, occurrence.ends_at,
        move ? std::move(event.time_zone) : event.time_zone, event.cancelled});
  }
  return ok();
}

// Turns recurring events and their overrides into rows: an override (RECURRENCE-ID) replaces
// the occurrence of its master that starts at its RECURRENCE-ID.
Result<void> append_recurring_rows(std::vector<Event>& events, const ScheduleFileOptions& options,
                                   ParsedSchedule& parsed) {
  std::set<std::pair<std::string, Timestamp>> overridden;
  for (const Event& event : events) {
    if (event.recurrence_id) {
      overridden.emplace(event.uid, *event.recurrence_id);
    }
  }
  for (Event& event : events) {
    for (std::size_t i = 0; i < event.occurrences.size(); ++i) {
      const Event::Occurrence occurrence = event.occurrences[i];
      const bool last = i + 1 == event.occurrences.size();
      if (event.recurrence_id) {
        // Kept when the occurrence it replaces, or the replacement, is in the window.
        if (in_window(*event.recurrence_id, options) || in_window(occurrence.starts_at, options)) {
          WL_TRY(append_rows(event, occurrence,
                             event.uid + "/" + format_rfc3339(*event.recurrence_id), last, options,
                             parsed));
        }
      } else if (!overridden.contains({event.uid, occurrence.starts_at})) {
        WL_TRY(append_rows(event, occurrence,
                           event.uid + "/" + format_rfc3339(occurrence.starts_at), last, options,
                           parsed));
      }
    }
  }
  return ok();
}

// ---------------------------------------------------------------------------------------
// CSV.

// One record of the file and the line it starts on.
struct Record {
  std::size_t line = 0;
  std::vector<std::string> fields;
  bool blank = false;         // an empty line
  bool unterminated = false;  // a quoted field runs to the end of the file
};

// Reads the next RFC 4180 record from text at position, moving position past it. Quoted
// fields may hold commas, doubled quotes and line breaks; CRLF and LF both end a record.
Record next_record(std::string_view text, std::size_t& position, std::size_t& line) {
  Record record;
  record.line = line;
  std::string field;
  bool quoted_field = false;
  bool in_quotes = false;
  while (position < text.size()) {
    const char c = text[position++];
    if (in_quotes) {
      if (c == '"') {
        if (position < text.size() && text[position] == '"') {
          field += '"';
          ++position;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') {
          ++line;
        }
        field += c;
      }
    } else if (c == '"' && !quoted_field && trim(field).empty()) {
      in_quotes = quoted_field = true;
      field.clear();
    } else if (c == ',') {
      record.fields.push_back(quoted_field ? std::move(field) : std::string(trim(field)));
      field.clear();
      quoted_field = false;
    } else if (c == '\n') {
      ++line;
      break;
    } else if (c != '\r' || (position < text.size() && text[position] != '\n')) {
      field += c;
    }
  }
  record.unterminated = in_quotes;
  record.blank = record.fields.empty() && !quoted_field && trim(field).empty();
  record.fields.push_back(quoted_field ? std::move(field) : std::string(trim(field)));
  return record;
}

// Column positions named by the header.
struct Columns {
  std::size_t count = 0;
  std::optional<std::size_t> role, person, start, end, time_zone;
};

Result<Columns> read_header(const Record& header) {
  Columns columns{header.fields.size()};
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    const std::string_view name = trim(header.fields[i]);
    for (auto [wanted, slot] :
         {std::pair{"role", &columns.role}, std::pair{"person", &columns.person},
          std::pair{"start", &columns.start}, std::pair{"end", &columns.end},
          std::pair{"time_zone", &columns.time_zone}}) {
      if (equals_ignoring_case(name, wanted) && !*slot) {
        *slot = i;
      }
    }
  }
  if (!columns.role || !columns.person || !columns.start || !columns.end) {
    return error(Code::kInvalidArgument,
                 "the first line must name the columns role, person, start and end");
  }
  return columns;
}

// A CSV date-time: local unless it carries Z or an offset.
struct CsvTime {
  LocalTime local;
  std::optional<std::chrono::minutes> offset;  // east of UTC
};

// Reads exactly `width` decimal digits.
std::optional<int> digits(std::string_view text, std::size_t at, std::size_t width) {
  if (at + width > text.size()) {
    return std::nullopt;
  }
  int value = 0;
  for (std::size_t i = at; i < at + width; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// YYYY-MM-DD HH:MM[:SS] or YYYY-MM-DDTHH:MM[:SS], then nothing, Z, or +HH:MM / -HH:MM.
std::optional<CsvTime> parse_csv_time(std::string_view text) {
  const auto year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2),
             hour = digits(text, 11, 2), minute = digits(text, 14, 2);
  if (!year || !month || !day || !hour || !minute || text[4] != '-' || text[7] != '-' ||
      (text[10] != ' ' && text[10] != 'T' && text[10] != 't') || text[13] != ':') {
    return std::nullopt;
  }
  CsvTime time{{*year, *month, *day, *hour, *minute, 0}};
  std::size_t at = 16;
  if (at < text.size() && text[at] == ':') {
    const auto second = digits(text, at + 1, 2);
    if (!second) {
      return std::nullopt;
    }
    time.local.second = *second;
    at += 3;
  }
  const std::string_view rest = text.substr(at);
  if (rest == "Z" || rest == "z") {
    time.offset = std::chrono::minutes(0);
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    const auto offset_hours = digits(rest, 1, 2), offset_minutes = digits(rest, 4, 2);
    if (!offset_hours || !offset_minutes || *offset_hours > 23 || *offset_minutes > 59) {
      return std::nullopt;
    }
    const std::chrono::minutes offset(*offset_hours * 60 + *offset_minutes);
    time.offset = rest[0] == '+' ? offset : -offset;
  } else if (!rest.empty()) {
    return std::nullopt;
  }
  return time;
}

Checked<Timestamp> csv_instant(std::string_view column, std::string_view text,
                               std::string_view zone) {
  const std::optional<CsvTime> time = parse_csv_time(text);
  if (!time) {
    return Problem(std::string(column) + " " + quoted(text) +
                   " is not a date and time like 2026-11-24 19:00.");
  }
  Result<Timestamp> at = local_to_utc(time->local, time->offset ? "UTC" : zone);
  if (!at) {
    return Problem(std::string(column) + " " + quoted(text) + " is not a calendar date and time.");
  }
  return time->offset ? *at - *time->offset : *at;
}

// Reads one data record into a row, or says why it cannot be used.
Checked<ShiftRow> read_row(const Record& record, const Columns& columns,
                           const ScheduleFileOptions& options) {
  ShiftRow row;
  row.where = "line " + std::to_string(record.line);
  if (record.fields.size() != columns.count) {
    return Problem("The row has " + std::to_string(record.fields.size()) +
                   " fields but the header has " + std::to_string(columns.count) + ".");
  }
  row.role = trim(record.fields[*columns.role]);
  row.person = trim(record.fields[*columns.person]);
  if (row.role.empty() || row.person.empty()) {
    return Problem(row.role.empty() ? "The role is empty." : "The person is empty.");
  }
  const std::string_view named =
      columns.time_zone ? trim(record.fields[*columns.time_zone]) : std::string_view();
  const std::string_view zone = named.empty() ? options.default_time_zone : named;
  if (!is_time_zone(zone)) {
    return Problem("The time zone " + quoted(zone) + " is not an IANA time zone.");
  }
  Checked<Timestamp> starts_at = csv_instant("start", trim(record.fields[*columns.start]), zone);
  Checked<Timestamp> ends_at = csv_instant("end", trim(record.fields[*columns.end]), zone);
  if (failed(starts_at) || failed(ends_at)) {
    return failed(starts_at) ? std::get<Problem>(starts_at) : std::get<Problem>(ends_at);
  }
  row.starts_at = std::get<Timestamp>(starts_at);
  row.ends_at = std::get<Timestamp>(ends_at);
  if (auto problem = shift_length_problem(row.starts_at, row.ends_at, options)) {
    return *problem;
  }
  const bool has_offset = parse_csv_time(trim(record.fields[*columns.start]))->offset.has_value();
  row.time_zone = has_offset && named.empty() ? "UTC" : std::string(zone);
  return row;
}

}  // namespace

Result<ParsedSchedule> parse_icalendar(std::string_view text, const ScheduleFileOptions& options) {
  WL_TRY(check_common(text, options));
  prepare_libical();
  if (text.starts_with(kByteOrderMark)) {
    text.remove_prefix(kByteOrderMark.size());
  }
  const CalendarBlocks blocks = WL_TRY(split_calendar(text));
  const DefinedZones zones = read_defined_zones(blocks.zones);
  IcalendarContext context{options, zones};
  ParsedSchedule parsed;
  std::vector<Event> recurring;
  std::set<std::pair<std::string, std::optional<Timestamp>>> seen;
  for (const Block& block : blocks.events) {
    const std::size_t number = ++parsed.entries;
    ComponentPtr component = parse_component(block.text);
    if (!component || icalcomponent_isa(component.get()) != ICAL_VEVENT_COMPONENT) {
      parsed.problems.push_back({"event " + std::to_string(number), "The event cannot be read."});
      continue;
    }
    Checked<Event> event = read_event(component.get(), number, context);
    if (context.too_many_occurrences) {
      return std::unexpected(too_many_shifts(options));
    }
    if (failed(event)) {
      const char* uid = icalcomponent_get_uid(component.get());
      std::string where = "event " + std::to_string(number);
      if (uid != nullptr && !trim(uid).empty() && is_valid_utf8(uid)) {
        where += " (UID " + std::string(utf8_prefix(trim(uid), kQuoteLimit)) + ")";
      }
      parsed.problems.push_back({std::move(where), std::get<Problem>(std::move(event))});
      continue;
    }
    Event& read = std::get<Event>(event);
    // Reported here, in file order, once per event; a recurring event keeps its other
    // occurrences.
    bool reported = false;
    std::erase_if(read.occurrences, [&](const Event::Occurrence& occurrence) {
      auto problem = shift_length_problem(occurrence.starts_at, occurrence.ends_at, options);
      if (problem && !reported) {
        parsed.problems.push_back({read.where, std::move(*problem)});
        reported = true;
      }
      return problem.has_value();
    });
    if (!seen.emplace(read.uid, read.recurrence_id).second) {
      parsed.problems.push_back(
          {read.where, "Another event earlier in the file has the same UID; this one is ignored."});
      continue;
    }
    if (read.recurring || read.recurrence_id) {
      recurring.push_back(std::move(read));  // Overrides may come before their master.
    } else if (!read.occurrences.empty()) {
      const Event::Occurrence occurrence = read.occurrences.front();
      std::string key = read.uid;
      WL_TRY(append_rows(read, occurrence, std::move(key), true, options, parsed));
    }
  }
  WL_TRY(append_recurring_rows(recurring, options, parsed));
  return parsed;
}

Result<ParsedSchedule> parse_schedule_csv(std::string_view text,
                                          const ScheduleFileOptions& options) {
  WL_TRY(check_common(text, options));
  if (text.starts_with(kByteOrderMark)) {
    text.remove_prefix(kByteOrderMark.size());
  }
  std::size_t position = 0;
  std::size_t line = 1;
  Record header = next_record(text, position, line);
  while (header.blank && position < text.size()) {
    header = next_record(text, position, line);
  }
  const Columns columns = WL_TRY(read_header(header));
  ParsedSchedule parsed;
  while (position < text.size()) {
    const Record record = next_record(text, position, line);
    if (record.blank) {
      continue;
    }
    ++parsed.entries;
    if (record.unterminated) {
      parsed.problems.push_back({"line " + std::to_string(record.line),
                                 "A quoted field is never closed, so the rest of the file is "
                                 "part of this row."});
      break;
    }
    Checked<ShiftRow> row = read_row(record, columns, options);
    if (failed(row)) {
      parsed.problems.push_back(
          {"line " + std::to_string(record.line), std::get<Problem>(std::move(row))});
      continue;
    }
    if (parsed.shifts.size() >= options.max_shifts) {
      return std::unexpected(too_many_shifts(options));
    }
    parsed.shifts.push_back(std::get<ShiftRow>(std::move(row)));
  }
  return parsed;
}

}  // namespace wl
