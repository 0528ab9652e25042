#pragma once
// The application assembled: stores, services, routes and middlewares, in dependency order.
// main.cpp and the in-process tests build the same App, so tests see every route.
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "core/config.hpp"
#include "core/time.hpp"
#include "db/database.hpp"
#include "http/pipeline.hpp"

namespace neuropod::auth {
class AuthService;
}
namespace neuropod::core {
class EventBus;
}
namespace neuropod::metrics {
class Metrics;
}
namespace neuropod::pods {
class PodService;
class Reconciler;
}  // namespace neuropod::pods

namespace neuropod::app {

class App {
 public:
  App(const core::Config& config, db::Database& db, const core::Clock& clock,
      const boost::asio::any_io_executor& executor);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  const http::Pipeline& pipeline() const;
  const http::Router& router() const;
  auth::AuthService& auth();
  pods::PodService& pods();
  pods::Reconciler* reconciler();  // null without a cluster
  core::EventBus& events();
  // main.cpp feeds it the database's timings (shared: the database may outlive the app).
  std::shared_ptr<metrics::Metrics> metrics();

  // Once the schema exists: default templates and settings (first start only), unfinished ledger
  // entries. Idempotent.
  boost::asio::awaitable<void> prepare();
  // Housekeeping every minute: unfinished ledger entries, expired sessions (every 10 minutes);
  // and the pod reconciler (when a cluster is configured). Idempotent. Runs until the executor
  // stops.
  boost::asio::awaitable<void> run_background();

  struct Parts;

 private:
  std::unique_ptr<Parts> parts_;
};

}  // namespace neuropod::app
