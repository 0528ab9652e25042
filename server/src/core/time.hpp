#pragma once
// Time: an injectable clock for loops and tests, and ISO-8601 formatting.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace neuropod::core {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

// For tests: time moves only when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_(start) {}
  TimePoint now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void advance(std::chrono::milliseconds d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_;
};

// "2026-11-28T11:06:07.123Z"
std::string to_iso8601(TimePoint t);
// RFC 3339 in UTC ("Z") or with an offset, fractional seconds optional (kept to the millisecond):
// what Kubernetes and MongoDB write. nullopt when malformed.
std::optional<TimePoint> from_iso8601(std::string_view text);
std::int64_t to_unix_millis(TimePoint t);
TimePoint from_unix_millis(std::int64_t ms);

}  // namespace neuropod::core
