#include "core/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace neuropod::core {

RateLimiter::RateLimiter(const Clock& clock, unsigned per_minute, std::size_t max_keys)
    : clock_(clock),
      capacity_(static_cast<double>(std::max(per_minute, 1U))),
      per_second_(capacity_ / 60.0),
      max_keys_(std::max<std::size_t>(max_keys, 1)) {}

void RateLimiter::refill(Bucket& b, TimePoint now) const {
  const auto elapsed = std::chrono::duration<double>(now - b.updated).count();
  if (elapsed > 0) {
    b.tokens = std::min(capacity_, b.tokens + elapsed * per_second_);
    b.updated = now;
  }
}

void RateLimiter::prune(TimePoint now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= capacity_ ? buckets_.erase(it) : std::next(it);
  }
  // Still full of busy clients: forget the oldest half rather than grow without bound.
  if (buckets_.size() >= max_keys_) {
    std::vector<TimePoint> times;
    times.reserve(buckets_.size());
    for (const auto& [k, b] : buckets_) {
      times.push_back(b.updated);
    }
    std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2),
                     times.end());
    const auto cutoff = times[times.size() / 2];
    std::erase_if(buckets_, [cutoff](const auto& kv) { return kv.second.updated <= cutoff; });
  }
}

std::optional<std::chrono::seconds> RateLimiter::acquire(std::string_view key) {
  const auto now = clock_.now();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      prune(now);
    }
    it = buckets_.emplace(std::string(key), Bucket{capacity_, now}).first;
  }
  auto& b = it->second;
  refill(b, now);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  const double wait = (1.0 - b.tokens) / per_second_;
  return std::chrono::seconds(std::max<long long>(1, static_cast<long long>(std::ceil(wait))));
}

std::size_t RateLimiter::size() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

}  // namespace neuropod::core
