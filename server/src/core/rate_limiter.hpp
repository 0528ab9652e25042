#pragma once
// Token buckets per key (client IP, user id): `per_minute` requests in a burst, refilled evenly.
// Thread-safe; memory bounded by max_keys (full buckets are dropped first).
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/time.hpp"

namespace neuropod::core {

class RateLimiter {
 public:
  RateLimiter(const Clock& clock, unsigned per_minute, std::size_t max_keys = 100'000);

  // nullopt when allowed (one token taken); otherwise how long until the next token.
  std::optional<std::chrono::seconds> acquire(std::string_view key);
  std::size_t size() const;

 private:
  struct Bucket {
    double tokens;
    TimePoint updated;
  };
  void refill(Bucket& b, TimePoint now) const;
  void prune(TimePoint now);

  const Clock& clock_;
  double capacity_;
  double per_second_;
  std::size_t max_keys_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace neuropod::core
