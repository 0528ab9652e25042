#pragma once
// Prometheus metrics of the process (GET /metrics, metrics_routes.hpp). One Metrics per process,
// fed by observers the app wires: the HTTP server (every request, fast routes included), the
// database worker pool, the Kubernetes client, the billing loop, the alerts loop; gauges read when
// scraped (WebSocket clients) or refreshed then (pods by state, from the database).
//
// Series (text format 0.0.4):
//   neuropod_http_requests_total{method,route,status}      route = the pattern, status = "2xx"...
//   neuropod_http_request_duration_seconds{method,route}   histogram
//   neuropod_db_operation_duration_seconds                 histogram (worker time of a call)
//   neuropod_db_errors_total{kind}                         unavailable | other
//   neuropod_k8s_request_duration_seconds{verb}            histogram (verb = HTTP method)
//   neuropod_k8s_errors_total{verb,kind}                   unreachable | rejected
//   neuropod_pods{state}                                   gauge
//   neuropod_billing_passes_total{outcome}                 ok | failed
//   neuropod_billing_charges_total                         ledger entries created
//   neuropod_billing_charged_micros_total                  amount charged (micro-euros)
//   neuropod_billing_last_success_timestamp_seconds        gauge
//   neuropod_billing_pass_duration_seconds                 histogram
//   neuropod_websocket_clients                             gauge
//   neuropod_alerts_active{alert}                          gauge, 1 while raised
//   neuropod_build_info{version}, process_start_time_seconds, process_cpu_seconds_total,
//   process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds
// prometheus-cpp stays inside metrics.cpp.
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/time.hpp"
#include "http/pipeline.hpp"
#include "http/router.hpp"

namespace neuropod::metrics {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // For http::Pipeline::set_observer. Costs a few atomic increments per request once
  // bind_routes ran (routes are told apart by their RouteInfo address, not their text).
  http::RequestObserver& http_observer();
  // Once every route is registered, before the server starts.
  void bind_routes(const http::Router& router);

  // db::Database::set_observer.
  void observe_db(std::chrono::nanoseconds elapsed, const std::exception_ptr& error);
  // k8s::KubeClientOptions::observer.
  void observe_k8s(std::string_view verb, std::chrono::nanoseconds elapsed, std::string_view error);
  // After each billing pass this instance ran.
  void observe_billing_pass(bool ok, std::chrono::steady_clock::duration elapsed,
                            std::int64_t entries, std::int64_t charged_micros, core::TimePoint now);
  // Replaces the pods-by-state gauge (states missing from `counts` read 0).
  void set_pods_by_state(const std::map<std::string, std::int64_t>& counts);
  void set_alert(std::string_view alert, bool active);
  // Read at each scrape.
  void set_websocket_clients(std::function<std::size_t()> source);

  // The text exposition format.
  std::string render() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace neuropod::metrics
