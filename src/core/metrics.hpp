#pragma once

// The Prometheus text format (version 0.0.4), written by hand: a server that exposes
// a few dozen series it reads at scrape time needs an encoder, not a registry with its
// own HTTP server (docs/operations.md, "Monitoring", says why not prometheus-cpp).

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace wl {

struct MetricLabel {
  std::string_view name;   // [a-zA-Z_][a-zA-Z0-9_]*, as the caller spells it.
  std::string_view value;  // Any UTF-8; escaped here.
};

// One scrape's text: families of samples, each family introduced by its HELP and TYPE
// lines. Not thread-safe: one per scrape.
class MetricsText {
 public:
  // Starts a family. `type`: "counter", "gauge" or "histogram".
  void family(std::string_view name, std::string_view type, std::string_view help);
  // A sample of the family begun last (a histogram's name carries its _bucket, _sum or
  // _count suffix).
  void sample(std::string_view name, std::initializer_list<MetricLabel> labels, double value);
  void sample(std::string_view name, double value) { sample(name, {}, value); }
  // A whole family of one sample.
  void counter(std::string_view name, std::string_view help, double value);
  void gauge(std::string_view name, std::string_view help, double value);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// A histogram of durations in fixed buckets (5 ms to 60 s), updated with relaxed
// atomics from any thread: a scrape may see one observation in the count and not yet in
// a bucket, which the next scrape sets right.
class DurationHistogram {
 public:
  static constexpr std::array<double, 12> kBoundsSeconds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                            0.5,   1,    2.5,   5,    10,  60};

  void observe(std::chrono::microseconds duration);
  // Writes the family `name` (in seconds): its buckets, _sum and _count.
  void write(MetricsText& out, std::string_view name, std::string_view help) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBoundsSeconds.size()> buckets_{};  // Not cumulative.
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};
};

}  // namespace wl
