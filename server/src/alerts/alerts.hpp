#pragma once
// Alerts: what an operator must look at. The loop (AlertsLoop, leader only like the billing loop)
// probes the database and Kubernetes every interval, looks at the billing loop's last success
// and at the pod failures it was told about, and raises or clears:
//   kubernetes_unreachable  the API server did not answer a ping within the probe timeout
//   database_down           the database did not answer a ping within the probe timeout
//   pod_failing:<pod id>    one pod failed `pod_failures` times within `pod_failure_window`
//   pods_failing            `failing_pods` different pods failed within `pod_failure_window`
//   billing_stalled         no successful billing pass for 3 billing intervals (counted from
//                           when this instance began leading, at the earliest)
// Each transition: a log line (alert.raised / alert.cleared), an admin-only realtime event of the
// same type (api/events), a stored notification for every admin (kind alert_raised /
// alert_cleared; skipped while the database is down) and, when configured, a POST of the alert
// to the webhook. Side effects run detached: the loop never waits on them. The state lives in
// memory (the database may be what is down); an instance that stops leading forgets it silently.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/event_bus.hpp"
#include "core/time.hpp"

namespace neuropod::db {
class Database;
}
namespace neuropod::http {
class HttpClient;
}
namespace neuropod::notify {
class Notifications;
}

namespace neuropod::alerts {

struct Alert {
  std::string id;        // kind, or "pod_failing:<pod id>"
  std::string kind;      // kubernetes_unreachable, database_down, pod_failing, pods_failing,
                         // billing_stalled
  std::string severity;  // critical | warning
  std::string message;
  nlohmann::json details = nlohmann::json::object();
  core::TimePoint since;
};
nlohmann::json to_json(const Alert& a);  // the Alert schema (api/openapi.yaml)

struct Transition {
  bool raised = false;  // false: cleared
  Alert alert;
  core::TimePoint at;
};

struct AlertOptions {
  unsigned pod_failures = 3;
  std::chrono::seconds pod_failure_window{600};
  unsigned failing_pods = 5;
  std::chrono::milliseconds billing_interval{30'000};  // stalled after 3 of these
  // Consecutive failed probes before kubernetes_unreachable / database_down is raised.
  unsigned probe_failures = 2;
};

// What one evaluation saw.
struct Observations {
  std::optional<std::string> database_error;    // nullopt: answered
  std::optional<std::string> kubernetes_error;  // nullopt: answered (or no cluster)
  // The billing loop's last successful pass on this instance; nullopt: none yet.
  std::optional<core::TimePoint> billing_last_success;
  bool billing_enabled = true;
};

// The state machine: pure, level-triggered, time passed in. Thread-safe.
class AlertState {
 public:
  explicit AlertState(AlertOptions options) : options_(options) {}

  // A pod entered the failed status (any thread).
  void record_pod_failure(const std::string& pod_id, const std::string& pod_name,
                          core::TimePoint at);
  // Compares what should be raised now with what is, returns the changes (raised first).
  std::vector<Transition> evaluate(const Observations& seen, core::TimePoint now);
  // Forgets every alert without transitions (this instance stopped leading).
  void reset();
  std::vector<Alert> active() const;  // oldest first

 private:
  struct Failure {
    std::string pod_id;
    std::string pod_name;
    core::TimePoint at;
  };
  std::map<std::string, Alert> wanted(const Observations& seen, core::TimePoint now);

  AlertOptions options_;
  mutable std::mutex mu_;
  std::deque<Failure> failures_;
  std::map<std::string, Alert> active_;
  std::optional<core::TimePoint> began_;  // first evaluation since (re)start: billing baseline
  unsigned db_failed_in_row_ = 0;
  unsigned k8s_failed_in_row_ = 0;
};

struct AlertsLoopOptions {
  AlertOptions alerts;
  std::chrono::milliseconds interval{15'000};
  std::chrono::milliseconds probe_timeout{2'000};
  std::string webhook_url;  // empty: no webhook
  std::chrono::milliseconds webhook_timeout{5'000};
};

// The loop and its side effects. Every dependency but the bus and the clock is optional.
class AlertsLoop {
 public:
  using Ping = std::function<boost::asio::awaitable<void>()>;

  struct Deps {
    core::EventBus& bus;
    const core::Clock& clock;
    Ping database_ping;                                                    // empty: not probed
    Ping kubernetes_ping;                                                  // empty: no cluster
    std::function<bool()> leading;                                         // empty: always
    std::function<std::optional<core::TimePoint>()> billing_last_success;  // empty: not watched
    db::Database* db = nullptr;                                // admins' ids, for the notifications
    notify::Notifications* notifications = nullptr;            // null: none stored
    http::HttpClient* webhook = nullptr;                       // null: no webhook
    std::function<void(const Alert&, bool active)> on_change;  // metrics
  };

  AlertsLoop(Deps deps, AlertsLoopOptions options);
  ~AlertsLoop();
  AlertsLoop(const AlertsLoop&) = delete;
  AlertsLoop& operator=(const AlertsLoop&) = delete;

  // Until `stop`: run_once, then wait `interval`.
  boost::asio::awaitable<void> run(std::stop_token stop);
  // One evaluation (tests call it directly); returns its transitions, already announced.
  boost::asio::awaitable<std::vector<Transition>> run_once();

  std::vector<Alert> active() const { return state_.active(); }
  bool leading() const;

 private:
  void announce(const Transition& t, bool database_up);
  boost::asio::awaitable<void> store(Transition t);
  boost::asio::awaitable<void> post_webhook(Transition t);

  Deps deps_;
  AlertsLoopOptions options_;
  AlertState state_;
  std::mutex pods_mu_;
  std::map<std::string, std::string> pod_status_;  // last status seen per pod (pod.status events)
  core::EventBus::Subscription subscription_;      // last: unsubscribed first
};

}  // namespace neuropod::alerts
