#include "metering/billing_loop.hpp"

#include "core/logging.hpp"
#include "core/sleep.hpp"

namespace neuropod::metering {

namespace asio = boost::asio;

asio::awaitable<void> BillingLoop::run(std::stop_token stop) {
  log::info("billing.loop_started", {{"interval_ms", options_.interval.count()}});
  while (!stop.stop_requested()) {
    if (options_.leading && !options_.leading()) {
      if (!co_await core::sleep_for(options_.interval, stop)) {
        break;
      }
      continue;
    }
    BillingLoopOptions::Pass pass;
    const auto started = std::chrono::steady_clock::now();
    try {
      const auto r = co_await meter_.run_once();
      ++passes_;
      pass.ok = true;
      pass.entries = r.created;
      pass.charged_micros = r.charged.value();
      if (r.created > 0 || r.failed > 0 || r.settled > 0 || r.notified > 0 || r.enforced > 0) {
        log::info("billing.pass", {{"pods", r.pods},
                                   {"periods", r.periods},
                                   {"entries", r.created},
                                   {"charged_micros", r.charged.value()},
                                   {"settled", r.settled},
                                   {"refunds", r.refunds},
                                   {"failed", r.failed},
                                   {"notified", r.notified},
                                   {"enforced", r.enforced},
                                   {"load_ms", r.load_ms},
                                   {"ledger_ms", r.ledger_ms},
                                   {"save_ms", r.save_ms}});
      }
    } catch (const std::exception& e) {
      ++failures_;
      log::warn("billing.pass_failed", {{"error", e.what()}});
    }
    if (options_.on_pass) {
      pass.duration = std::chrono::steady_clock::now() - started;
      options_.on_pass(pass);
    }
    if (!co_await core::sleep_for(options_.interval, stop)) {
      break;
    }
  }
  log::info("billing.loop_stopped", {{"passes", passes_}});
}

}  // namespace neuropod::metering
