#include "core/metrics.hpp"

#include <cmath>

#include <fmt/format.h>

namespace wl {
namespace {

// A label value as the format wants it: backslash, double quote and newline escaped.
void append_escaped(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
}

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else if (value == std::floor(value) && std::fabs(value) < 1e15) {
    fmt::format_to(std::back_inserter(out), "{}", static_cast<std::int64_t>(value));
  } else {
    fmt::format_to(std::back_inserter(out), "{}", value);
  }
}

}  // namespace

void MetricsText::family(std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(text_), "# HELP {} ", name);
  // HELP escapes only backslash and newline.
  for (const char c : help) {
    if (c == '\\') {
      text_ += "\\\\";
    } else if (c == '\n') {
      text_ += "\\n";
    } else {
      text_.push_back(c);
    }
  }
  fmt::format_to(std::back_inserter(text_), "\n# TYPE {} {}\n", name, type);
}

void MetricsText::sample(std::string_view name, std::initializer_list<MetricLabel> labels,
                         double value) {
  text_ += name;
  if (labels.size() > 0) {
    text_.push_back('{');
    bool first = true;
    for (const MetricLabel& label : labels) {
      if (!first) {
        text_.push_back(',');
      }
      first = false;
      text_ += label.name;
      text_ += "=\"";
      append_escaped(text_, label.value);
      text_.push_back('"');
    }
    text_.push_back('}');
  }
  text_.push_back(' ');
  append_value(text_, value);
  text_.push_back('\n');
}

void MetricsText::counter(std::string_view name, std::string_view help, double value) {
  family(name, "counter", help);
  sample(name, value);
}

void MetricsText::gauge(std::string_view name, std::string_view help, double value) {
  family(name, "gauge", help);
  sample(name, value);
}

void DurationHistogram::observe(std::chrono::microseconds duration) {
  const auto micros = static_cast<std::uint64_t>(std::max<std::int64_t>(duration.count(), 0));
  const double seconds = static_cast<double>(micros) / 1e6;
  for (std::size_t i = 0; i < kBoundsSeconds.size(); ++i) {
    if (seconds <= kBoundsSeconds[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  sum_micros_.fetch_add(micros, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void DurationHistogram::write(MetricsText& out, std::string_view name,
                              std::string_view help) const {
  out.family(name, "histogram", help);
  const std::string bucket = fmt::format("{}_bucket", name);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBoundsSeconds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    const std::string bound = fmt::format("{}", kBoundsSeconds[i]);
    out.sample(bucket, {{"le", bound}}, static_cast<double>(cumulative));
  }
  const std::uint64_t count = count_.load(std::memory_order_relaxed);
  out.sample(bucket, {{"le", "+Inf"}}, static_cast<double>(std::max(count, cumulative)));
  out.sample(fmt::format("{}_sum", name),
             static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6);
  out.sample(fmt::format("{}_count", name), static_cast<double>(std::max(count, cumulative)));
}

}  // namespace wl
