#include "services/identity/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace wl {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class RateLimiterTest : public ::testing::Test {
 protected:
  ManualClock clock_{from_micros(1'800'000'000'000'000)};
  RateLimiter limiter_{clock_, /*rate_per_second=*/2.0, /*burst=*/5.0};
};

TEST_F(RateLimiterTest, AllowsABurstThenRefuses) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(limiter_.try_acquire("192.0.2.1")) << i;
  }
  EXPECT_FALSE(limiter_.try_acquire("192.0.2.1"));
  EXPECT_FALSE(limiter_.try_acquire("192.0.2.1"));
}

TEST_F(RateLimiterTest, RefillsWithTime) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(limiter_.try_acquire("user:1"));
  }
  ASSERT_FALSE(limiter_.try_acquire("user:1"));
  clock_.advance(milliseconds(250));  // Half a token.
  EXPECT_FALSE(limiter_.try_acquire("user:1"));
  clock_.advance(milliseconds(250));  // Now one.
  EXPECT_TRUE(limiter_.try_acquire("user:1"));
  EXPECT_FALSE(limiter_.try_acquire("user:1"));
  clock_.advance(seconds(1));  // Two more.
  EXPECT_TRUE(limiter_.try_acquire("user:1"));
  EXPECT_TRUE(limiter_.try_acquire("user:1"));
  EXPECT_FALSE(limiter_.try_acquire("user:1"));
}

TEST_F(RateLimiterTest, RefusalsTakeNothing) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(limiter_.try_acquire("k"));
  }
  for (int i = 0; i < 10; ++i) {
    ASSERT_FALSE(limiter_.try_acquire("k"));
  }
  clock_.advance(milliseconds(500));
  EXPECT_TRUE(limiter_.try_acquire("k"));
}

TEST_F(RateLimiterTest, RefillStopsAtTheBurst) {
  ASSERT_TRUE(limiter_.try_acquire("k"));
  clock_.advance(std::chrono::hours(1));
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(limiter_.try_acquire("k")) << i;
  }
  EXPECT_FALSE(limiter_.try_acquire("k"));
}

TEST_F(RateLimiterTest, KeysAreIndependent) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(limiter_.try_acquire("192.0.2.1"));
  }
  ASSERT_FALSE(limiter_.try_acquire("192.0.2.1"));
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(limiter_.try_acquire("192.0.2.2")) << i;
  }
  EXPECT_FALSE(limiter_.try_acquire("192.0.2.2"));
  EXPECT_FALSE(limiter_.try_acquire("192.0.2.1"));
}

TEST_F(RateLimiterTest, ClockGoingBackwardsAddsNoTokens) {
  ManualClock clock(from_micros(1'800'000'000'000'000));
  RateLimiter limiter(clock, 1.0, 1.0);
  ASSERT_TRUE(limiter.try_acquire("k"));
  clock.advance(-seconds(10));
  EXPECT_FALSE(limiter.try_acquire("k"));
}

TEST_F(RateLimiterTest, ForgettingIdleBucketsKeepsEmptyOnes) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(limiter_.try_acquire("busy"));
  }
  // Enough traffic on other keys that every shard sweeps its full buckets many times.
  for (int i = 0; i < 40'000; ++i) {
    limiter_.try_acquire("other:" + std::to_string(i % 3000));
  }
  EXPECT_FALSE(limiter_.try_acquire("busy"));
}

}  // namespace
}  // namespace wl
