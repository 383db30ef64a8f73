#include "core/hl7/datetime.hpp"

#include <cstddef>

namespace wl::hl7 {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The number spelled by text[at, at + count), or -1 when a character is not a digit or the
// text is too short.
int digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) {
    return -1;
  }
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (!is_digit(text[i])) {
      return -1;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// Splits "+ZZZZ"/"-ZZZZ" off the end. Returns false when the suffix is malformed.
bool take_offset(std::string_view& text, std::optional<minutes>& offset) {
  const std::size_t sign = text.find_first_of("+-");
  if (sign == std::string_view::npos) {
    return true;
  }
  const std::string_view zone = text.substr(sign + 1);
  const int hh = digits(zone, 0, 2);
  const int mm = digits(zone, 2, 2);
  if (zone.size() != 4 || hh < 0 || mm < 0 || hh > 14 || mm > 59) {
    return false;
  }
  const minutes magnitude = hours(hh) + minutes(mm);
  offset = text[sign] == '-' ? -magnitude : magnitude;
  text = text.substr(0, sign);
  return true;
}

}  // namespace

std::optional<Timestamp> DateTime::utc() const {
  if (!offset) {
    return std::nullopt;
  }
  return Timestamp((local - *offset).time_since_epoch());
}

std::optional<DateTime> parse_datetime(std::string_view text) {
  DateTime result;
  if (!take_offset(text, result.offset)) {
    return std::nullopt;
  }
  // The clock part: 4, 6, 8, 10, 12 or 14 digits, then an optional fraction.
  std::string_view fraction;
  if (const std::size_t dot = text.find('.'); dot != std::string_view::npos) {
    fraction = text.substr(dot + 1);
    text = text.substr(0, dot);
    if (text.size() != 14 || fraction.empty() || fraction.size() > 4 ||
        digits(fraction, 0, fraction.size()) < 0) {
      return std::nullopt;
    }
  }
  if (text.size() < 4 || text.size() > 14 || text.size() % 2 != 0 ||
      digits(text, 0, text.size() > 8 ? 8 : text.size()) < 0 ||
      (text.size() > 8 && digits(text, 8, text.size() - 8) < 0)) {
    return std::nullopt;
  }
  const int year = digits(text, 0, 4);
  const int month = text.size() >= 6 ? digits(text, 4, 2) : 1;
  const int day = text.size() >= 8 ? digits(text, 6, 2) : 1;
  const int hour = text.size() >= 10 ? digits(text, 8, 2) : 0;
  const int minute = text.size() >= 12 ? digits(text, 10, 2) : 0;
  const int second = text.size() >= 14 ? digits(text, 12, 2) : 0;
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  int micros = 0;
  for (std::size_t i = 0; i < 6; ++i) {
    micros = micros * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  result.local = std::chrono::local_days(date) + hours(hour) + minutes(minute) + seconds(second) +
                 microseconds(micros);
  static constexpr DateTimePrecision kBySize[] = {
      DateTimePrecision::kYear, DateTimePrecision::kMonth,  DateTimePrecision::kDay,
      DateTimePrecision::kHour, DateTimePrecision::kMinute, DateTimePrecision::kSecond};
  result.precision =
      fraction.empty() ? kBySize[(text.size() - 4) / 2] : DateTimePrecision::kFraction;
  return result;
}

}  // namespace wl::hl7
