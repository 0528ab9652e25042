#pragma once
// The billing engine: running pods pay their hourly price per second through the ledger.
//
// A billing pass (BillingLoop, every 30 s) reads every billable pod in one query, works out in
// memory what is due (metering/periods.hpp: the periods of each run complete by now, and the
// remainder of each run that ended), applies it to the ledger in one batch (Ledger::apply_many:
// entry ids are deterministic, `charge:<pod>:<generation>:<k>`, so a retry, a restart or a second
// instance running the same pass never charges a period twice and never skips one), then records
// each pod's progress in one bulk write. Admins are never charged: their use is recorded at price
// as `usage` entries (amount 0). After the charges, each user's runway (balance / the hourly price
// of their running pods) is checked against the warning thresholds (catalog Settings
// `low_balance_warning_minutes`, default 60 and 10): one notification per crossing, re-armed when
// the runway goes back above it; at a balance <= 0 the user's running pods are stopped (through
// the Enforcer, reason "OutOfCredit") and the user told why.
//
// Billing's fields on a Pod document, which PodStore::save never writes ($set of pods::to_doc):
//   billed_generation, billed_since (that run's start), billed_until (charged up to; the run's end
//   once settled), billed_price_micros (fixed at the run's start), billed_prior_micros (earlier
//   runs), billed_micros (the pod's cost so far: Pod.cost_micros), unsettled (the run may still
//   have use not charged). On the User document: balance_alert_minutes (the warning threshold
//   crossed last; 0 = out of credit; null = none).
// The queries on those fields live here (not in PodStore): they are billing's own.
//
// Hooks for the pods module (PodService, under the pod's lock):
//   track(pod)   when a run became running (running_since set): billing remembers its start even
//                if the run ends before the next pass (the pods module resets running_since when
//                a run ends);
//   settle(pod)  when a run ended (stopped_at set), and before a record is reset for a new start:
//                charges the rest of the run now. Idempotent. The pass settles any ended run it
//                finds unsettled (after a crash) too.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "billing/ledger.hpp"
#include "core/event_bus.hpp"
#include "core/money.hpp"
#include "core/time.hpp"
#include "db/database.hpp"
#include "notify/notifications.hpp"
#include "pods/pod.hpp"
#include "pods/pod_service.hpp"

namespace neuropod::catalog {
class Catalog;
}

namespace neuropod::metering {

// Event types on core::EventBus (api/events/README.md; data schemas in api/openapi.yaml).
// Notifications (notify::Notifications, stored then published as "notification.created"): kind
// low_balance | critical_balance | out_of_credit, data {balance_micros,
// burn_rate_micros_per_hour, runway_seconds, threshold_minutes}.
// "balance.changed" (BalanceChangedEvent): {user_id, balance_micros}.
inline constexpr std::string_view kNotificationEvent = notify::kEvent;
inline constexpr std::string_view kBalanceChangedEvent = "balance.changed";
inline constexpr std::string_view kOutOfCreditReason = "OutOfCredit";

// What the meter needs from the pods module to stop a user's pods (PodService::stop_all_of).
class Enforcer {
 public:
  virtual ~Enforcer() = default;
  // Stops every running pod of `user` (workspaces kept) with `reason` (a code) and `message`
  // (plain words); returns how many were asked to stop.
  virtual boost::asio::awaitable<std::int64_t> stop_all_of(db::Oid user, std::string reason,
                                                           std::string message) = 0;
};

// An Enforcer from a function (the application wires it to PodService::stop_all_of).
class CallbackEnforcer final : public Enforcer {
 public:
  using Fn = std::function<boost::asio::awaitable<std::int64_t>(db::Oid, std::string, std::string)>;
  explicit CallbackEnforcer(Fn fn) : fn_(std::move(fn)) {}
  boost::asio::awaitable<std::int64_t> stop_all_of(db::Oid user, std::string reason,
                                                   std::string message) override {
    return fn_(user, std::move(reason), std::move(message));
  }

 private:
  Fn fn_;
};

struct MeterOptions {
  // Periods still going are charged once complete by now - margin (clock differences between
  // instances; an over-charge is refunded when the run settles anyway).
  std::chrono::milliseconds margin{5000};
  // Thresholds when no catalog is given (with a catalog: Settings::low_balance_warning_minutes).
  std::vector<std::int64_t> warning_minutes{60, 10};
};

// What one pass (or one settle) did.
struct PassReport {
  std::int64_t pods = 0;       // billable pods looked at
  std::int64_t periods = 0;    // periods due (charged, or recorded as usage)
  std::int64_t created = 0;    // ledger entries this call wrote (the rest existed: no-op)
  std::int64_t settled = 0;    // runs charged in full
  std::int64_t refunds = 0;    // corrections of runs charged past their end
  std::int64_t failed = 0;     // pods left for the next pass (a ledger error)
  std::int64_t notified = 0;   // notifications published
  std::int64_t enforced = 0;   // users whose pods were stopped
  core::Micros charged;        // new charges, positive
  std::int64_t load_ms = 0;    // reading pods and users
  std::int64_t ledger_ms = 0;  // Ledger::apply_many
  std::int64_t save_ms = 0;    // pods' progress
};

class Meter {
 public:
  // `catalog` (warning thresholds) and `enforcer` (stops at zero) may be null.
  Meter(db::Database& db, billing::Ledger& ledger, core::EventBus& bus, const core::Clock& clock,
        catalog::Catalog* catalog, Enforcer* enforcer, MeterOptions options = {});
  ~Meter();
  Meter(const Meter&) = delete;
  Meter& operator=(const Meter&) = delete;

  // One pass at clock.now(). Idempotent; safe beside another instance's pass. Throws when the
  // database cannot be read (the loop logs and tries again at its next tick).
  boost::asio::awaitable<PassReport> run_once();

  // Hooks (see the header comment). `pod` is the record as the caller holds it; fields it lacks
  // (running_since already reset) are taken from billing's own. Unknown pods are ignored.
  boost::asio::awaitable<PassReport> track(pods::Pod pod);
  boost::asio::awaitable<PassReport> settle(pods::Pod pod);
  boost::asio::awaitable<PassReport> settle(db::Oid pod_id);

  const MeterOptions& options() const { return options_; }
  // Where notifications are stored before they are published; without (benchmarks) they are
  // only published. Set once, before the first pass.
  void set_notifications(notify::Notifications* notifications);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  MeterOptions options_;
};

// The pods module's run hooks, charging through the meter (track / settle).
class MeterHooks final : public pods::RunHooks {
 public:
  explicit MeterHooks(Meter& meter) : meter_(meter) {}
  boost::asio::awaitable<void> run_started(pods::Pod pod) override {
    co_await meter_.track(std::move(pod));
  }
  boost::asio::awaitable<void> run_ended(pods::Pod pod) override {
    co_await meter_.settle(std::move(pod));
  }

 private:
  Meter& meter_;
};

}  // namespace neuropod::metering
