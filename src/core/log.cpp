#include "core/log.hpp"

#include <mutex>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace wl::log {
namespace {

std::mutex& registry_mutex() {
  static std::mutex mutex;
  return mutex;
}

struct Settings {
  Format format = Format::kText;
  spdlog::level::level_enum level = spdlog::level::info;
};

Settings& settings() {
  static Settings value;
  return value;
}

void apply(spdlog::logger& logger) {
  logger.set_level(settings().level);
  if (settings().format == Format::kJsonLines) {
    logger.set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":"%n","msg":"%v"})",
        spdlog::pattern_time_type::utc);
  } else {
    logger.set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v", spdlog::pattern_time_type::utc);
  }
}

}  // namespace

void configure(Format format, std::string_view level) {
  std::lock_guard lock(registry_mutex());
  settings().format = format;
  settings().level = spdlog::level::from_str(std::string(level));
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& logger) { apply(*logger); });
}

std::shared_ptr<spdlog::logger> get(std::string_view subsystem) {
  std::lock_guard lock(registry_mutex());
  const std::string name(subsystem);
  if (auto existing = spdlog::get(name)) {
    return existing;
  }
  auto logger = spdlog::stderr_logger_mt(name);
  apply(*logger);
  return logger;
}

}  // namespace wl::log
