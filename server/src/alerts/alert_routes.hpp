#pragma once
// GET /api/admin/alerts: the alerts raised now (as this instance's alerts loop sees them; only the
// leading instance runs it, the others answer leading: false and no items).
#include "alerts/alerts.hpp"
#include "http/router.hpp"

namespace neuropod::alerts {

class AlertRoutes {
 public:
  explicit AlertRoutes(const AlertsLoop& loop) : loop_(loop) {}
  void register_routes(http::Router& router);

 private:
  boost::asio::awaitable<http::Response> list(http::Request& req);

  const AlertsLoop& loop_;
};

}  // namespace neuropod::alerts
