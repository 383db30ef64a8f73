#include "core/status.hpp"

#include <gtest/gtest.h>

namespace wl {
namespace {

Result<int> parse_positive(int value) {
  if (value <= 0) {
    return error(Code::kInvalidArgument, "must be positive");
  }
  return value;
}

Result<int> doubled(int value) {
  const int parsed = WL_TRY(parse_positive(value));
  return parsed * 2;
}

Result<void> check_positive(int value) {
  WL_TRY(parse_positive(value));
  return ok();
}

TEST(StatusTest, TryYieldsTheValueOnSuccess) {
  const auto result = doubled(21);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, 42);
}

TEST(StatusTest, TryPropagatesTheError) {
  const auto result = doubled(-1);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(result.error().to_string(), "invalid_argument: must be positive");
}

TEST(StatusTest, TryWorksForVoidResults) {
  EXPECT_TRUE(check_positive(3).has_value());
  EXPECT_EQ(check_positive(0).error().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace wl
