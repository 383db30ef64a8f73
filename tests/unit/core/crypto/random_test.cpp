#include "core/crypto/random.hpp"

#include <gtest/gtest.h>

#include <set>

namespace wl::crypto {
namespace {

TEST(RandomTest, ReturnsTheRequestedNumberOfBytes) {
  EXPECT_EQ(random_bytes(0).size(), 0u);
  EXPECT_EQ(random_bytes(32).size(), 32u);
  EXPECT_EQ(random_bytes(100000).size(), 100000u);
}

TEST(RandomTest, CallsDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(seen.insert(random_bytes(16)).second);
  }
}

TEST(RandomTest, TokenHexIsLowerCaseHexOfTwiceTheLength) {
  const std::string token = random_token_hex(32);
  EXPECT_EQ(token.size(), 64u);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(token, random_token_hex(32));
}

}  // namespace
}  // namespace wl::crypto
