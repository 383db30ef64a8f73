// libFuzzer target: the schedule file readers (src/services/routing/schedule_files.hpp),
// which read what a scheduler uploads or a feed URL returns. Each input goes to both the
// iCalendar and the CSV reader, with bounds a fuzzer can reach (1,000 shifts, a one-year
// window). Built with clang by scripts/fuzz.sh against the system libical and date/tz,
// under AddressSanitizer and UndefinedBehaviorSanitizer. Beyond "no crash, no undefined
// behaviour, no leak", every answer must keep the readers' promises, checked below.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/utf8.hpp"
#include "services/routing/schedule_files.hpp"

namespace {

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

wl::ScheduleFileOptions bounded_options() {
  wl::ScheduleFileOptions options;
  options.default_time_zone = "America/New_York";
  options.expand_from = *wl::parse_rfc3339("2026-01-01T00:00:00Z");
  options.expand_until = *wl::parse_rfc3339("2027-01-01T00:00:00Z");
  options.max_shifts = 1000;
  return options;
}

void check(const wl::Result<wl::ParsedSchedule>& parsed, const wl::ScheduleFileOptions& options) {
  if (!parsed) {
    require(parsed.error().code() == wl::Code::kInvalidArgument);
    require(wl::is_valid_utf8(parsed.error().message()));
    return;
  }
  require(parsed->shifts.size() <= options.max_shifts);
  for (const wl::ShiftRow& row : parsed->shifts) {
    require(row.starts_at < row.ends_at);
    require(row.ends_at - row.starts_at <= options.max_shift_length);
    require(!row.role.empty() && !row.where.empty() && !row.time_zone.empty());
    require(row.cancelled || !row.person.empty());
    require(wl::is_valid_utf8(row.where) && wl::is_valid_utf8(row.key) &&
            wl::is_valid_utf8(row.role) && wl::is_valid_utf8(row.person) &&
            wl::is_valid_utf8(row.person_name) && wl::is_valid_utf8(row.time_zone));
  }
  for (const wl::ScheduleProblem& problem : parsed->problems) {
    require(!problem.where.empty() && !problem.reason.empty() && problem.reason.size() <= 300);
    require(wl::is_valid_utf8(problem.where) && wl::is_valid_utf8(problem.reason));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const wl::ScheduleFileOptions options = bounded_options();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check(wl::parse_icalendar(text, options), options);
  check(wl::parse_schedule_csv(text, options), options);
  return 0;
}
