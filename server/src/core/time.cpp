#include "core/time.hpp"

#include <ctime>

#include <fmt/format.h>

namespace neuropod::core {

std::int64_t to_unix_millis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint from_unix_millis(std::int64_t ms) {
  return TimePoint(std::chrono::milliseconds(ms));
}

std::string to_iso8601(TimePoint t) {
  const std::int64_t ms = to_unix_millis(t);
  std::int64_t secs = ms / 1000;
  std::int64_t rem = ms % 1000;
  if (rem < 0) {
    rem += 1000;
    secs -= 1;
  }
  const auto tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rem);
}

}  // namespace neuropod::core
