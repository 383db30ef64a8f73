#include "core/fifo.hpp"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace wl {
namespace {

TEST(FifoTest, KeepsOrderAcrossCompaction) {
  Fifo<int> queue;
  int next_in = 0;
  int next_out = 0;
  // Interleave pushes and pops so the head passes the compaction threshold many times.
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < 7; ++i) {
      queue.push_back(next_in++);
    }
    for (int i = 0; i < 5; ++i) {
      ASSERT_FALSE(queue.empty());
      EXPECT_EQ(queue.front(), next_out++);
      queue.pop_front();
    }
  }
  EXPECT_EQ(queue.size(), static_cast<std::size_t>(next_in - next_out));
  while (!queue.empty()) {
    EXPECT_EQ(queue.front(), next_out++);
    queue.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
}

TEST(FifoTest, PoppedElementsAreReleasedAtOnce) {
  Fifo<std::shared_ptr<const std::string>> queue;
  auto frame = std::make_shared<const std::string>("frame");
  queue.push_back(frame);
  queue.push_back(std::make_shared<const std::string>("other"));
  EXPECT_EQ(frame.use_count(), 2);
  queue.pop_front();
  EXPECT_EQ(frame.use_count(), 1);
  EXPECT_EQ(*queue.front(), "other");
}

TEST(FifoTest, KeepFrontOnlyDropsTheRest) {
  Fifo<int> queue;
  for (int i = 0; i < 5; ++i) {
    queue.push_back(i);
  }
  queue.pop_front();
  queue.keep_front_only();
  ASSERT_EQ(queue.size(), 1U);
  EXPECT_EQ(queue.front(), 1);
  queue.pop_front();
  EXPECT_TRUE(queue.empty());
  queue.keep_front_only();
  EXPECT_TRUE(queue.empty());
}

}  // namespace
}  // namespace wl
