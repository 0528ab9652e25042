// metrics::Metrics over a real http::Server on 127.0.0.1 (port 0): every request is counted by
// route pattern (never the raw path), fast routes and unknown paths included; the other series
// (database, Kubernetes, billing, pods, WebSocket clients, process) appear with their names; and
// who may scrape GET /metrics.
#include "metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "core/config.hpp"
#include "core/errors.hpp"
#include "http/client.hpp"
#include "http/pipeline.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "metrics/metrics_routes.hpp"

namespace asio = boost::asio;
using neuropod::http::Access;
using neuropod::http::Request;
using neuropod::http::Response;
using neuropod::metrics::Metrics;
using namespace std::chrono_literals;

namespace {

bool has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

asio::awaitable<Response> thing(Request& req) {
  if (req.params.at("id") == "boom") {
    throw std::runtime_error("boom");
  }
  co_return Response::json(200, {{"id", req.params.at("id")}});
}

asio::awaitable<Response> slow_path() {
  co_return Response::json(200, {{"slow", true}});
}

class MetricsServer : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.get("/api/things/{id}", Access::anonymous, [](Request& r) { return thing(r); });
    router_.get("/api/check", Access::anonymous, [](Request&) { return slow_path(); });
    router_.fast("GET", "/api/check", [](const neuropod::http::RequestView&) {
      return std::optional<Response>(Response::no_content());
    });
    metrics_.bind_routes(router_);
    pipeline_.set_observer(&metrics_.http_observer());
    neuropod::core::HttpConfig cfg;
    cfg.port = 0;
    server_ = std::make_unique<neuropod::http::Server>(ioc_, cfg, pipeline_);
    port_ = server_->start();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  void TearDown() override {
    work_.reset();
    ioc_.stop();
    thread_.join();
  }

  unsigned get(const std::string& path) {
    neuropod::http::ClientRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(port_) + path;
    req.timeout = 5s;
    return asio::co_spawn(ioc_, client_.fetch(std::move(req)), asio::use_future).get().status;
  }

  asio::io_context ioc_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
  neuropod::http::Router router_;
  neuropod::http::Pipeline pipeline_{router_};
  Metrics metrics_;
  std::unique_ptr<neuropod::http::Server> server_;
  neuropod::http::HttpClient client_{ioc_.get_executor(), neuropod::http::TlsOptions{}};
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace

TEST_F(MetricsServer, CountsRequestsByRoutePatternAndStatusClass) {
  EXPECT_EQ(get("/api/things/1"), 200U);
  EXPECT_EQ(get("/api/things/2?x=1"), 200U);
  EXPECT_EQ(get("/api/things/boom"), 500U);
  EXPECT_EQ(get("/api/check"), 204U);  // answered by the fast route
  EXPECT_EQ(get("/api/check"), 204U);
  EXPECT_EQ(get("/nowhere/at/all"), 404U);

  const auto text = metrics_.render();
  EXPECT_TRUE(has(text, "# TYPE neuropod_http_requests_total counter")) << text;
  EXPECT_TRUE(
      has(text,
          R"(neuropod_http_requests_total{method="GET",route="/api/things/{id}",status="2xx"} 2)"))
      << text;
  EXPECT_TRUE(
      has(text,
          R"(neuropod_http_requests_total{method="GET",route="/api/things/{id}",status="5xx"} 1)"))
      << text;
  EXPECT_TRUE(
      has(text, R"(neuropod_http_requests_total{method="GET",route="/api/check",status="2xx"} 2)"))
      << text;
  EXPECT_TRUE(
      has(text, R"(neuropod_http_requests_total{method="GET",route="unmatched",status="4xx"} 1)"))
      << text;
  EXPECT_TRUE(has(
      text,
      R"(neuropod_http_request_duration_seconds_count{method="GET",route="/api/things/{id}"} 3)"))
      << text;
  EXPECT_TRUE(has(
      text,
      R"(neuropod_http_request_duration_seconds_bucket{method="GET",route="/api/check",le="+Inf"} 2)"))
      << text;
  EXPECT_FALSE(has(text, "/api/things/1")) << "raw paths never become labels";
  EXPECT_FALSE(has(text, "/nowhere")) << "raw paths never become labels";
  EXPECT_FALSE(has(text, R"(status="3xx")")) << "series that saw nothing are not exposed";
}

TEST(Metrics, NamesEverySeries) {
  Metrics m;
  m.observe_db(3ms, nullptr);
  m.observe_db(2s, std::make_exception_ptr(neuropod::core::DatabaseUnavailable("down")));
  m.observe_k8s("GET", 4ms, "");
  m.observe_k8s("DELETE", 1s, "unreachable");
  m.observe_k8s("BREW", 1s, "rejected");
  m.observe_billing_pass(true, 20ms, 7, 1234, neuropod::core::from_unix_millis(1'700'000'000'000));
  m.observe_billing_pass(false, 5ms, 0, 0, neuropod::core::from_unix_millis(1'700'000'100'000));
  m.set_pods_by_state({{"running", 3}, {"failed", 1}});
  m.set_alert("kubernetes_unreachable", true);
  m.set_websocket_clients([] { return std::size_t{5}; });
  const auto text = m.render();
  for (const auto* line : {
           "neuropod_db_operation_duration_seconds_count 2",
           R"(neuropod_db_errors_total{kind="unavailable"} 1)",
           R"(neuropod_db_errors_total{kind="other"} 0)",
           R"(neuropod_k8s_request_duration_seconds_count{verb="GET"} 1)",
           R"(neuropod_k8s_errors_total{kind="unreachable",verb="DELETE"} 1)",
           R"(neuropod_k8s_errors_total{kind="rejected",verb="other"} 1)",
           R"(neuropod_pods{state="running"} 3)",
           R"(neuropod_pods{state="failed"} 1)",
           R"(neuropod_pods{state="pending"} 0)",
           R"(neuropod_billing_passes_total{outcome="ok"} 1)",
           R"(neuropod_billing_passes_total{outcome="failed"} 1)",
           "neuropod_billing_charges_total 7",
           "neuropod_billing_charged_micros_total 1234",
           "neuropod_billing_last_success_timestamp_seconds 1700000000",
           "neuropod_billing_pass_duration_seconds_count 2",
           R"(neuropod_alerts_active{alert="kubernetes_unreachable"} 1)",
           "neuropod_websocket_clients 5",
           R"(neuropod_build_info{version=")",
           "process_start_time_seconds",
           "process_cpu_seconds_total",
           "process_resident_memory_bytes",
           "process_open_fds",
       }) {
    EXPECT_TRUE(has(text, line)) << line << "\n" << text;
  }
  m.set_pods_by_state({{"running", 1}});
  EXPECT_TRUE(has(m.render(), R"(neuropod_pods{state="failed"} 0)")) << "states gone read 0";
}

TEST(MetricsAccess, LoopbackWithoutProxyHeadersOrTheBearerToken) {
  const std::string token = "0123456789abcdef0123";
  Request local;
  local.remote_ip = "127.0.0.1";
  EXPECT_TRUE(neuropod::metrics::may_scrape(local, ""));
  Request local6;
  local6.remote_ip = "::1";
  EXPECT_TRUE(neuropod::metrics::may_scrape(local6, token));

  Request tunnelled = local;  // cloudflared connects from loopback and adds this
  tunnelled.headers.add("CF-Connecting-IP", "203.0.113.9");
  EXPECT_FALSE(neuropod::metrics::may_scrape(tunnelled, ""));
  Request forwarded = local;
  forwarded.headers.add("X-Forwarded-For", "203.0.113.9");
  EXPECT_FALSE(neuropod::metrics::may_scrape(forwarded, token));

  Request remote;
  remote.remote_ip = "203.0.113.9";
  EXPECT_FALSE(neuropod::metrics::may_scrape(remote, token));
  remote.headers.add("Authorization", "Bearer " + token);
  EXPECT_TRUE(neuropod::metrics::may_scrape(remote, token));
  Request wrong;
  wrong.remote_ip = "203.0.113.9";
  wrong.headers.add("Authorization", "Bearer " + token + "x");
  EXPECT_FALSE(neuropod::metrics::may_scrape(wrong, token));
  Request empty;
  empty.remote_ip = "203.0.113.9";
  empty.headers.add("Authorization", "Bearer ");
  EXPECT_FALSE(neuropod::metrics::may_scrape(empty, "")) << "no token configured: loopback only";
}

TEST(MonitoringConfig, ReadsAndValidatesItsVariables) {
  const auto c =
      neuropod::core::Config::from_env({{"NEUROPOD_METRICS_TOKEN", "0123456789abcdef"},
                                        {"NEUROPOD_ALERT_WEBHOOK_URL", "https://hooks.example/x"},
                                        {"NEUROPOD_ALERT_POD_FAILURES", "4"},
                                        {"NEUROPOD_ALERT_POD_FAILURE_WINDOW_S", "120"},
                                        {"NEUROPOD_READY_TIMEOUT_MS", "1500"}});
  EXPECT_EQ(c.monitoring.metrics_token, "0123456789abcdef");
  EXPECT_EQ(c.monitoring.alert_webhook_url, "https://hooks.example/x");
  EXPECT_EQ(c.monitoring.pod_failures, 4U);
  EXPECT_EQ(c.monitoring.pod_failure_window, 120s);
  EXPECT_EQ(c.monitoring.ready_timeout, 1500ms);
  try {
    (void)neuropod::core::Config::from_env(
        {{"NEUROPOD_METRICS_TOKEN", "short"}, {"NEUROPOD_ALERT_WEBHOOK_URL", "ftp://x"}});
    FAIL() << "accepted";
  } catch (const neuropod::core::ConfigError& e) {
    ASSERT_EQ(e.problems().size(), 2U);
    EXPECT_TRUE(e.problems()[0].starts_with("NEUROPOD_METRICS_TOKEN")) << e.problems()[0];
    EXPECT_TRUE(e.problems()[1].starts_with("NEUROPOD_ALERT_WEBHOOK_URL")) << e.problems()[1];
  }
}
