#include "app/app.hpp"

#include <set>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "admin/user_admin_routes.hpp"
#include "audit/audit_log.hpp"
#include "auth/auth_middleware.hpp"
#include "auth/auth_routes.hpp"
#include "auth/auth_service.hpp"
#include "auth/google.hpp"
#include "auth/session_store.hpp"
#include "billing/ledger.hpp"
#include "catalog/catalog.hpp"
#include "catalog/catalog_routes.hpp"
#include "contract/contract.hpp"
#include "core/logging.hpp"
#include "core/rate_limiter.hpp"
#include "http/client.hpp"
#include "http/security.hpp"
#include "system/status_routes.hpp"
#include "users/user_store.hpp"

namespace neuropod::app {

namespace {

constexpr auto kHousekeepingEvery = std::chrono::minutes(1);
constexpr int kSessionPurgeEveryRounds = 10;

http::TlsOptions outbound_tls(const core::Config& config) {
  http::TlsOptions tls;
  tls.ca_file = config.outbound.ca_file;
  return tls;
}

}  // namespace

struct App::Parts {
  Parts(const core::Config& cfg, db::Database& db, const core::Clock& clock,
        const boost::asio::any_io_executor& executor)
      : config(cfg),
        outbound(executor, outbound_tls(cfg)),
        users(db, clock),
        sessions(db, clock),
        audit(db, clock),
        ledger(db, clock),
        catalog(db, clock, cfg.initial_balance),
        auth(cfg, clock, users, sessions, audit, ledger, catalog),
        google(cfg.auth.google, outbound, clock, cfg.outbound.timeout),
        general_limit(clock, cfg.auth.rate.general_per_minute),
        sign_in_limit(clock, cfg.auth.rate.auth_per_minute),
        user_limit(clock, cfg.auth.rate.user_per_minute),
        security(http::SecurityOptions{.allowed_origins = cfg.auth.allowed_origins,
                                       .production = cfg.env == core::Environment::production,
                                       .trust_proxy_headers = cfg.auth.trust_proxy_headers},
                 general_limit),
        auth_guard(auth, cfg.auth.allowed_origins, sign_in_limit, user_limit),
        status_routes(db, clock, cfg.env),
        auth_routes(cfg, clock, auth, google, users, audit),
        catalog_routes(catalog, audit),
        user_admin_routes(users, sessions, ledger, auth, audit),
        contract(register_all(), cfg.env == core::Environment::test
                                     ? std::set<std::string>{"POST /api/_echo"}
                                     : std::set<std::string>{}),
        // After the guard: 401/403 before 400.
        pipeline(router, {&security, &auth_guard, &contract}) {}

  // Every route, then the list the contract middleware checks against api/openapi.yaml (the
  // server refuses to start with a route the document does not describe).
  std::vector<http::RouteInfo> register_all() {
    status_routes.register_routes(router);
    contract_routes.register_routes(router);
    auth_routes.register_routes(router);
    catalog_routes.register_routes(router);
    user_admin_routes.register_routes(router);
    return router.routes();
  }

  const core::Config& config;
  http::HttpClient outbound;
  users::UserStore users;
  auth::SessionStore sessions;
  audit::AuditLog audit;
  billing::Ledger ledger;
  catalog::Catalog catalog;
  auth::AuthService auth;
  auth::GoogleAuth google;
  core::RateLimiter general_limit;
  core::RateLimiter sign_in_limit;
  core::RateLimiter user_limit;
  http::SecurityMiddleware security;
  auth::AuthMiddleware auth_guard;
  system::StatusRoutes status_routes;
  auth::AuthRoutes auth_routes;
  catalog::CatalogRoutes catalog_routes;
  admin::UserAdminRoutes user_admin_routes;
  contract::ContractRoutes contract_routes;
  http::Router router;
  contract::ContractMiddleware contract;
  http::Pipeline pipeline;
};

App::App(const core::Config& config, db::Database& db, const core::Clock& clock,
         const boost::asio::any_io_executor& executor)
    : parts_(std::make_unique<Parts>(config, db, clock, executor)) {}

App::~App() = default;

const http::Pipeline& App::pipeline() const {
  return parts_->pipeline;
}
const http::Router& App::router() const {
  return parts_->router;
}
auth::AuthService& App::auth() {
  return parts_->auth;
}

boost::asio::awaitable<void> App::prepare() {
  co_await parts_->catalog.seed();
  co_await parts_->ledger.recover();
}

boost::asio::awaitable<void> App::run_background() {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (int round = 0;; ++round) {
    try {
      if (round % kSessionPurgeEveryRounds == 0) {
        const auto purged = co_await parts_->sessions.purge_expired();
        if (purged > 0) {
          log::info("auth.sessions_purged", {{"count", purged}});
        }
      }
      co_await parts_->ledger.recover();
    } catch (const std::exception& e) {
      log::warn("housekeeping.failed", {{"error", e.what()}});
    }
    timer.expires_after(kHousekeepingEvery);
    boost::system::error_code ec;
    co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec) {
      co_return;
    }
  }
}

}  // namespace neuropod::app
