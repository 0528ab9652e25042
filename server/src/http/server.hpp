#pragma once
// HTTP/1.1 server on Boost.Beast with Asio C++20 coroutines.
//   - bounded request reads: header + body within request_timeout, body_limit, idle keep-alive
//   - per request: request id, routing, error mapping, access log (all in server.cpp)
//   - graceful shutdown: stop accepting, close idle connections, let in-flight requests finish
//     within the grace period, then close the rest
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "core/config.hpp"
#include "http/pipeline.hpp"

namespace neuropod::http {

class Server {
 public:
  // Accepts on `ioc`. Connections run on `session_contexts` in turn (each context run by one
  // thread: a request is answered where it was read, with no hand-over between threads), or on
  // `ioc` when none are given.
  Server(boost::asio::io_context& ioc, const core::HttpConfig& config, const Pipeline& pipeline,
         std::vector<boost::asio::io_context*> session_contexts = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting. Returns the bound port (useful with port 0).
  std::uint16_t start();
  // Graceful shutdown; completes when every connection is closed.
  boost::asio::awaitable<void> shutdown();

  std::size_t open_connections() const;

  struct State;  // implementation detail (server.cpp)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace neuropod::http
