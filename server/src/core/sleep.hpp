#pragma once
// Background loops' wait: `d` on a timer of the current executor, unless `stop` is requested
// first (looked at every 200 ms, so a stop from any thread ends the wait promptly).
#include <chrono>
#include <stop_token>

#include <boost/asio/awaitable.hpp>

namespace neuropod::core {

// true: `d` passed; false: stop was requested (or the timer was cancelled).
boost::asio::awaitable<bool> sleep_for(std::chrono::milliseconds d, std::stop_token stop);

}  // namespace neuropod::core
