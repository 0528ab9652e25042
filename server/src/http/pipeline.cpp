#include "http/pipeline.hpp"

#include "http/error_mapping.hpp"

namespace neuropod::http {

std::optional<Response> Middleware::before_routing(Request& /*req*/) {
  return std::nullopt;
}

boost::asio::awaitable<void> Middleware::before_handler(Request& /*req*/,
                                                        const RouteInfo& /*route*/) {
  co_return;
}

void Middleware::after(const Request& /*req*/, Response& /*res*/) {}

namespace {

boost::asio::awaitable<Response> route_and_run(const Router& router,
                                               const std::vector<Middleware*>& middlewares,
                                               Request& req, const RouteInfo** matched) {
  for (auto* m : middlewares) {
    if (auto early = m->before_routing(req)) {
      co_return std::move(*early);
    }
  }
  auto match = router.match(req.method, req.path);
  req.params = std::move(match.params);
  if (matched != nullptr) {
    *matched = match.route;
  }
  for (auto* m : middlewares) {
    co_await m->before_handler(req, *match.route);
  }
  co_return co_await (*match.handler)(req);
}

}  // namespace

boost::asio::awaitable<Response> Pipeline::handle(Request& req) const {
  co_return co_await handle(req, nullptr);
}

boost::asio::awaitable<Response> Pipeline::handle(Request& req, const RouteInfo** matched) const {
  std::exception_ptr failure;
  Response res;
  try {
    res = co_await route_and_run(router_, middlewares_, req, matched);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    res = response_for_exception(failure, req.request_id);
  }
  for (auto it = middlewares_.rbegin(); it != middlewares_.rend(); ++it) {
    (*it)->after(req, res);
  }
  co_return res;
}

}  // namespace neuropod::http
