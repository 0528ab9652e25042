#pragma once
// GET /api/status, GET /api/health (liveness: the process answers), GET /api/ready (readiness:
// the database and Kubernetes answer within ready_timeout each, else 503 service_unavailable with
// details.reasons), and in the test environment POST /api/_echo (exercises body parsing).
#include <string>

#include "core/config.hpp"
#include "core/time.hpp"
#include "db/database.hpp"
#include "http/router.hpp"
#include "runtime/pod_runtime.hpp"

namespace neuropod::system {

class StatusRoutes {
 public:
  // `runtime` null: no cluster configured.
  StatusRoutes(db::Database& db, const core::Clock& clock, core::Environment env,
               runtime::PodRuntime* runtime,
               std::chrono::milliseconds ready_timeout = std::chrono::milliseconds(2'000))
      : db_(db),
        clock_(clock),
        env_(env),
        runtime_(runtime),
        started_(clock.now()),
        ready_timeout_(ready_timeout) {}

  void register_routes(http::Router& router);

 private:
  boost::asio::awaitable<http::Response> status(http::Request& req);
  boost::asio::awaitable<http::Response> echo(http::Request& req);
  boost::asio::awaitable<http::Response> health(http::Request& req);
  boost::asio::awaitable<http::Response> ready(http::Request& req);

  db::Database& db_;
  const core::Clock& clock_;
  core::Environment env_;
  runtime::PodRuntime* runtime_;
  core::TimePoint started_;
  std::chrono::milliseconds ready_timeout_;
};

}  // namespace neuropod::system
