#pragma once
// A health probe with a deadline: runs an operation on the current executor and reports how it
// went within `timeout`. When time runs out the operation keeps running detached (its outcome is
// ignored), so a probe never waits longer than `timeout` whatever the operation does.
#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

namespace neuropod::core {

// nullopt: `op` completed in time; else why not ("no answer within 2000 ms" or what it threw).
boost::asio::awaitable<std::optional<std::string>> probe(boost::asio::awaitable<void> op,
                                                         std::chrono::milliseconds timeout);

}  // namespace neuropod::core
