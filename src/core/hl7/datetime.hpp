#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "core/time.hpp"

namespace wl::hl7 {

// How much of YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]] a DTM value spelled out.
enum class DateTimePrecision { kYear, kMonth, kDay, kHour, kMinute, kSecond, kFraction };

// An HL7 DTM/TS value: the clock reading as written and, when the sender gave one, its
// offset from UTC. Without an offset the value is the sender's local time (HL7 v2.5.1
// section 2A.3.22) and has no UTC instant until the caller supplies the sender's zone.
struct DateTime {
  std::chrono::local_time<std::chrono::microseconds> local;
  std::optional<std::chrono::minutes> offset;
  DateTimePrecision precision = DateTimePrecision::kYear;

  // The UTC instant when the value carries an offset, nullopt otherwise.
  std::optional<Timestamp> utc() const;
};

// Parses YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]. Missing parts are the start of
// the period (month 1, day 1, 00:00:00). nullopt for anything else: other characters,
// impossible dates or times, an offset beyond +/-14:00 or not of four digits.
std::optional<DateTime> parse_datetime(std::string_view text);

}  // namespace wl::hl7
