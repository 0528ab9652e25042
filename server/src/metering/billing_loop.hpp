#pragma once
// Runs the billing pass (Meter::run_once) at once and then every `interval` until stopped. All
// time arithmetic uses the meter's injected clock; the interval is a real-time wait. A pass that
// throws (database down) is logged and the next tick tries again: the pass is idempotent and
// charges whatever became due meanwhile, so a missed tick loses nothing. Two instances (two
// backends) may run it at once: entry ids are deterministic, nothing is charged twice; normally
// only the leader does (BillingLoopOptions::leading).
#include <chrono>
#include <cstdint>
#include <functional>
#include <stop_token>

#include <boost/asio/awaitable.hpp>

#include "metering/meter.hpp"

namespace neuropod::metering {

struct BillingLoopOptions {
  std::chrono::milliseconds interval{30'000};
  // When set, a tick runs the pass only while this says true (the instance leading the pod
  // reconciler); the others stay ready to take over. Unset: every tick.
  std::function<bool()> leading;
  // After each pass this instance ran (metrics, alerts): whether it succeeded, how long it took,
  // the ledger entries it created and the amount they charged.
  struct Pass {
    bool ok = false;
    std::chrono::steady_clock::duration duration{};
    std::int64_t entries = 0;
    std::int64_t charged_micros = 0;
  };
  std::function<void(const Pass&)> on_pass;
};

class BillingLoop {
 public:
  explicit BillingLoop(Meter& meter, BillingLoopOptions options = {})
      : meter_(meter), options_(options) {}

  boost::asio::awaitable<void> run(std::stop_token stop);

  std::int64_t passes() const { return passes_; }
  std::int64_t failures() const { return failures_; }

 private:
  Meter& meter_;
  BillingLoopOptions options_;
  std::int64_t passes_ = 0;
  std::int64_t failures_ = 0;
};

}  // namespace neuropod::metering
