#pragma once

// What the in-process benchmarks (`wardline bench directory`, `bench search`) share:
// percentiles of timed samples.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

namespace wl::cli {

struct Percentiles {
  double p50 = 0;
  double p99 = 0;
  double mean = 0;
};

inline Percentiles percentiles(std::vector<double> micros) {
  Percentiles result;
  if (micros.empty()) {
    return result;
  }
  std::sort(micros.begin(), micros.end());
  const auto at = [&](double q) {
    const auto index = static_cast<std::size_t>(q * static_cast<double>(micros.size() - 1) + 0.5);
    return micros[std::min(index, micros.size() - 1)];
  };
  result.p50 = at(0.50);
  result.p99 = at(0.99);
  double sum = 0;
  for (const double value : micros) {
    sum += value;
  }
  result.mean = sum / static_cast<double>(micros.size());
  return result;
}

inline double micros_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace wl::cli
