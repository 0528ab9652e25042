#include "alerts/alerts.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>

#include "core/logging.hpp"
#include "core/probe.hpp"
#include "core/sleep.hpp"
#include "db/database.hpp"
#include "http/client.hpp"
#include "notify/notifications.hpp"

namespace neuropod::alerts {

namespace asio = boost::asio;

namespace {

long long minutes_of(std::chrono::seconds s) {
  return std::max<long long>(1, std::chrono::duration_cast<std::chrono::minutes>(s).count());
}

Alert probe_alert(std::string kind, const std::string& what, const std::string& error) {
  Alert a;
  a.id = kind;
  a.kind = std::move(kind);
  a.severity = "critical";
  a.message = fmt::format("{} does not answer: {}", what, error);
  a.details = {{"error", error}};
  return a;
}

std::vector<db::Oid> admin_ids(db::Conn& c) {
  db::Doc filter;
  filter.append("role", "admin");
  db::FindOptions options;
  db::Doc projection;
  projection.append("_id", 1);
  options.projection = std::move(projection);
  std::vector<db::Oid> out;
  for (const auto& doc : c.collection("User").find(filter, options)) {
    if (auto id = doc.get_oid("_id")) {
      out.push_back(*id);
    }
  }
  return out;
}

const char* event_type(bool raised) {
  return raised ? "alert.raised" : "alert.cleared";
}

nlohmann::json transition_json(const Transition& t) {
  auto j = to_json(t.alert);
  if (!t.raised) {
    j["cleared_at"] = core::to_iso8601(t.at);
  }
  return j;
}

void log_failure(const char* what, const std::exception_ptr& e) {
  if (!e) {
    return;
  }
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    log::warn(what, {{"error", x.what()}});
  } catch (...) {
    log::warn(what, {{"error", "unknown"}});
  }
}

}  // namespace

nlohmann::json to_json(const Alert& a) {
  return {{"id", a.id},           {"kind", a.kind},       {"severity", a.severity},
          {"message", a.message}, {"details", a.details}, {"since", core::to_iso8601(a.since)}};
}

// ------------------------------------------------------------------------------------ AlertState

void AlertState::record_pod_failure(const std::string& pod_id, const std::string& pod_name,
                                    core::TimePoint at) {
  std::lock_guard lock(mu_);
  failures_.push_back(Failure{pod_id, pod_name, at});
  // Bounded: far more than any threshold needs.
  while (failures_.size() > 10'000) {
    failures_.pop_front();
  }
}

std::map<std::string, Alert> AlertState::wanted(const Observations& seen, core::TimePoint now) {
  std::map<std::string, Alert> out;
  if (!began_) {
    began_ = now;
  }
  db_failed_in_row_ = seen.database_error ? db_failed_in_row_ + 1 : 0;
  k8s_failed_in_row_ = seen.kubernetes_error ? k8s_failed_in_row_ + 1 : 0;
  if (seen.database_error && db_failed_in_row_ >= options_.probe_failures) {
    out.emplace("database_down",
                probe_alert("database_down", "The database", *seen.database_error));
  }
  if (seen.kubernetes_error && k8s_failed_in_row_ >= options_.probe_failures) {
    out.emplace(
        "kubernetes_unreachable",
        probe_alert("kubernetes_unreachable", "The Kubernetes API server", *seen.kubernetes_error));
  }

  const auto window_start = now - options_.pod_failure_window;
  while (!failures_.empty() && failures_.front().at < window_start) {
    failures_.pop_front();
  }
  std::map<std::string, std::pair<std::string, unsigned>> per_pod;  // id -> (name, failures)
  for (const auto& f : failures_) {
    if (f.at > now) {
      continue;
    }
    auto& entry = per_pod[f.pod_id];
    entry.first = f.pod_name;
    ++entry.second;
  }
  const auto minutes = minutes_of(options_.pod_failure_window);
  for (const auto& [id, entry] : per_pod) {
    if (entry.second < options_.pod_failures) {
      continue;
    }
    Alert a;
    a.id = "pod_failing:" + id;
    a.kind = "pod_failing";
    a.severity = "warning";
    a.message = fmt::format("Pod {} failed {} times in the last {} minutes", entry.first,
                            entry.second, minutes);
    a.details = {{"pod_id", id}, {"pod_name", entry.first}, {"failures", entry.second}};
    out.emplace(a.id, std::move(a));
  }
  if (per_pod.size() >= options_.failing_pods) {
    Alert a;
    a.id = "pods_failing";
    a.kind = "pods_failing";
    a.severity = "critical";
    a.message =
        fmt::format("{} different pods failed in the last {} minutes", per_pod.size(), minutes);
    a.details = {{"pods", per_pod.size()}};
    out.emplace(a.id, std::move(a));
  }

  if (seen.billing_enabled) {
    auto baseline = *began_;
    if (seen.billing_last_success && *seen.billing_last_success > baseline) {
      baseline = *seen.billing_last_success;
    }
    const auto limit = options_.billing_interval * 3;
    if (now - baseline > limit) {
      Alert a;
      a.id = "billing_stalled";
      a.kind = "billing_stalled";
      a.severity = "critical";
      a.message = fmt::format("No successful billing pass for more than {} s",
                              std::chrono::duration_cast<std::chrono::seconds>(limit).count());
      a.details = {{"last_success", seen.billing_last_success ? nlohmann::json(core::to_iso8601(
                                                                    *seen.billing_last_success))
                                                              : nlohmann::json(nullptr)}};
      out.emplace(a.id, std::move(a));
    }
  }
  return out;
}

std::vector<Transition> AlertState::evaluate(const Observations& seen, core::TimePoint now) {
  std::lock_guard lock(mu_);
  auto want = wanted(seen, now);
  std::vector<Transition> raised;
  std::vector<Transition> cleared;
  for (auto& [id, alert] : want) {
    auto it = active_.find(id);
    if (it == active_.end()) {
      alert.since = now;
      raised.push_back(Transition{true, alert, now});
      active_.emplace(id, std::move(alert));
    } else {
      // Still raised: the latest message and details, the first time.
      it->second.message = std::move(alert.message);
      it->second.details = std::move(alert.details);
    }
  }
  for (auto it = active_.begin(); it != active_.end();) {
    if (want.contains(it->first)) {
      ++it;
      continue;
    }
    cleared.push_back(Transition{false, std::move(it->second), now});
    it = active_.erase(it);
  }
  for (auto& c : cleared) {
    raised.push_back(std::move(c));
  }
  return raised;
}

void AlertState::reset() {
  std::lock_guard lock(mu_);
  active_.clear();
  began_.reset();
  db_failed_in_row_ = 0;
  k8s_failed_in_row_ = 0;
}

std::vector<Alert> AlertState::active() const {
  std::lock_guard lock(mu_);
  std::vector<Alert> out;
  out.reserve(active_.size());
  for (const auto& [id, a] : active_) {
    out.push_back(a);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Alert& a, const Alert& b) { return a.since < b.since; });
  return out;
}

// ------------------------------------------------------------------------------------ AlertsLoop

AlertsLoop::AlertsLoop(Deps deps, AlertsLoopOptions options)
    : deps_(std::move(deps)), options_(std::move(options)), state_(options_.alerts) {
  subscription_ = deps_.bus.subscribe([this](const core::Event& e) {
    if (e.type == "pod.deleted") {
      std::lock_guard lock(pods_mu_);
      pod_status_.erase(e.data.value("id", ""));
      return;
    }
    if (e.type != "pod.status" || !e.data.is_object()) {
      return;
    }
    const auto id = e.data.value("id", "");
    const auto status = e.data.value("status", "");
    bool failed_now = false;
    {
      std::lock_guard lock(pods_mu_);
      auto& last = pod_status_[id];
      failed_now = status == "failed" && last != "failed";
      last = status;
    }
    if (failed_now) {
      state_.record_pod_failure(id, e.data.value("name", id), deps_.clock.now());
    }
  });
}

AlertsLoop::~AlertsLoop() = default;

bool AlertsLoop::leading() const {
  return !deps_.leading || deps_.leading();
}

asio::awaitable<void> AlertsLoop::run(std::stop_token stop) {
  log::info("alerts.loop_started", {{"interval_ms", options_.interval.count()}});
  while (!stop.stop_requested()) {
    try {
      co_await run_once();
    } catch (const std::exception& e) {
      log::warn("alerts.evaluation_failed", {{"error", e.what()}});
    }
    const bool more = co_await core::sleep_for(options_.interval, stop);
    if (!more) {
      break;
    }
  }
  log::info("alerts.loop_stopped", {});
}

asio::awaitable<std::vector<Transition>> AlertsLoop::run_once() {
  if (!leading()) {
    if (!state_.active().empty()) {
      log::info("alerts.forgotten", {{"reason", "not leading"}});
    }
    state_.reset();
    co_return std::vector<Transition>{};
  }
  Observations seen;
  if (deps_.database_ping) {
    seen.database_error = co_await core::probe(deps_.database_ping(), options_.probe_timeout);
  }
  if (deps_.kubernetes_ping) {
    seen.kubernetes_error = co_await core::probe(deps_.kubernetes_ping(), options_.probe_timeout);
  }
  seen.billing_enabled = static_cast<bool>(deps_.billing_last_success);
  if (deps_.billing_last_success) {
    seen.billing_last_success = deps_.billing_last_success();
  }
  auto transitions = state_.evaluate(seen, deps_.clock.now());
  const auto ex = co_await asio::this_coro::executor;
  const bool database_up = !seen.database_error;
  for (const auto& t : transitions) {
    announce(t, database_up);
    if (deps_.notifications != nullptr && deps_.db != nullptr && database_up) {
      asio::co_spawn(ex, store(t), [](const std::exception_ptr& e) {
        log_failure("alerts.notification_failed", e);
      });
    }
    if (deps_.webhook != nullptr && !options_.webhook_url.empty()) {
      asio::co_spawn(ex, post_webhook(t),
                     [](const std::exception_ptr& e) { log_failure("alerts.webhook_failed", e); });
    }
  }
  co_return transitions;
}

void AlertsLoop::announce(const Transition& t, bool database_up) {
  const auto* type = event_type(t.raised);
  auto fields = nlohmann::json{{"alert", t.alert.id},
                               {"kind", t.alert.kind},
                               {"severity", t.alert.severity},
                               {"message", t.alert.message},
                               {"database_up", database_up}};
  if (t.raised) {
    log::warn(type, fields);
  } else {
    log::info(type, fields);
  }
  deps_.bus.publish(core::Event{type, "", transition_json(t)});  // admins only (no user)
  if (deps_.on_change) {
    deps_.on_change(t.alert, t.raised);
  }
}

asio::awaitable<void> AlertsLoop::store(Transition t) {
  const auto admins = co_await deps_.db->run([](db::Conn& c) { return admin_ids(c); });
  std::string kind = "alert_raised";
  std::string message = "Alert: " + t.alert.message;
  if (!t.raised) {
    kind = "alert_cleared";
    message = "Resolved: " + t.alert.message;
  }
  for (const auto& admin : admins) {
    co_await deps_.notifications->send(admin, kind, message, transition_json(t));
  }
}

asio::awaitable<void> AlertsLoop::post_webhook(Transition t) {
  nlohmann::json body = {{"event", event_type(t.raised)}, {"alert", transition_json(t)}};
  http::ClientRequest req;
  req.method = "POST";
  req.url = options_.webhook_url;
  req.headers.set("Content-Type", "application/json");
  req.body = body.dump();
  req.timeout = options_.webhook_timeout;
  const auto res = co_await deps_.webhook->fetch(std::move(req));
  if (res.status < 200 || res.status > 299) {
    log::warn("alerts.webhook_failed", {{"status", res.status}, {"alert", t.alert.id}});
  }
}

}  // namespace neuropod::alerts
