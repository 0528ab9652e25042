#include "alerts/alert_routes.hpp"

namespace neuropod::alerts {

void AlertRoutes::register_routes(http::Router& router) {
  router.get("/api/admin/alerts", http::Access::admin,
             [this](http::Request& req) { return list(req); });
}

boost::asio::awaitable<http::Response> AlertRoutes::list(http::Request&) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& a : loop_.active()) {
    items.push_back(to_json(a));
  }
  co_return http::Response::json(200, {{"items", items}, {"leading", loop_.leading()}});
}

}  // namespace neuropod::alerts
