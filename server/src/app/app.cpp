#include "app/app.hpp"

#include <atomic>
#include <functional>
#include <optional>
#include <set>
#include <stop_token>

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "access/access_routes.hpp"
#include "access/activity.hpp"
#include "access/pod_access.hpp"
#include "admin/user_admin_routes.hpp"
#include "alerts/alert_routes.hpp"
#include "alerts/alerts.hpp"
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
#include "idle/idle_culler.hpp"
#include "idle/lifecycle.hpp"
#include "k8s/kube_runtime.hpp"
#include "metering/billing_loop.hpp"
#include "metering/billing_routes.hpp"
#include "metering/meter.hpp"
#include "metering/reports.hpp"
#include "metrics/metrics.hpp"
#include "metrics/metrics_routes.hpp"
#include "notify/notification_routes.hpp"
#include "notify/notifications.hpp"
#include "pods/pod_routes.hpp"
#include "pods/reconciler.hpp"
#include "realtime/hub.hpp"
#include "realtime/ws_routes.hpp"
#include "system/status_routes.hpp"
#include "users/user_store.hpp"

namespace neuropod::app {

namespace {

constexpr auto kHousekeepingEvery = std::chrono::minutes(1);
constexpr int kSessionPurgeEveryRounds = 10;
constexpr std::chrono::milliseconds kActivityFlushEvery{15'000};

http::TlsOptions outbound_tls(const core::Config& config) {
  http::TlsOptions tls;
  tls.ca_file = config.outbound.ca_file;
  return tls;
}

// The backend's Kubernetes identity: a kubeconfig, else in-cluster, else none (no cluster: pod
// calls answer 503). Throws std::invalid_argument naming the problem (the server exits 2).
std::unique_ptr<k8s::KubeClient> kube_client(const core::Config& cfg,
                                             const boost::asio::any_io_executor& executor,
                                             metrics::Metrics& metrics) {
  const auto& k = cfg.k8s;
  if (!k.configured()) {
    return nullptr;
  }
  k8s::KubeConfig kc;
  if (!k.kubeconfig.empty()) {
    kc = k8s::load_kubeconfig(k.kubeconfig, k.context);
  } else {
    kc = k8s::in_cluster(k.service_host, k.service_port);
  }
  k8s::KubeClientOptions options;
  options.request_timeout = k.request_timeout;
  options.connect_timeout = k.request_timeout;
  options.observer = [&metrics](std::string_view verb, std::chrono::nanoseconds elapsed,
                                std::string_view error) {
    metrics.observe_k8s(verb, elapsed, error);
  };
  return std::make_unique<k8s::KubeClient>(executor, std::move(kc), options);
}

std::unique_ptr<k8s::KubeRuntime> kube_runtime(const core::Config& cfg, k8s::KubeClient* client,
                                               const core::Clock& clock,
                                               const access::ActivityTokens* tokens) {
  if (client == nullptr) {
    return nullptr;
  }
  k8s::KubeRuntimeOptions o;
  o.namespace_ = cfg.k8s.namespace_;
  o.ingress_namespace = cfg.k8s.ingress_namespace;
  o.extra_denied_cidrs = cfg.k8s.extra_denied_cidrs;
  o.fs_group = cfg.k8s.fs_group;
  o.image_pull_secrets = cfg.k8s.image_pull_secrets;
  o.instance = cfg.k8s.instance;
  o.auth_url = cfg.k8s.pod_auth_url;
  if (!cfg.k8s.public_api_url.empty()) {
    o.auth_signin =
        cfg.k8s.public_api_url + "/api/pod-access/signin?rd=$scheme://$host$escaped_request_uri";
  }
  o.access_service = cfg.k8s.access_service;
  if (!cfg.k8s.public_api_url.empty() && !cfg.k8s.activity_image.empty()) {
    o.activity_image = cfg.k8s.activity_image;
    o.activity_url = cfg.k8s.public_api_url + std::string(access::AccessRoutes::kActivityRoute);
    o.activity_interval_s = cfg.k8s.activity_interval_s;
    o.activity_token = [tokens](const std::string& pod_id) { return tokens->issue(pod_id); };
  }
  return std::make_unique<k8s::KubeRuntime>(*client, clock, std::move(o));
}

std::string instance_identity(const core::Config& cfg) {
  if (!cfg.k8s.instance_id.empty()) {
    return cfg.k8s.instance_id;
  }
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) {
    host[0] = '\0';
  }
  return std::string(host.data()) + "-" + std::to_string(getpid());
}

std::unique_ptr<pods::Reconciler> reconciler(const core::Config& cfg, pods::PodService& pods,
                                             runtime::PodRuntime* runtime) {
  if (runtime == nullptr) {
    return nullptr;
  }
  return std::make_unique<pods::Reconciler>(
      pods, *runtime,
      pods::ReconcilerOptions{.identity = instance_identity(cfg),
                              .lease_duration = cfg.k8s.lease_duration,
                              .resync_every = cfg.k8s.resync});
}

// The billing pass on the instance leading the reconciler (every instance when there is none:
// without a cluster nothing runs, so there is nothing to charge twice).
metering::BillingLoopOptions billing_loop_options(
    const core::Config& cfg, const pods::Reconciler* reconciler,
    std::function<void(const metering::BillingLoopOptions::Pass&)> on_pass) {
  metering::BillingLoopOptions o;
  o.interval = cfg.billing_interval;
  o.on_pass = std::move(on_pass);
  if (reconciler != nullptr) {
    o.leading = [reconciler] { return reconciler->leading(); };
  }
  return o;
}

access::AccessOptions access_options(const core::Config& cfg) {
  access::AccessOptions o;
  o.keys = cfg.auth.session_keys;
  o.cookie_secure = cfg.auth.cookie_secure || cfg.env == core::Environment::production;
  o.app_origin = cfg.app_origin;
  return o;
}

// The alerts loop's options (config) and thresholds.
alerts::AlertsLoopOptions alerts_options(const core::Config& cfg) {
  const auto& m = cfg.monitoring;
  alerts::AlertsLoopOptions o;
  o.alerts.pod_failures = m.pod_failures;
  o.alerts.pod_failure_window = m.pod_failure_window;
  o.alerts.failing_pods = m.failing_pods;
  o.alerts.billing_interval = cfg.billing_interval;
  o.interval = m.alert_interval;
  o.probe_timeout = m.ready_timeout;
  o.webhook_url = m.alert_webhook_url;
  return o;
}

// Idle culling on the instance leading the reconciler (nothing runs without a cluster).
idle::CullerOptions culler_options(const pods::Reconciler* reconciler) {
  idle::CullerOptions o;
  if (reconciler != nullptr) {
    o.leading = [reconciler] { return reconciler->leading(); };
  }
  return o;
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
        kube(kube_client(cfg, executor, metrics)),
        activity_tokens(cfg.auth.session_keys),
        pod_runtime(kube_runtime(cfg, kube.get(), clock, &activity_tokens)),
        notifications(db, bus, clock),
        pod_store(db, clock),
        pods(pod_store, users, catalog, pod_runtime.get(), bus, clock),
        reconciler(app::reconciler(cfg, pods, pod_runtime.get())),
        enforcer([this](db::Oid user, std::string reason, std::string message) {
          return pods.stop_all_of(user, std::move(reason), std::move(message));
        }),
        meter(db, ledger, bus, clock, &catalog, &enforcer),
        meter_hooks(meter),
        billing_loop(meter,
                     billing_loop_options(cfg, reconciler.get(),
                                          [this](const metering::BillingLoopOptions::Pass& p) {
                                            on_billing_pass(p);
                                          })),
        now_clock(clock),
        alerts_loop(alerts_deps(db), alerts_options(cfg)),
        reports(db, clock),
        auth(cfg, clock, users, sessions, audit, ledger, catalog),
        pod_access(db, auth, pods, clock, access_options(cfg)),
        activity(db, clock),
        culler(db, catalog, pods, notifications, clock, culler_options(reconciler.get())),
        lifecycle(catalog, pods, pod_store, users, clock),
        google(cfg.auth.google, outbound, clock, cfg.outbound.timeout),
        general_limit(clock, cfg.auth.rate.general_per_minute),
        sign_in_limit(clock, cfg.auth.rate.auth_per_minute),
        user_limit(clock, cfg.auth.rate.user_per_minute),
        security(
            http::SecurityOptions{
                .allowed_origins = cfg.auth.allowed_origins,
                .production = cfg.env == core::Environment::production,
                .trust_proxy_headers = cfg.auth.trust_proxy_headers,
                .trusted_proxies = core::IpRanges::parse(cfg.auth.trusted_proxies),
                .unlimited_paths = {"/api/pod-access/check",
                                    std::string(access::AccessRoutes::kActivityRoute)}},
            general_limit),
        auth_guard(auth, cfg.auth.allowed_origins, sign_in_limit, user_limit),
        status_routes(db, clock, cfg.env, pod_runtime.get(), cfg.monitoring.ready_timeout),
        metrics_routes(metrics, db, clock, cfg.monitoring),
        alert_routes(alerts_loop),
        auth_routes(cfg, clock, auth, google, users, audit),
        catalog_routes(catalog, audit),
        user_admin_routes(users, sessions, ledger, auth, audit, bus),
        pod_routes(pods, audit),
        billing_routes(reports, ledger),
        notification_routes(notifications),
        access_routes(pod_access, activity, auth),
        lifecycle_routes(lifecycle),
        hub(bus, clock),
        ws_routes(hub, cfg.auth.cookie_name),
        contract(register_all(), cfg.env == core::Environment::test
                                     ? std::set<std::string>{"POST /api/_echo"}
                                     : std::set<std::string>{}),
        // After the guard: 401/403 before 400.
        pipeline(router, {&security, &auth_guard, &contract}) {
    metrics.bind_routes(router);
    pipeline.set_observer(&metrics.http_observer());
    metrics.set_websocket_clients([this] { return hub.clients(); });
    auth_guard.set_token_verifier(
        std::string(access::AccessRoutes::kActivityRoute),
        [this](std::string_view token) { return activity_tokens.verify(token); });
    pods.set_run_hooks(&meter_hooks);
    meter.set_notifications(&notifications);
    pods.set_notifications(&notifications);
    auth.set_session_end_hook([this](const std::string& session_id, const std::string& user_id) {
      if (session_id.empty()) {
        hub.disconnect_user(user_id, "signed out");
      } else {
        hub.disconnect_session(session_id, "signed out");
      }
    });
    auth.set_sign_up_hook([this](const users::User& u) {
      // Admin-only (no user id): the admins' channel.
      bus.publish(
          core::Event{"user.signed_up",
                      "",
                      {{"user_id", u.id.to_string()}, {"email", u.email}, {"name", u.name}}});
    });
    hub.set_session_check([this](std::string credential) { return session_valid(credential); });
    auth.set_block_hook([this](db::Oid user) -> boost::asio::awaitable<void> {
      const auto stopped = co_await pods.stop_all_of(user, "AccountBlocked",
                                                     "Stopped because the account was blocked");
      log::info("pods.stopped_blocked_user", {{"user_id", user.to_string()}, {"pods", stopped}});
    });
  }

  // Every route, then the list the contract middleware checks against api/openapi.yaml (the
  // server refuses to start with a route the document does not describe).
  std::vector<http::RouteInfo> register_all() {
    status_routes.register_routes(router);
    metrics_routes.register_routes(router);
    alert_routes.register_routes(router);
    contract_routes.register_routes(router);
    auth_routes.register_routes(router);
    catalog_routes.register_routes(router);
    user_admin_routes.register_routes(router);
    pod_routes.register_routes(router);
    billing_routes.register_routes(router);
    notification_routes.register_routes(router);
    access_routes.register_routes(router);
    lifecycle_routes.register_routes(router);
    ws_routes.register_routes(router);
    return router.routes();
  }

  void on_billing_pass(const metering::BillingLoopOptions::Pass& p) {
    const auto now = now_clock.now();
    metrics.observe_billing_pass(p.ok, p.duration, p.entries, p.charged_micros, now);
    if (p.ok) {
      billing_last_success_ms.store(core::to_unix_millis(now));
    }
  }

  alerts::AlertsLoop::Deps alerts_deps(db::Database& db) {
    alerts::AlertsLoop::Deps d{.bus = bus, .clock = now_clock};
    d.database_ping = [&db]() { return db.run([](db::Conn& c) { c.ping(); }); };
    if (pod_runtime) {
      d.kubernetes_ping = [rt = pod_runtime.get()]() { return rt->ping(); };
    }
    if (reconciler) {
      // Alerts go on where no instance can lead because Kubernetes does not answer (each such
      // instance tells: better twice than never).
      d.leading = [r = reconciler.get()] { return r->leading() || r->election_failing(); };
    }
    d.billing_last_success = [this]() -> std::optional<core::TimePoint> {
      const auto ms = billing_last_success_ms.load();
      if (ms == 0) {
        return std::nullopt;
      }
      return core::from_unix_millis(ms);
    };
    d.db = &db;
    d.notifications = &notifications;
    if (!config.monitoring.alert_webhook_url.empty()) {
      d.webhook = &outbound;
    }
    d.on_change = [this](const alerts::Alert& a, bool active) { metrics.set_alert(a.id, active); };
    return d;
  }

  // For the WebSocket rechecks: false once the session cannot authenticate any more.
  boost::asio::awaitable<bool> session_valid(std::string credential) {
    std::optional<core::ErrorCode> refused;
    try {
      co_await auth.authenticate(std::move(credential), "");
    } catch (const core::Error& e) {
      refused = e.code();
    }
    if (refused && (*refused == core::ErrorCode::unauthorized ||
                    *refused == core::ErrorCode::account_blocked)) {
      co_return false;
    }
    co_return true;  // valid, or the check itself failed (database down): keep it, retry later
  }

  const core::Config& config;
  // Shared: the database's observer (main.cpp) may outlive the app.
  std::shared_ptr<metrics::Metrics> metrics_owner{std::make_shared<metrics::Metrics>()};
  metrics::Metrics& metrics{*metrics_owner};
  http::HttpClient outbound;
  users::UserStore users;
  auth::SessionStore sessions;
  audit::AuditLog audit;
  billing::Ledger ledger;
  catalog::Catalog catalog;
  core::EventBus bus;
  std::unique_ptr<k8s::KubeClient> kube;
  access::ActivityTokens activity_tokens;
  std::unique_ptr<k8s::KubeRuntime> pod_runtime;
  notify::Notifications notifications;
  pods::PodStore pod_store;
  pods::PodService pods;
  std::unique_ptr<pods::Reconciler> reconciler;
  metering::CallbackEnforcer enforcer;
  metering::Meter meter;
  metering::MeterHooks meter_hooks;
  metering::BillingLoop billing_loop;
  const core::Clock& now_clock;
  std::atomic<std::int64_t> billing_last_success_ms{0};
  alerts::AlertsLoop alerts_loop;
  metering::Reports reports;
  std::stop_source stop_background;
  auth::AuthService auth;
  access::PodAccess pod_access;
  access::ActivityRecorder activity;
  idle::IdleCuller culler;
  idle::Lifecycle lifecycle;
  auth::GoogleAuth google;
  core::RateLimiter general_limit;
  core::RateLimiter sign_in_limit;
  core::RateLimiter user_limit;
  http::SecurityMiddleware security;
  auth::AuthMiddleware auth_guard;
  system::StatusRoutes status_routes;
  metrics::MetricsRoutes metrics_routes;
  alerts::AlertRoutes alert_routes;
  auth::AuthRoutes auth_routes;
  catalog::CatalogRoutes catalog_routes;
  admin::UserAdminRoutes user_admin_routes;
  pods::PodRoutes pod_routes;
  metering::BillingRoutes billing_routes;
  notify::NotificationRoutes notification_routes;
  access::AccessRoutes access_routes;
  idle::LifecycleRoutes lifecycle_routes;
  realtime::Hub hub;
  realtime::WsRoutes ws_routes;
  contract::ContractRoutes contract_routes;
  http::Router router;
  contract::ContractMiddleware contract;
  http::Pipeline pipeline;
};

App::App(const core::Config& config, db::Database& db, const core::Clock& clock,
         const boost::asio::any_io_executor& executor)
    : parts_(std::make_unique<Parts>(config, db, clock, executor)) {}

App::~App() {
  parts_->stop_background.request_stop();
}

const http::Pipeline& App::pipeline() const {
  return parts_->pipeline;
}
const http::Router& App::router() const {
  return parts_->router;
}
auth::AuthService& App::auth() {
  return parts_->auth;
}
pods::PodService& App::pods() {
  return parts_->pods;
}
pods::Reconciler* App::reconciler() {
  return parts_->reconciler.get();
}
core::EventBus& App::events() {
  return parts_->bus;
}
std::shared_ptr<metrics::Metrics> App::metrics() {
  return parts_->metrics_owner;
}

boost::asio::awaitable<void> App::prepare() {
  co_await parts_->catalog.seed();
  co_await parts_->ledger.recover();
}

boost::asio::awaitable<void> App::run_background() {
  const auto ex = co_await boost::asio::this_coro::executor;
  if (parts_->reconciler) {
    boost::asio::co_spawn(ex, parts_->reconciler->run(parts_->stop_background.get_token()),
                          [](const std::exception_ptr& e) {
                            if (e) {
                              log::error("pods.reconciler_crashed", {});
                            }
                          });
  }
  boost::asio::co_spawn(ex, parts_->billing_loop.run(parts_->stop_background.get_token()),
                        [](const std::exception_ptr& e) {
                          if (e) {
                            log::error("billing.loop_crashed", {});
                          }
                        });
  boost::asio::co_spawn(
      ex, parts_->activity.run(kActivityFlushEvery, parts_->stop_background.get_token()),
      [](const std::exception_ptr& e) {
        if (e) {
          log::error("access.activity_crashed", {});
        }
      });
  boost::asio::co_spawn(ex, parts_->culler.run(parts_->stop_background.get_token()),
                        [](const std::exception_ptr& e) {
                          if (e) {
                            log::error("idle.culler_crashed", {});
                          }
                        });
  boost::asio::co_spawn(ex, parts_->alerts_loop.run(parts_->stop_background.get_token()),
                        [](const std::exception_ptr& e) {
                          if (e) {
                            log::error("alerts.loop_crashed", {});
                          }
                        });
  boost::asio::co_spawn(ex, parts_->hub.run(parts_->stop_background.get_token()),
                        [](const std::exception_ptr& e) {
                          if (e) {
                            log::error("ws.hub_crashed", {});
                          }
                        });
  boost::asio::steady_timer timer(ex);
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
