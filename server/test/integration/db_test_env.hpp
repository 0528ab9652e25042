#pragma once
// Integration tests run against the real local database (FerretDB in `make test`, MongoDB works
// too): NEUROPOD_TEST_MONGODB_URI names the server; every test binary uses its own throw-away
// database, dropped at the end.
#include <future>
#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "db/database.hpp"

namespace neuropod::test {

db::Database& database();
const core::DatabaseConfig& database_config();

// Runs a coroutine to completion on a private io_context and returns its result.
template <typename T>
T run(boost::asio::awaitable<T> aw) {
  boost::asio::io_context ioc;
  auto fut = boost::asio::co_spawn(ioc, std::move(aw), boost::asio::use_future);
  ioc.run();
  return fut.get();
}

}  // namespace neuropod::test
