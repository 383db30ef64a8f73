#include "core/time.hpp"

#include <chrono>

#include <fmt/format.h>

namespace wl {

std::string format_rfc3339(Timestamp t) {
  // Through the calendar types rather than fmt's chrono formatter, which converts to
  // nanoseconds and so overflows before 1678 and after 2262.
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day date{day};
  const hh_mm_ss<microseconds> time{t - day};
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:06d}Z", int(date.year()),
                     unsigned(date.month()), unsigned(date.day()), time.hours().count(),
                     time.minutes().count(), time.seconds().count(), time.subseconds().count());
}

std::optional<Timestamp> parse_rfc3339(std::string_view text) {
  // The fixed part is 20 characters ("2026-11-25T08:30:00Z"); a fraction adds 2 to 7.
  constexpr std::size_t kFixed = 19;
  if (text.size() < kFixed + 1 || text.size() > kFixed + 8 || text.back() != 'Z') {
    return std::nullopt;
  }
  const auto digits = [&](std::size_t from, std::size_t count) -> std::optional<int> {
    int value = 0;
    for (std::size_t i = from; i < from + count; ++i) {
      if (text[i] < '0' || text[i] > '9') {
        return std::nullopt;
      }
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  if (text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const auto year = digits(0, 4);
  const auto month = digits(5, 2);
  const auto day = digits(8, 2);
  const auto hour = digits(11, 2);
  const auto minute = digits(14, 2);
  const auto second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
      *second > 59) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) {
    return std::nullopt;
  }
  std::int64_t micros = 0;
  const std::size_t fraction = text.size() - kFixed - 1;  // '.' and digits, or nothing.
  if (fraction > 0) {
    if (fraction < 2 || text[kFixed] != '.') {
      return std::nullopt;
    }
    const auto value = digits(kFixed + 1, fraction - 1);
    if (!value) {
      return std::nullopt;
    }
    micros = *value;
    for (std::size_t i = fraction - 1; i < 6; ++i) {
      micros *= 10;
    }
  }
  return Timestamp(std::chrono::sys_days(date)) + std::chrono::hours(*hour) +
         std::chrono::minutes(*minute) + std::chrono::seconds(*second) +
         std::chrono::microseconds(micros);
}

}  // namespace wl
