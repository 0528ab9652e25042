#include "metrics/metrics.hpp"

#include <array>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>
#include <unordered_map>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "core/errors.hpp"

namespace neuropod::metrics {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// ------------------------------------------------------------------------------------------ HTTP
//
// Lock-free: per route and method, counters per status class and a duration histogram, all plain
// atomics; series that never saw a request are not exposed.

constexpr std::array<std::string_view, 8> kMethods = {"GET",   "HEAD",   "POST",    "PUT",
                                                      "PATCH", "DELETE", "OPTIONS", "other"};
constexpr std::array<std::string_view, 5> kClasses = {"1xx", "2xx", "3xx", "4xx", "5xx"};
constexpr std::array<double, 12> kHttpBuckets = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                 0.25,  0.5,   1.0,  2.5,   5.0,  10.0};

std::size_t method_index(std::string_view m) {
  for (std::size_t i = 0; i + 1 < kMethods.size(); ++i) {
    if (m == kMethods[i]) {
      return i;
    }
  }
  return kMethods.size() - 1;
}

std::size_t class_index(unsigned status) {
  if (status < 100 || status > 599) {
    return 4;  // not an HTTP status: counted as a server failure
  }
  return status / 100 - 1;
}

struct MethodSlot {
  std::array<std::atomic<std::uint64_t>, kClasses.size()> by_class{};
  std::array<std::atomic<std::uint64_t>, kHttpBuckets.size() + 1> buckets{};  // last: +Inf
  std::atomic<std::uint64_t> sum_ns{0};
};

struct RouteSlot {
  std::string label;
  std::array<MethodSlot, kMethods.size()> methods{};
};

class HttpCollector final : public http::RequestObserver, public prometheus::Collectable {
 public:
  HttpCollector() { add_slot("unmatched"); }

  void bind(const http::Router& router) {
    for (const auto& info : router.routes()) {
      const http::RouteInfo* route = nullptr;
      try {
        // A pattern is a path its own route matches ("{id}" fills the parameter).
        route = router.match(info.method, info.pattern).route;
      } catch (const std::exception&) {
        continue;
      }
      if (route == nullptr || by_route_.contains(route)) {
        continue;
      }
      add_slot(info.pattern);
      by_route_.emplace(route, slots_.size() - 1);
      if (info.pattern.find('{') == std::string::npos &&
          router.fast_match(info.method, info.pattern) != nullptr) {
        fast_.push_back(FastSlot{info.method, info.pattern, slots_.size() - 1});
      }
    }
  }

  void on_request(const http::RequestRecord& r) noexcept override {
    auto& slot = *slots_[slot_of(r)];
    auto& m = slot.methods[method_index(r.method)];
    m.by_class[class_index(r.status)].fetch_add(1, std::memory_order_relaxed);
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(r.duration).count();
    const double seconds = static_cast<double>(ns) / 1e9;
    std::size_t b = 0;
    while (b < kHttpBuckets.size() && seconds > kHttpBuckets[b]) {
      ++b;
    }
    m.buckets[b].fetch_add(1, std::memory_order_relaxed);
    m.sum_ns.fetch_add(static_cast<std::uint64_t>(ns < 0 ? 0 : ns), std::memory_order_relaxed);
  }

  std::vector<MetricFamily> Collect() const override {
    MetricFamily requests{"neuropod_http_requests_total",
                          "HTTP requests answered, by method, route pattern and status class",
                          MetricType::Counter,
                          {}};
    MetricFamily durations{"neuropod_http_request_duration_seconds",
                           "Time from the whole request read to the answer written (streams and "
                           "WebSockets: to their end)",
                           MetricType::Histogram,
                           {}};
    for (const auto& slot : slots_) {
      for (std::size_t mi = 0; mi < kMethods.size(); ++mi) {
        const auto& m = slot->methods[mi];
        std::uint64_t total = 0;
        for (std::size_t ci = 0; ci < kClasses.size(); ++ci) {
          const auto n = m.by_class[ci].load(std::memory_order_relaxed);
          if (n == 0) {
            continue;
          }
          total += n;
          ClientMetric c;
          c.label = {{"method", std::string(kMethods[mi])},
                     {"route", slot->label},
                     {"status", std::string(kClasses[ci])}};
          c.counter.value = static_cast<double>(n);
          requests.metric.push_back(std::move(c));
        }
        if (total == 0) {
          continue;
        }
        ClientMetric h;
        h.label = {{"method", std::string(kMethods[mi])}, {"route", slot->label}};
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b < kHttpBuckets.size(); ++b) {
          cumulative += m.buckets[b].load(std::memory_order_relaxed);
          h.histogram.bucket.push_back({cumulative, kHttpBuckets[b]});
        }
        cumulative += m.buckets.back().load(std::memory_order_relaxed);
        h.histogram.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
        h.histogram.sample_count = cumulative;
        h.histogram.sample_sum =
            static_cast<double>(m.sum_ns.load(std::memory_order_relaxed)) / 1e9;
        durations.metric.push_back(std::move(h));
      }
    }
    return {std::move(requests), std::move(durations)};
  }

 private:
  struct FastSlot {
    std::string method;
    std::string path;
    std::size_t slot;
  };

  void add_slot(std::string label) {
    slots_.push_back(std::make_unique<RouteSlot>());
    slots_.back()->label = std::move(label);
  }

  std::size_t slot_of(const http::RequestRecord& r) const {
    if (r.route != nullptr) {
      const auto it = by_route_.find(r.route);
      return it == by_route_.end() ? 0 : it->second;
    }
    if (r.fast) {
      for (const auto& f : fast_) {
        if (f.path == r.path &&
            (f.method == r.method || (r.method == "HEAD" && f.method == "GET"))) {
          return f.slot;
        }
      }
    }
    return 0;
  }

  // Written by bind() before the server starts, read-only afterwards.
  std::vector<std::unique_ptr<RouteSlot>> slots_;
  std::unordered_map<const http::RouteInfo*, std::size_t> by_route_;
  std::vector<FastSlot> fast_;
};

// --------------------------------------------------------------------------------------- process

double process_start_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class ProcessCollector final : public prometheus::Collectable {
 public:
  explicit ProcessCollector(std::function<std::size_t()>* ws_clients) : ws_clients_(ws_clients) {}

  std::vector<MetricFamily> Collect() const override {
    std::vector<MetricFamily> out;
    auto gauge = [&out](std::string name, std::string help, double value, MetricType type) {
      ClientMetric m;
      if (type == MetricType::Counter) {
        m.counter.value = value;
      } else {
        m.gauge.value = value;
      }
      out.push_back(MetricFamily{std::move(name), std::move(help), type, {std::move(m)}});
    };
    {
      ClientMetric m;
      m.label = {{"version", NEUROPOD_VERSION}};
      m.gauge.value = 1;
      out.push_back(MetricFamily{"neuropod_build_info",
                                 "The running version (always 1)",
                                 MetricType::Gauge,
                                 {std::move(m)}});
    }
    gauge("process_start_time_seconds", "Start time of the process since the Unix epoch", started_,
          MetricType::Gauge);
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) == 0) {
      const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
      gauge("process_cpu_seconds_total", "User and system CPU time spent", cpu,
            MetricType::Counter);
    }
    std::ifstream statm("/proc/self/statm");
    long long pages_virtual = 0;
    long long pages_resident = 0;
    if (statm >> pages_virtual >> pages_resident) {
      const auto page = static_cast<double>(sysconf(_SC_PAGESIZE));
      gauge("process_virtual_memory_bytes", "Virtual memory size",
            static_cast<double>(pages_virtual) * page, MetricType::Gauge);
      gauge("process_resident_memory_bytes", "Resident memory size",
            static_cast<double>(pages_resident) * page, MetricType::Gauge);
    }
    std::error_code ec;
    std::size_t fds = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++fds;
    }
    if (!ec) {
      gauge("process_open_fds", "Open file descriptors", static_cast<double>(fds),
            MetricType::Gauge);
    }
    std::size_t clients = 0;
    if (*ws_clients_) {
      clients = (*ws_clients_)();
    }
    gauge("neuropod_websocket_clients", "WebSocket clients connected to this instance",
          static_cast<double>(clients), MetricType::Gauge);
    return out;
  }

 private:
  double started_ = process_start_seconds();
  std::function<std::size_t()>* ws_clients_;  // Impl's; set before the server starts
};

prometheus::Histogram::BucketBoundaries latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0};
}

constexpr std::array<std::string_view, 6> kVerbs = {"GET",   "POST",   "PUT",
                                                    "PATCH", "DELETE", "other"};

std::size_t verb_index(std::string_view v) {
  for (std::size_t i = 0; i + 1 < kVerbs.size(); ++i) {
    if (v == kVerbs[i]) {
      return i;
    }
  }
  return kVerbs.size() - 1;
}

// The pod states of pods/pod.hpp, always exposed (0 when none).
constexpr std::array<std::string_view, 6> kPodStates = {"pending",  "creating", "running",
                                                        "stopping", "stopped",  "failed"};

double seconds_of(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

struct Metrics::Impl {
  Impl()
      : registry(std::make_shared<prometheus::Registry>()),
        db_duration(prometheus::BuildHistogram()
                        .Name("neuropod_db_operation_duration_seconds")
                        .Help("Database calls: time on a worker thread (queue wait excluded)")
                        .Register(*registry)
                        .Add({}, latency_buckets())),
        db_errors(prometheus::BuildCounter()
                      .Name("neuropod_db_errors_total")
                      .Help("Database calls that failed: unavailable (unreachable, timeouts) or "
                            "other (refused writes, duplicates, ...)")
                      .Register(*registry)),
        db_unavailable(db_errors.Add({{"kind", "unavailable"}})),
        db_other(db_errors.Add({{"kind", "other"}})),
        k8s_duration_family(prometheus::BuildHistogram()
                                .Name("neuropod_k8s_request_duration_seconds")
                                .Help("Kubernetes API requests (not watches or log streams) by "
                                      "HTTP method")
                                .Register(*registry)),
        k8s_errors(prometheus::BuildCounter()
                       .Name("neuropod_k8s_errors_total")
                       .Help("Kubernetes API requests that failed: unreachable (no answer, 429, "
                             "5xx) or rejected (any other error status)")
                       .Register(*registry)),
        pods(prometheus::BuildGauge()
                 .Name("neuropod_pods")
                 .Help("Pods by state (Pod records in the database)")
                 .Register(*registry)),
        billing_passes(prometheus::BuildCounter()
                           .Name("neuropod_billing_passes_total")
                           .Help("Billing passes run by this instance")
                           .Register(*registry)),
        billing_ok(billing_passes.Add({{"outcome", "ok"}})),
        billing_failed(billing_passes.Add({{"outcome", "failed"}})),
        billing_charges(prometheus::BuildCounter()
                            .Name("neuropod_billing_charges_total")
                            .Help("Ledger entries created by billing passes")
                            .Register(*registry)
                            .Add({})),
        billing_amount(prometheus::BuildCounter()
                           .Name("neuropod_billing_charged_micros_total")
                           .Help("Amount charged by billing passes, in micro-euros")
                           .Register(*registry)
                           .Add({})),
        billing_last_success(prometheus::BuildGauge()
                                 .Name("neuropod_billing_last_success_timestamp_seconds")
                                 .Help("When the last successful billing pass of this instance "
                                       "ended (Unix time; 0: none yet)")
                                 .Register(*registry)
                                 .Add({})),
        billing_duration(prometheus::BuildHistogram()
                             .Name("neuropod_billing_pass_duration_seconds")
                             .Help("Duration of billing passes")
                             .Register(*registry)
                             .Add({}, latency_buckets())),
        alerts(prometheus::BuildGauge()
                   .Name("neuropod_alerts_active")
                   .Help("1 while the alert is raised (on the instance running the alerts loop)")
                   .Register(*registry)),
        process(&ws_clients) {
    for (std::size_t i = 0; i < kVerbs.size(); ++i) {
      k8s_duration[i] =
          &k8s_duration_family.Add({{"verb", std::string(kVerbs[i])}}, latency_buckets());
    }
    for (const auto state : kPodStates) {
      pods.Add({{"state", std::string(state)}});
    }
  }

  std::shared_ptr<prometheus::Registry> registry;
  HttpCollector http;
  prometheus::Histogram& db_duration;
  prometheus::Family<prometheus::Counter>& db_errors;
  prometheus::Counter& db_unavailable;
  prometheus::Counter& db_other;
  prometheus::Family<prometheus::Histogram>& k8s_duration_family;
  std::array<prometheus::Histogram*, kVerbs.size()> k8s_duration{};
  prometheus::Family<prometheus::Counter>& k8s_errors;
  prometheus::Family<prometheus::Gauge>& pods;
  prometheus::Family<prometheus::Counter>& billing_passes;
  prometheus::Counter& billing_ok;
  prometheus::Counter& billing_failed;
  prometheus::Counter& billing_charges;
  prometheus::Counter& billing_amount;
  prometheus::Gauge& billing_last_success;
  prometheus::Histogram& billing_duration;
  prometheus::Family<prometheus::Gauge>& alerts;
  std::function<std::size_t()> ws_clients;
  ProcessCollector process;
  std::mutex pods_mu;  // set_pods_by_state: Add then Set of every state at once
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

http::RequestObserver& Metrics::http_observer() {
  return impl_->http;
}

void Metrics::bind_routes(const http::Router& router) {
  impl_->http.bind(router);
}

void Metrics::observe_db(std::chrono::nanoseconds elapsed, const std::exception_ptr& error) {
  impl_->db_duration.Observe(seconds_of(elapsed));
  if (!error) {
    return;
  }
  try {
    std::rethrow_exception(error);
  } catch (const core::Error& e) {
    if (e.code() == core::ErrorCode::database_unavailable ||
        e.code() == core::ErrorCode::service_unavailable) {
      impl_->db_unavailable.Increment();
    } else {
      impl_->db_other.Increment();
    }
  } catch (...) {
    impl_->db_other.Increment();
  }
}

void Metrics::observe_k8s(std::string_view verb, std::chrono::nanoseconds elapsed,
                          std::string_view error) {
  const auto i = verb_index(verb);
  impl_->k8s_duration[i]->Observe(seconds_of(elapsed));
  if (!error.empty()) {
    impl_->k8s_errors.Add({{"verb", std::string(kVerbs[i])}, {"kind", std::string(error)}})
        .Increment();
  }
}

void Metrics::observe_billing_pass(bool ok, std::chrono::steady_clock::duration elapsed,
                                   std::int64_t entries, std::int64_t charged_micros,
                                   core::TimePoint now) {
  impl_->billing_duration.Observe(std::chrono::duration<double>(elapsed).count());
  if (!ok) {
    impl_->billing_failed.Increment();
    return;
  }
  impl_->billing_ok.Increment();
  impl_->billing_charges.Increment(static_cast<double>(entries));
  if (charged_micros > 0) {
    impl_->billing_amount.Increment(static_cast<double>(charged_micros));
  }
  impl_->billing_last_success.Set(std::chrono::duration<double>(now.time_since_epoch()).count());
}

void Metrics::set_pods_by_state(const std::map<std::string, std::int64_t>& counts) {
  std::lock_guard lock(impl_->pods_mu);
  for (const auto state : kPodStates) {
    impl_->pods.Add({{"state", std::string(state)}}).Set(0);
  }
  for (const auto& [state, n] : counts) {
    impl_->pods.Add({{"state", state}}).Set(static_cast<double>(n));
  }
}

void Metrics::set_alert(std::string_view alert, bool active) {
  impl_->alerts.Add({{"alert", std::string(alert)}}).Set(active ? 1 : 0);
}

void Metrics::set_websocket_clients(std::function<std::size_t()> source) {
  impl_->ws_clients = std::move(source);
}

std::string Metrics::render() const {
  auto families = impl_->registry->Collect();
  for (auto& f : impl_->http.Collect()) {
    families.push_back(std::move(f));
  }
  for (auto& f : impl_->process.Collect()) {
    families.push_back(std::move(f));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace neuropod::metrics
