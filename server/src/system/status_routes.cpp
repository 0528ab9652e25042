#include "system/status_routes.hpp"

#include <chrono>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/errors.hpp"
#include "core/probe.hpp"

namespace neuropod::system {

void StatusRoutes::register_routes(http::Router& router) {
  router.get("/api/status", http::Access::anonymous,
             [this](http::Request& req) { return status(req); });
  router.get("/api/health", http::Access::anonymous,
             [this](http::Request& req) { return health(req); });
  router.get("/api/ready", http::Access::anonymous,
             [this](http::Request& req) { return ready(req); });
  if (env_ == core::Environment::test) {
    router.post("/api/_echo", http::Access::anonymous,
                [this](http::Request& req) { return echo(req); });
  }
}

boost::asio::awaitable<http::Response> StatusRoutes::status(http::Request&) {
  using std::chrono::duration;
  using std::chrono::steady_clock;
  nlohmann::json database;
  try {
    const auto ms = co_await db_.run([](db::Conn& c) {
      const auto t0 = steady_clock::now();
      c.ping();
      return duration<double, std::milli>(steady_clock::now() - t0).count();
    });
    database = {{"status", "ok"}, {"latency_ms", ms}};
  } catch (const core::Error& e) {
    database = {{"status", "down"}, {"error", e.what()}};
  }
  nlohmann::json kubernetes = {{"status", "not_configured"}};
  if (runtime_ != nullptr) {
    const auto t0 = steady_clock::now();
    try {
      co_await runtime_->ping();
      kubernetes = {{"status", "ok"},
                    {"latency_ms", duration<double, std::milli>(steady_clock::now() - t0).count()}};
    } catch (const core::Error& e) {
      kubernetes = {{"status", "down"}, {"error", e.what()}};
    }
  }
  const auto now = clock_.now();
  co_return http::Response::json(200, {{"name", "neuropod"},
                                       {"version", NEUROPOD_VERSION},
                                       {"environment", core::to_string(env_)},
                                       {"uptime_seconds", duration<double>(now - started_).count()},
                                       {"time", core::to_iso8601(now)},
                                       {"database", database},
                                       {"kubernetes", kubernetes}});
}

boost::asio::awaitable<http::Response> StatusRoutes::health(http::Request&) {
  co_return http::Response::json(200, {{"status", "ok"}});
}

namespace {

nlohmann::json check_json(const std::optional<std::string>& failure, double ms) {
  if (failure) {
    return {{"status", "down"}, {"error", *failure}};
  }
  return {{"status", "ok"}, {"latency_ms", ms}};
}

}  // namespace

boost::asio::awaitable<http::Response> StatusRoutes::ready(http::Request&) {
  using std::chrono::duration;
  using std::chrono::steady_clock;
  nlohmann::json checks = nlohmann::json::object();
  nlohmann::json reasons = nlohmann::json::array();
  auto t0 = steady_clock::now();
  const auto db_failure =
      co_await core::probe(db_.run([](db::Conn& c) { c.ping(); }), ready_timeout_);
  checks["database"] =
      check_json(db_failure, duration<double, std::milli>(steady_clock::now() - t0).count());
  if (db_failure) {
    reasons.push_back("database: " + *db_failure);
  }
  if (runtime_ == nullptr) {
    checks["kubernetes"] = {{"status", "not_configured"}};
  } else {
    t0 = steady_clock::now();
    const auto k8s_failure = co_await core::probe(runtime_->ping(), ready_timeout_);
    checks["kubernetes"] =
        check_json(k8s_failure, duration<double, std::milli>(steady_clock::now() - t0).count());
    if (k8s_failure) {
      reasons.push_back("kubernetes: " + *k8s_failure);
    }
  }
  if (!reasons.empty()) {
    nlohmann::json details = {{"reasons", reasons}, {"checks", checks}};
    throw core::Error(core::ErrorCode::service_unavailable, "Not ready", std::move(details));
  }
  co_return http::Response::json(200, {{"status", "ready"}, {"checks", checks}});
}

// Test-only: echoes a JSON object; `?delay_ms=N` (at most 10 s) answers late, so tests can hold a
// request in flight (graceful shutdown).
boost::asio::awaitable<http::Response> StatusRoutes::echo(http::Request& req) {
  const auto& body = req.json_object();
  if (auto delay = req.query_param("delay_ms")) {
    int ms = 0;
    try {
      ms = std::stoi(*delay);
    } catch (const std::exception&) {
      ms = -1;
    }
    if (ms < 0 || ms > 10'000) {
      throw core::ValidationError("delay_ms", "must be a whole number from 0 to 10000");
    }
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    timer.expires_after(std::chrono::milliseconds(ms));
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
  co_return http::Response::json(200, {{"received", body}});
}
}  // namespace neuropod::system
