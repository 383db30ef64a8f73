#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wl {

// Wall-clock instants with microsecond resolution, stored and sent as integers.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

inline std::int64_t to_micros(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp from_micros(std::int64_t micros) {
  return Timestamp(std::chrono::microseconds(micros));
}

// RFC 3339 in UTC with microseconds: 2026-11-25T08:30:00.123456Z.
std::string format_rfc3339(Timestamp t);

// Reads what format_rfc3339 writes: YYYY-MM-DDTHH:MM:SS, an optional fraction of 1 to 6
// digits, and "Z" (UTC only). nullopt for anything else, including impossible dates.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

}  // namespace wl
