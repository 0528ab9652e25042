#include "core/rate_limiter.hpp"

#include <gtest/gtest.h>

using neuropod::core::ManualClock;
using neuropod::core::RateLimiter;
using namespace std::chrono_literals;

TEST(RateLimiter, AllowsABurstThenRefillsEvenly) {
  ManualClock clock(std::chrono::system_clock::now());
  RateLimiter limit(clock, 60);  // one per second
  for (int i = 0; i < 60; ++i) {
    ASSERT_FALSE(limit.acquire("ip:1").has_value()) << i;
  }
  auto wait = limit.acquire("ip:1");
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, 1s);
  EXPECT_FALSE(limit.acquire("ip:2").has_value()) << "keys are independent";
  clock.advance(1000ms);
  EXPECT_FALSE(limit.acquire("ip:1").has_value());
  EXPECT_TRUE(limit.acquire("ip:1").has_value());
}

TEST(RateLimiter, RetryAfterCoversTheWait) {
  ManualClock clock(std::chrono::system_clock::now());
  RateLimiter limit(clock, 3);  // one per 20 s
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(limit.acquire("k").has_value());
  }
  EXPECT_EQ(limit.acquire("k"), std::optional(20s));
  clock.advance(15s);
  EXPECT_EQ(limit.acquire("k"), std::optional(5s));
  clock.advance(5s);
  EXPECT_FALSE(limit.acquire("k").has_value());
}

TEST(RateLimiter, MemoryIsBounded) {
  ManualClock clock(std::chrono::system_clock::now());
  RateLimiter limit(clock, 10, 100);
  for (int i = 0; i < 1000; ++i) {
    limit.acquire("ip:" + std::to_string(i));
    clock.advance(1ms);
  }
  EXPECT_LE(limit.size(), 100u);
}
