#include "core/time_zone.hpp"

#include <chrono>
#include <exception>
#include <string>

#include <date/tz.h>

namespace wl {
namespace {

// date::locate_zone reports an unknown name by throwing; this is the one place that catches
// it, so no exception leaves this file. The database holds only the files under
// /usr/share/zoneinfo that parse as zones, so a name cannot reach outside it.
const date::time_zone* find_zone(std::string_view name) {
  if (name == "localtime") {
    return nullptr;
  }
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

// The years every conversion accepts: what RFC 3339 and the schedule formats can write.
constexpr int kFirstYear = 1;
constexpr int kLastYear = 9999;

Status unknown_zone(std::string_view zone) {
  return Status(Code::kInvalidArgument, "unknown time zone \"" + std::string(zone) + "\"");
}

}  // namespace

bool is_time_zone(std::string_view name) { return find_zone(name) != nullptr; }

Result<Timestamp> local_to_utc(const LocalTime& local, std::string_view zone) {
  using namespace std::chrono;
  const date::year_month_day day{date::year{local.year}, date::month(local.month),
                                 date::day(local.day)};
  if (local.year < kFirstYear || local.year > kLastYear || local.month < 1 || local.month > 12 ||
      local.day < 1 || local.day > 31 || !day.ok() || local.hour < 0 || local.hour > 23 ||
      local.minute < 0 || local.minute > 59 || local.second < 0 || local.second > 59) {
    return error(Code::kInvalidArgument, "not a calendar date and time");
  }
  const date::time_zone* found = find_zone(zone);
  if (found == nullptr) {
    return std::unexpected(unknown_zone(zone));
  }
  const date::local_seconds wall =
      date::local_days{day} + hours{local.hour} + minutes{local.minute} + seconds{local.second};
  // For a unique time, first is the only offset. For a nonexistent one it is the offset in
  // force before the gap, and for an ambiguous one the earlier occurrence's: exactly the two
  // rules of RFC 5545 section 3.3.5, so every case subtracts first.offset.
  const date::local_info info = found->get_info(wall);
  return Timestamp(duration_cast<microseconds>(wall.time_since_epoch() - info.first.offset));
}

Result<LocalTime> utc_to_local(Timestamp at, std::string_view zone) {
  using namespace std::chrono;
  const date::time_zone* found = find_zone(zone);
  if (found == nullptr) {
    return std::unexpected(unknown_zone(zone));
  }
  // Checked before converting: date::year holds only 16 bits.
  constexpr auto kEarliest = sys_days{year{kFirstYear} / January / 2};
  constexpr auto kLatest = sys_days{year{kLastYear} / December / 30};
  if (at < kEarliest || at >= kLatest) {
    return error(Code::kInvalidArgument, "the time is outside the years 1 to 9999");
  }
  const date::local_seconds wall = found->to_local(floor<seconds>(at));
  const date::local_days day = floor<date::days>(wall);
  const date::year_month_day date{day};
  const date::hh_mm_ss<seconds> time{wall - day};
  return LocalTime{
      .year = static_cast<int>(date.year()),
      .month = static_cast<int>(static_cast<unsigned>(date.month())),
      .day = static_cast<int>(static_cast<unsigned>(date.day())),
      .hour = static_cast<int>(time.hours().count()),
      .minute = static_cast<int>(time.minutes().count()),
      .second = static_cast<int>(time.seconds().count()),
  };
}

}  // namespace wl
