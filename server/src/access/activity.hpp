#pragma once
// Marks pods active cheaply: every authorised request through the ingress calls mark() (a map
// update under a mutex); flush() writes what was marked since the last flush in one bulk write,
// each pod's `last_activity_at` only moving forward ($max), so two instances flushing in any
// order agree. The idle culler reads `last_activity_at`.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <string>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>

#include "core/time.hpp"
#include "db/database.hpp"

namespace neuropod::access {

class ActivityRecorder {
 public:
  ActivityRecorder(db::Database& db, const core::Clock& clock) : db_(db), clock_(clock) {}

  void mark(const std::string& pod_id);
  // Writes the marks taken so far; returns how many pods. A failed write puts them back.
  boost::asio::awaitable<std::size_t> flush();
  // flush() every `every` until stopped, and once more at the end.
  boost::asio::awaitable<void> run(std::chrono::milliseconds every, std::stop_token stop);

  std::size_t pending() const;

 private:
  db::Database& db_;
  const core::Clock& clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, core::TimePoint> marks_;
};

}  // namespace neuropod::access
