#pragma once
// GET /metrics (Prometheus text format). It is on the public API host, so it answers only
// requests from loopback that carry no proxy header (the Cloudflare tunnel's cloudflared connects
// from loopback but always adds CF-Connecting-IP), or with `Authorization: Bearer
// <NEUROPOD_METRICS_TOKEN>`; anything else is 401. Pods by state are counted in the database at
// most every 10 s (a scrape while it is down keeps the last counts).
#include <chrono>
#include <mutex>
#include <string>

#include "core/config.hpp"
#include "core/time.hpp"
#include "db/database.hpp"
#include "http/router.hpp"
#include "metrics/metrics.hpp"

namespace neuropod::metrics {

// Whether a request may read the metrics (see above). Pure.
bool may_scrape(const http::Request& req, const std::string& token);

class MetricsRoutes {
 public:
  MetricsRoutes(Metrics& metrics, db::Database& db, const core::Clock& clock,
                const core::MonitoringConfig& config)
      : metrics_(metrics), db_(db), clock_(clock), token_(config.metrics_token) {}

  void register_routes(http::Router& router);

 private:
  boost::asio::awaitable<http::Response> scrape(http::Request& req);
  boost::asio::awaitable<void> refresh_pods();

  Metrics& metrics_;
  db::Database& db_;
  const core::Clock& clock_;
  std::string token_;
  std::mutex mu_;
  core::TimePoint pods_counted_{};
};

}  // namespace neuropod::metrics
