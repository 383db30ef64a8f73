#include "core/time.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace wl {

std::string format_rfc3339(Timestamp t) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  const auto micros = (t - seconds).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06d}Z", seconds, micros);
}

}  // namespace wl
