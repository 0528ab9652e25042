#pragma once
// Idle culling: running pods with no authorised traffic through the ingress for the settings'
// idle_timeout_minutes (0 = off) are stopped (reason "Idle", workspace kept), after an
// "idle_warning" notification `warn_before` ahead of the stop; the stop sends "pod_culled".
// A pod's idle clock starts at the later of its last activity (Pod.last_activity_at, written by
// access::ActivityRecorder) and the start of its run. Pods marked keep_running are left alone
// while the settings allow it (allow_keep_running); when the admin forbids it they are culled
// like the others.
//
// One pass (run_once) reads the running pods in one query; idempotent and safe beside another
// instance: the warning is claimed with a conditional update (one instance tells the user), and
// the stop re-checks idleness on the fresh record under the pod's lock (PodService::stop_if).
// The loop runs it on the instance leading the reconciler. Every time is the injected clock's.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>

#include <boost/asio/awaitable.hpp>

#include "catalog/catalog.hpp"
#include "core/time.hpp"
#include "db/database.hpp"
#include "notify/notifications.hpp"
#include "pods/pod_service.hpp"

namespace neuropod::idle {

inline constexpr std::string_view kIdleReason = "Idle";

struct CullerOptions {
  std::chrono::minutes warn_before{10};  // at most half the timeout
  std::chrono::milliseconds interval{30'000};
  std::function<bool()> leading;  // unset: every tick
};

struct CullReport {
  std::int64_t running = 0;  // running pods looked at
  std::int64_t warned = 0;
  std::int64_t stopped = 0;
  std::int64_t kept = 0;  // exempt (keep running)
};

// When the pod stops for idleness (nullopt: never: culling off, exempt, or not running).
std::optional<core::TimePoint> idle_stop_at(const pods::Pod& pod, const catalog::Settings& s);
// The warning lead for a timeout: warn_before, at most half the timeout.
std::chrono::milliseconds warning_lead(std::chrono::minutes warn_before, std::int64_t timeout_min);

class IdleCuller {
 public:
  IdleCuller(db::Database& db, catalog::Catalog& catalog, pods::PodService& pods,
             notify::Notifications& notifications, const core::Clock& clock,
             CullerOptions options = {})
      : db_(db),
        catalog_(catalog),
        pods_(pods),
        notifications_(notifications),
        clock_(clock),
        options_(std::move(options)) {}

  boost::asio::awaitable<CullReport> run_once();
  boost::asio::awaitable<void> run(std::stop_token stop);

 private:
  boost::asio::awaitable<bool> claim_warning(const pods::Pod& pod, core::TimePoint idle_since);

  db::Database& db_;
  catalog::Catalog& catalog_;
  pods::PodService& pods_;
  notify::Notifications& notifications_;
  const core::Clock& clock_;
  CullerOptions options_;
};

}  // namespace neuropod::idle
