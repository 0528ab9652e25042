#pragma once
// What happens to a request between the socket and the handler, without Beast: middlewares
// (security headers, CORS, rate limits, authentication) around the router. The server calls
// Pipeline::handle for every request; tests call it directly.
#include <chrono>
#include <optional>
#include <string_view>
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

// One answered request, as the server saw it (metrics). Views valid during the call only.
struct RequestRecord {
  std::string_view method;
  std::string_view path;   // without the query
  const RouteInfo* route;  // the route matched by Pipeline::handle; null for the others
  bool fast;               // answered by a Router::fast route (route is null then)
  unsigned status;         // 0: no answer was possible (the connection failed)
  std::chrono::steady_clock::duration duration;  // from the whole request read to the answer sent
};

// Told about every request the server answers, fast routes and connection-level errors (408,
// 413, malformed) included. Called on the connection's strand: must be quick and never throw.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void on_request(const RequestRecord& record) noexcept = 0;
};

class Pipeline {
 public:
  explicit Pipeline(const Router& router, std::vector<Middleware*> middlewares = {})
      : router_(router), middlewares_(std::move(middlewares)) {}

  // Never throws: every failure becomes the one JSON error shape.
  boost::asio::awaitable<Response> handle(Request& req) const;
  // The same; `*matched` is set to the route matched (left as is when none matched).
  boost::asio::awaitable<Response> handle(Request& req, const RouteInfo** matched) const;

  // Who the server tells about each request (null: nobody). Set before the server starts.
  void set_observer(RequestObserver* observer) { observer_ = observer; }
  RequestObserver* observer() const { return observer_; }

  const Router& router() const { return router_; }

 private:
  const Router& router_;
  std::vector<Middleware*> middlewares_;
  RequestObserver* observer_ = nullptr;
};

}  // namespace neuropod::http
