// The alert state machine (alerts::AlertState) with a manual clock, and one AlertsLoop evaluation
// with fake probes: transitions, the admin events they publish, and the leader rule.
#include "alerts/alerts.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace asio = boost::asio;
using neuropod::alerts::Alert;
using neuropod::alerts::AlertOptions;
using neuropod::alerts::AlertsLoop;
using neuropod::alerts::AlertsLoopOptions;
using neuropod::alerts::AlertState;
using neuropod::alerts::Observations;
using neuropod::alerts::Transition;
using neuropod::core::EventBus;
using neuropod::core::ManualClock;
using neuropod::core::TimePoint;
using namespace std::chrono_literals;

namespace {

TimePoint t0() {
  return neuropod::core::from_unix_millis(1'800'000'000'000);
}

AlertOptions options() {
  AlertOptions o;
  o.pod_failures = 3;
  o.pod_failure_window = std::chrono::seconds(600);
  o.failing_pods = 4;
  o.billing_interval = 30s;
  o.probe_failures = 2;
  return o;
}

std::vector<std::string> ids(const std::vector<Transition>& ts, bool raised) {
  std::vector<std::string> out;
  for (const auto& t : ts) {
    if (t.raised == raised) {
      out.push_back(t.alert.id);
    }
  }
  return out;
}

Observations healthy(TimePoint billed) {
  Observations o;
  o.billing_last_success = billed;
  return o;
}

}  // namespace

TEST(AlertState, KubernetesUnreachableRaisedAfterTwoFailedProbesAndClearedByOneAnswer) {
  ManualClock clock(t0());
  AlertState state(options());
  auto seen = healthy(clock.now());
  EXPECT_TRUE(state.evaluate(seen, clock.now()).empty());
  seen.kubernetes_error = "connection refused";
  EXPECT_TRUE(state.evaluate(seen, clock.now()).empty()) << "one failed probe is not an alert";
  clock.advance(15s);
  const auto raised = state.evaluate(seen, clock.now());
  EXPECT_EQ(ids(raised, true), std::vector<std::string>{"kubernetes_unreachable"});
  ASSERT_EQ(state.active().size(), 1U);
  EXPECT_EQ(state.active()[0].severity, "critical");
  EXPECT_EQ(state.active()[0].details["error"], "connection refused");
  EXPECT_EQ(state.active()[0].since, clock.now());
  clock.advance(15s);
  EXPECT_TRUE(state.evaluate(seen, clock.now()).empty()) << "raised once, not every evaluation";
  seen.kubernetes_error.reset();
  const auto cleared = state.evaluate(seen, clock.now());
  EXPECT_EQ(ids(cleared, false), std::vector<std::string>{"kubernetes_unreachable"});
  EXPECT_TRUE(state.active().empty());
  EXPECT_TRUE(state.evaluate(seen, clock.now()).empty());
}

TEST(AlertState, DatabaseDownNeedsConsecutiveFailures) {
  ManualClock clock(t0());
  AlertState state(options());
  auto down = healthy(clock.now());
  down.database_error = "timeout";
  const auto up = healthy(clock.now());
  EXPECT_TRUE(state.evaluate(down, clock.now()).empty());
  EXPECT_TRUE(state.evaluate(up, clock.now()).empty());
  EXPECT_TRUE(state.evaluate(down, clock.now()).empty()) << "the count restarts after an answer";
  EXPECT_EQ(ids(state.evaluate(down, clock.now()), true),
            std::vector<std::string>{"database_down"});
}

TEST(AlertState, PodFailingRepeatedlyWithinTheWindowThenClearedWhenTheWindowPasses) {
  ManualClock clock(t0());
  AlertState state(options());
  state.record_pod_failure("p1", "comfy", clock.now());
  clock.advance(60s);
  state.record_pod_failure("p1", "comfy", clock.now());
  state.record_pod_failure("p2", "other", clock.now());
  EXPECT_TRUE(state.evaluate(healthy(clock.now()), clock.now()).empty());
  clock.advance(60s);
  state.record_pod_failure("p1", "comfy", clock.now());
  const auto raised = state.evaluate(healthy(clock.now()), clock.now());
  ASSERT_EQ(ids(raised, true), std::vector<std::string>{"pod_failing:p1"});
  EXPECT_EQ(raised[0].alert.kind, "pod_failing");
  EXPECT_EQ(raised[0].alert.details["failures"], 3);
  EXPECT_EQ(raised[0].alert.details["pod_name"], "comfy");
  // The first failure leaves the 10-minute window: 2 left, below the threshold.
  clock.advance(std::chrono::milliseconds(std::chrono::seconds(600 - 120 + 1)));
  const auto cleared = state.evaluate(healthy(clock.now()), clock.now());
  EXPECT_EQ(ids(cleared, false), std::vector<std::string>{"pod_failing:p1"});
}

TEST(AlertState, ManyDifferentPodsFailing) {
  ManualClock clock(t0());
  AlertState state(options());
  for (const auto* id : {"a", "b", "c"}) {
    state.record_pod_failure(id, id, clock.now());
  }
  EXPECT_TRUE(state.evaluate(healthy(clock.now()), clock.now()).empty());
  state.record_pod_failure("d", "d", clock.now());
  const auto raised = state.evaluate(healthy(clock.now()), clock.now());
  ASSERT_EQ(ids(raised, true), std::vector<std::string>{"pods_failing"});
  EXPECT_EQ(raised[0].alert.details["pods"], 4);
  clock.advance(601s);
  EXPECT_EQ(ids(state.evaluate(healthy(clock.now()), clock.now()), false),
            std::vector<std::string>{"pods_failing"});
}

TEST(AlertState, BillingStalledAfterThreeIntervalsWithoutSuccess) {
  ManualClock clock(t0());
  AlertState state(options());
  Observations never;  // no successful pass yet: counted from the first evaluation
  EXPECT_TRUE(state.evaluate(never, clock.now()).empty());
  clock.advance(90s);
  EXPECT_TRUE(state.evaluate(never, clock.now()).empty()) << "exactly 3 intervals: not yet";
  clock.advance(1s);
  EXPECT_EQ(ids(state.evaluate(never, clock.now()), true),
            std::vector<std::string>{"billing_stalled"});
  // A pass succeeds: cleared.
  EXPECT_EQ(ids(state.evaluate(healthy(clock.now()), clock.now()), false),
            std::vector<std::string>{"billing_stalled"});
  // An old success does not count.
  const auto last = clock.now();
  clock.advance(91s);
  EXPECT_EQ(ids(state.evaluate(healthy(last), clock.now()), true),
            std::vector<std::string>{"billing_stalled"});
  // Not watched (no billing loop): never.
  AlertState unwatched(options());
  Observations off;
  off.billing_enabled = false;
  unwatched.evaluate(off, clock.now());
  clock.advance(1h);
  EXPECT_TRUE(unwatched.evaluate(off, clock.now()).empty());
}

TEST(AlertState, ResetForgetsWithoutTransitions) {
  ManualClock clock(t0());
  AlertState state(options());
  auto down = healthy(clock.now());
  down.kubernetes_error = "refused";
  state.evaluate(down, clock.now());
  ASSERT_EQ(state.evaluate(down, clock.now()).size(), 1U);
  state.reset();
  EXPECT_TRUE(state.active().empty());
  EXPECT_TRUE(state.evaluate(down, clock.now()).empty()) << "the failure count restarted too";
}

// ------------------------------------------------------------------------------------ AlertsLoop

namespace {

asio::awaitable<void> fake_ping(const bool* down) {
  if (*down) {
    throw std::runtime_error("connection refused");
  }
  co_return;
}

std::vector<Transition> run_once(asio::io_context& ioc, AlertsLoop& loop) {
  auto f = asio::co_spawn(ioc, loop.run_once(), asio::use_future);
  ioc.restart();
  // Until the evaluation is done (kept-alive connections and detached probes may still wait).
  while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    ioc.run_one_for(std::chrono::milliseconds(20));
  }
  return f.get();
}

}  // namespace

TEST(AlertsLoop, PublishesAdminEventsAndCountsPodFailuresFromTheBus) {
  asio::io_context ioc;
  EventBus bus;
  ManualClock clock(t0());
  bool k8s_down = false;
  bool leading = true;
  std::vector<neuropod::core::Event> events;
  auto sub = bus.subscribe([&events](const neuropod::core::Event& e) {
    if (e.type.starts_with("alert.")) {
      events.push_back(e);
    }
  });
  std::vector<std::pair<std::string, bool>> changes;
  AlertsLoop::Deps deps{.bus = bus, .clock = clock};
  deps.kubernetes_ping = [&k8s_down]() { return fake_ping(&k8s_down); };
  deps.leading = [&leading] { return leading; };
  deps.on_change = [&changes](const Alert& a, bool active) { changes.emplace_back(a.id, active); };
  AlertsLoopOptions o;
  o.alerts = options();
  o.alerts.probe_failures = 1;
  AlertsLoop loop(deps, o);

  EXPECT_TRUE(run_once(ioc, loop).empty());
  k8s_down = true;
  ASSERT_EQ(ids(run_once(ioc, loop), true), std::vector<std::string>{"kubernetes_unreachable"});
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].type, "alert.raised");
  EXPECT_EQ(events[0].user_id, "") << "admins only";
  EXPECT_EQ(events[0].data["kind"], "kubernetes_unreachable");
  EXPECT_TRUE(events[0].data["message"].get<std::string>().find("connection refused") !=
              std::string::npos);
  ASSERT_EQ(loop.active().size(), 1U);

  k8s_down = false;
  ASSERT_EQ(ids(run_once(ioc, loop), false), std::vector<std::string>{"kubernetes_unreachable"});
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[1].type, "alert.cleared");
  EXPECT_TRUE(events[1].data.contains("cleared_at"));
  EXPECT_EQ(changes, (std::vector<std::pair<std::string, bool>>{
                         {"kubernetes_unreachable", true}, {"kubernetes_unreachable", false}}));

  // A pod that fails 3 times (status events; repeats of the same status are one failure).
  for (int i = 0; i < 3; ++i) {
    bus.publish({"pod.status", "u1", {{"id", "p9"}, {"name", "gpu-box"}, {"status", "running"}}});
    bus.publish({"pod.status", "u1", {{"id", "p9"}, {"name", "gpu-box"}, {"status", "failed"}}});
    bus.publish({"pod.status", "u1", {{"id", "p9"}, {"name", "gpu-box"}, {"status", "failed"}}});
    if (i < 2) {
      EXPECT_TRUE(run_once(ioc, loop).empty()) << i;
    }
  }
  EXPECT_EQ(ids(run_once(ioc, loop), true), std::vector<std::string>{"pod_failing:p9"});

  // Not leading: forgotten without events, nothing evaluated.
  leading = false;
  const auto before = events.size();
  k8s_down = true;
  EXPECT_TRUE(run_once(ioc, loop).empty());
  EXPECT_TRUE(run_once(ioc, loop).empty());
  EXPECT_TRUE(loop.active().empty());
  EXPECT_EQ(events.size(), before);
  EXPECT_FALSE(loop.leading());
}
