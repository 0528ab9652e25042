#pragma once
// What happens to a request between the socket and the handler, without Beast: middlewares
// (security headers, CORS, rate limits, authentication) around the router. The server calls
// Pipeline::handle for every request; tests call it directly.
#include <optional>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "http/message.hpp"
#include "http/router.hpp"

namespace neuropod::http {

class Middleware {
 public:
  virtual ~Middleware() = default;
  // Before routing. May answer the request itself (CORS preflight) or throw a core::Error.
  virtual std::optional<Response> before_routing(Request& req);
  // Once the route is known, before its handler (authentication, authorization, CSRF).
  virtual boost::asio::awaitable<void> before_handler(Request& req, const RouteInfo& route);
  // Every response, errors included, in reverse order of registration.
  virtual void after(const Request& req, Response& res);
};

class Pipeline {
 public:
  explicit Pipeline(const Router& router, std::vector<Middleware*> middlewares = {})
      : router_(router), middlewares_(std::move(middlewares)) {}

  // Never throws: every failure becomes the one JSON error shape.
  boost::asio::awaitable<Response> handle(Request& req) const;

  const Router& router() const { return router_; }

 private:
  const Router& router_;
  std::vector<Middleware*> middlewares_;
};

}  // namespace neuropod::http
