#pragma once

#include <memory>
#include <string_view>

#include <spdlog/logger.h>

namespace wl::log {

enum class Format { kText, kJsonLines };

// Configures every subsystem logger (net, api, store, audit, crypto, cli). Call once
// at start-up, before any thread logs. Level names are spdlog's ("info", "debug").
void configure(Format format, std::string_view level);

// The named logger for a subsystem, created on first use. Thread-safe.
std::shared_ptr<spdlog::logger> get(std::string_view subsystem);

}  // namespace wl::log
