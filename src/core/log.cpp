#include "core/log.hpp"

#include <mutex>
#include <string>

#include <spdlog/pattern_formatter.h>
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

// %* in a pattern: the message as the inside of a JSON string (quotes, backslashes and
// control characters escaped), so JSON-lines logs stay parseable whatever is logged.
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&,
              spdlog::memory_buf_t& out) override {
    static constexpr char kHex[] = "0123456789abcdef";
    auto append = [&out](std::string_view text) { out.append(text.data(), text.data() + text.size()); };
    for (const char c : std::string_view(message.payload.data(), message.payload.size())) {
      switch (c) {
        case '"': append("\\\""); break;
        case '\\': append("\\\\"); break;
        case '\n': append("\\n"); break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            const char escaped[] = {'\\', 'u', '0', '0', kHex[(c >> 4) & 0xF], kHex[c & 0xF]};
            append(std::string_view(escaped, sizeof escaped));
          } else {
            out.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

void apply(spdlog::logger& logger) {
  logger.set_level(settings().level);
  if (settings().format == Format::kJsonLines) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonEscapedMessage>('*').set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":"%n","msg":"%*"})");
    logger.set_formatter(std::move(formatter));
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
