#include "core/time.hpp"

#include <gtest/gtest.h>

namespace wl {
namespace {

TEST(TimeTest, FormatsRfc3339WithMicroseconds) {
  // 2026-11-25T08:30:00Z is 1795595400 seconds after the epoch.
  const Timestamp t = from_micros(1795595400LL * 1000000 + 123456);
  EXPECT_EQ(format_rfc3339(t), "2026-11-25T08:30:00.123456Z");
}

TEST(TimeTest, MicrosRoundTrip) {
  const Timestamp t = from_micros(1700000000123456LL);
  EXPECT_EQ(to_micros(t), 1700000000123456LL);
}

}  // namespace
}  // namespace wl
