// The billing engine against the real database: hours of simulated use charged to the micro-euro,
// restarts and a second instance charging nothing twice and skipping nothing, the end-of-run
// settle, warnings, the stop at zero, admins' use, and the reports. Every test has its own
// throw-away database (a pass bills every pod of its database) and a manual clock.
#include "metering/meter.hpp"

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "billing/ledger.hpp"
#include "core/errors.hpp"
#include "core/ids.hpp"
#include "db/schema.hpp"
#include "integration/db_test_env.hpp"
#include "metering/billing_loop.hpp"
#include "metering/periods.hpp"
#include "metering/reports.hpp"
#include "pods/pod_store.hpp"
#include "users/user_store.hpp"

namespace billing = neuropod::billing;
namespace core = neuropod::core;
namespace db = neuropod::db;
namespace metering = neuropod::metering;
namespace notify = neuropod::notify;
namespace pods = neuropod::pods;
namespace users = neuropod::users;
using neuropod::test::run;
using namespace std::chrono_literals;

namespace {

constexpr core::Micros kPrice(1'234'567);  // 1.234567 EUR/h

core::TimePoint start_time() {
  return *core::from_iso8601("2026-03-01T22:00:00.000Z");
}

// Stops a user's pods the way PodService::stop_all_of does (desired stopped, status stopping:
// the run goes on until the reconciler sees the objects gone) and counts the calls.
class FakeEnforcer final : public metering::Enforcer {
 public:
  explicit FakeEnforcer(db::Database& d) : db_(d) {}
  boost::asio::awaitable<std::int64_t> stop_all_of(db::Oid user, std::string reason,
                                                   std::string message) override {
    {
      std::lock_guard g(mu_);
      calls.push_back({user.to_string(), reason, message});
    }
    db::Doc filter;
    filter.append("user_id", user).append("desired", "running");
    db::Doc set;
    set.append("desired", "stopped").append("status", "stopping").append("reason", reason);
    db::Doc update;
    update.append("$set", set);
    co_return co_await db_.run([&filter, &update](db::Conn& c) {
      return c.collection(db::collections::kPod).update_many(filter, update);
    });
  }

  struct Call {
    std::string user, reason, message;
  };
  std::vector<Call> calls;

 private:
  db::Database& db_;
  std::mutex mu_;
};

class MeteringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cfg = neuropod::test::database_config();
    cfg.name = "neuropod_test_meter_" + core::random_hex(4);
    cfg.threads = 4;
    db_ = std::make_unique<db::Database>(cfg);
    db_->run_sync([](db::Conn& c) { db::ensure_schema(c); });
    users_ = std::make_unique<users::UserStore>(*db_, clock_);
    store_ = std::make_unique<pods::PodStore>(*db_, clock_);
    ledger_ = std::make_unique<billing::Ledger>(*db_, clock_);
    enforcer_ = std::make_unique<FakeEnforcer>(*db_);
    notifications_ = std::make_unique<notify::Notifications>(*db_, bus_, clock_);
    meter_ = make_meter(*ledger_);
    subscription_ = bus_.subscribe([this](const core::Event& e) {
      std::lock_guard g(events_mu_);
      events_.push_back(e);
    });
  }

  void TearDown() override {
    subscription_.reset();
    meter_.reset();
    db_->run_sync([](db::Conn& c) { c.drop_database(); });
    db_->close();
  }

  std::unique_ptr<metering::Meter> make_meter(billing::Ledger& ledger,
                                              std::chrono::milliseconds margin = 5s) {
    metering::MeterOptions o;
    o.margin = margin;
    auto m =
        std::make_unique<metering::Meter>(*db_, ledger, bus_, clock_, nullptr, enforcer_.get(), o);
    m->set_notifications(notifications_.get());
    return m;
  }

  db::Oid user(std::int64_t balance_micros, users::Role role = users::Role::client) {
    static int n = 0;
    const auto u = run(users_->create(
        {.google_id = {},
         .email = "meter" + std::to_string(++n) + "-" + core::random_hex(3) + "@example.com",
         .name = {},
         .avatar_url = {},
         .role = role}));
    if (balance_micros != 0) {
      credit(u.id, balance_micros);
    }
    return u.id;
  }

  void credit(const db::Oid& user, std::int64_t micros) {
    billing::Change c;
    c.kind = billing::EntryKind::credit;
    c.amount = core::Micros(micros);
    c.reason = "test credit";
    run(ledger_->apply(user, std::move(c)));
  }

  // A pod record as PodService writes it (pods::to_doc), running since `since`.
  pods::Pod pod(const db::Oid& owner, core::Micros price, core::TimePoint since) {
    static int n = 0;
    pods::Pod p;
    p.id = db::Oid::generate();
    p.user_id = owner;
    p.name = "pod " + std::to_string(++n);
    p.name_key = "pod-" + std::to_string(n);
    p.image = "nginx:1.27";
    p.price_per_hour = price;
    p.desired = "running";
    p.status = "running";
    p.ready = true;
    p.created_at = p.updated_at = since;
    p.started_at = since;
    p.running_since = since;
    run(store_->insert(p));
    return p;
  }

  // What PodService does when a run ends: stopped_at set, running_since reset, saved whole.
  pods::Pod stop(const db::Oid& id, core::TimePoint at) {
    auto p = *run(store_->find(id));
    p.desired = "stopped";
    p.status = "stopped";
    p.ready = false;
    p.stopped_at = at;
    p.running_since.reset();
    run(store_->save(p));
    return p;
  }

  // What PodService::start does: a new generation, start recorded, end cleared.
  pods::Pod restart(const db::Oid& id, core::TimePoint running_at) {
    auto p = *run(store_->find(id));
    p.generation += 1;
    p.desired = "running";
    p.status = "running";
    p.running_since = running_at;
    p.stopped_at.reset();
    run(store_->save(p));
    return p;
  }

  std::int64_t balance(const db::Oid& u) { return run(users_->find_by_id(u))->balance.value(); }

  std::vector<billing::Entry> entries(const db::Oid& u) {
    return run(ledger_->list(u, 100'000, std::nullopt)).items;
  }

  std::vector<core::Event> events(std::string_view type) {
    std::lock_guard g(events_mu_);
    std::vector<core::Event> out;
    for (const auto& e : events_) {
      if (e.type == type) {
        out.push_back(e);
      }
    }
    return out;
  }

  db::Doc pod_doc(const db::Oid& id) {
    return *db_->run_sync([&id](db::Conn& c) {
      db::Doc f;
      f.append("_id", id);
      return c.collection(db::collections::kPod).find_one(f);
    });
  }

  // The ledger of a user is whole: sequence numbers 1..n, every entry applied, ids unique, and
  // the balance is the sum of the amounts.
  void expect_consistent_ledger(const db::Oid& u) {
    auto all = entries(u);
    std::set<std::int64_t> seqs;
    std::set<std::string> ids;
    std::int64_t sum = 0;
    for (const auto& e : all) {
      seqs.insert(e.seq);
      ids.insert(e.id);
      sum += e.amount.value();
      EXPECT_TRUE(e.applied) << e.id;
    }
    EXPECT_EQ(ids.size(), all.size());
    EXPECT_EQ(seqs.size(), all.size());
    if (!seqs.empty()) {
      EXPECT_EQ(*seqs.begin(), 1);
      EXPECT_EQ(*seqs.rbegin(), static_cast<std::int64_t>(all.size())) << "no gaps";
    }
    EXPECT_EQ(sum, balance(u));
  }

  core::ManualClock clock_{start_time()};
  core::EventBus bus_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<users::UserStore> users_;
  std::unique_ptr<pods::PodStore> store_;
  std::unique_ptr<billing::Ledger> ledger_;
  std::unique_ptr<FakeEnforcer> enforcer_;
  std::unique_ptr<notify::Notifications> notifications_;
  std::unique_ptr<metering::Meter> meter_;
  std::mutex events_mu_;
  std::vector<core::Event> events_;
  core::EventBus::Subscription subscription_;
};

}  // namespace

TEST_F(MeteringTest, NotificationsArePagedReadAndOwned) {
  const auto u = user(0);
  const auto other = user(0);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    clock_.advance(1s);
    ids.push_back(
        run(notifications_->send(u, "pod_failed", "failed " + std::to_string(i), {{"pod_id", "x"}}))
            .id.to_string());
  }
  auto first = run(notifications_->list(u, false, 3, std::nullopt));
  ASSERT_EQ(first.items.size(), 3U);
  EXPECT_EQ(first.unread, 5);
  EXPECT_EQ(first.items[0].id.to_string(), ids[4]);  // newest first
  ASSERT_TRUE(first.next_before.has_value());
  auto second = run(notifications_->list(u, false, 3, db::Oid::parse(*first.next_before)));
  ASSERT_EQ(second.items.size(), 2U);
  EXPECT_EQ(second.items[1].id.to_string(), ids[0]);
  EXPECT_FALSE(second.next_before.has_value());
  // Another user's notification is not found, and stays unread.
  const auto id3 = *db::Oid::parse(ids[3]);
  EXPECT_THROW(run(notifications_->mark_read(other, id3)), core::NotFound);
  run(notifications_->mark_read(u, id3));
  run(notifications_->mark_read(u, id3));  // again: no error
  auto unread = run(notifications_->list(u, true, 10, std::nullopt));
  EXPECT_EQ(unread.unread, 4);
  EXPECT_EQ(unread.items.size(), 4U);
  EXPECT_EQ(run(notifications_->mark_all_read(u)), 4);
  EXPECT_EQ(run(notifications_->list(u, true, 10, std::nullopt)).items.size(), 0U);
  EXPECT_EQ(run(notifications_->list(other, false, 10, std::nullopt)).items.size(), 0U);
  // Each was published once, after it was stored, to its user.
  EXPECT_EQ(events(notify::kEvent).size(), 5U);
}

TEST_F(MeteringTest, HoursOfUseAreChargedToTheMicroEuro) {
  const auto u = user(100'000'000);
  const auto p = pod(u, kPrice, clock_.now());
  const auto length = 3h + 17min + 23s + 500ms;
  const auto end = start_time() + length;
  std::int64_t passes = 0;
  while (clock_.now() + 30s < end) {
    clock_.advance(30s);
    run(meter_->run_once());
    ++passes;
    // Charged at least once a minute: never more than a period and the margin behind.
    const auto until = pod_doc(p.id).get_time("billed_until");
    ASSERT_TRUE(until.has_value());
    EXPECT_LT(clock_.now() - *until, 65s) << "pass " << passes;
  }
  clock_.advance(std::chrono::duration_cast<std::chrono::milliseconds>(end - clock_.now()));
  stop(p.id, end);
  run(meter_->settle(p.id));

  const std::int64_t expected = 1'234'567LL * 11'843'500LL / 3'600'000LL;
  EXPECT_EQ(expected, 4'061'553);
  EXPECT_EQ(100'000'000 - balance(u), expected);
  std::int64_t charges = 0;
  for (const auto& e : entries(u)) {
    if (e.kind == billing::EntryKind::charge) {
      ++charges;
      EXPECT_LT(e.amount.value(), 0);
      EXPECT_EQ(e.usage.value(), -e.amount.value());
      EXPECT_EQ(e.pod_id, p.id.to_string());
      EXPECT_NE(e.reason.find(p.name), std::string::npos) << e.reason;
    }
  }
  EXPECT_EQ(charges, 198) << "197 whole minutes and the last 23.5 s";
  EXPECT_EQ(run(store_->find(p.id))->cost.value(), expected) << "the pod's cost so far";
  expect_consistent_ledger(u);
  // Once settled, passes and settles change nothing.
  clock_.advance(10min);
  auto r = run(meter_->run_once());
  EXPECT_EQ(r.created, 0);
  run(meter_->settle(p.id));
  EXPECT_EQ(100'000'000 - balance(u), expected);
}

TEST_F(MeteringTest, ARestartOrALostProgressWriteChargesNothingTwiceAndSkipsNothing) {
  const auto u = user(100'000'000);
  const auto p = pod(u, kPrice, clock_.now());
  for (int i = 0; i < 20; ++i) {  // 10 minutes
    clock_.advance(30s);
    run(meter_->run_once());
  }
  // The backend restarts: a new ledger and meter (no in-process state survives).
  meter_.reset();
  ledger_ = std::make_unique<billing::Ledger>(*db_, clock_);
  meter_ = make_meter(*ledger_);
  // And the crash lost the pods' progress write of the last passes (the ledger has them).
  db_->run_sync([&p](db::Conn& c) {
    db::Doc f;
    f.append("_id", p.id);
    db::Doc set;
    set.append("billed_until", start_time() + 2min);
    db::Doc u2;
    u2.append("$set", set);
    c.collection(db::collections::kPod).update_one(f, u2);
  });
  clock_.advance(30s);
  const auto r = run(meter_->run_once());
  EXPECT_GE(r.periods, 7) << "periods 2..9 are due again";
  EXPECT_LE(r.created, 1) << "only the period completed meanwhile is new";
  for (int i = 0; i < 10; ++i) {
    clock_.advance(30s);
    run(meter_->run_once());
  }
  const auto end = clock_.now() + 10s;
  clock_.advance(10s);
  stop(p.id, end);
  run(meter_->settle(p.id));
  EXPECT_EQ(
      100'000'000 - balance(u),
      metering::cost_at(
          kPrice, std::chrono::duration_cast<std::chrono::milliseconds>(end - start_time()).count())
          .value());
  expect_consistent_ledger(u);
}

TEST_F(MeteringTest, TwoInstancesInterleavedChargeEveryPeriodExactlyOnce) {
  billing::Ledger other_ledger(*db_, clock_);  // a second backend: its own in-process locks
  auto other = make_meter(other_ledger);
  std::vector<db::Oid> people;
  std::vector<pods::Pod> all;
  for (int i = 0; i < 5; ++i) {
    people.push_back(user(50'000'000));
    for (int k = 0; k < 4; ++k) {
      all.push_back(pod(people.back(), core::Micros(1'000'000 + 123'457 * (i * 4 + k)),
                        clock_.now() + std::chrono::seconds(7 * k)));
    }
  }
  for (int round = 0; round < 24; ++round) {  // 12 minutes; both at once, every 30 s
    clock_.advance(30s);
    std::thread a([&] { run(meter_->run_once()); });
    std::thread b([&] { run(other->run_once()); });
    a.join();
    b.join();
  }
  const auto end = clock_.now() + 17s;
  clock_.advance(17s);
  for (const auto& p : all) {
    stop(p.id, end);
  }
  std::thread a([&] {
    for (const auto& p : all) {
      run(meter_->settle(p.id));
    }
  });
  std::thread b([&] { run(other->run_once()); });
  a.join();
  b.join();
  run(other->run_once());
  for (const auto& u : people) {
    std::int64_t expected = 0;
    for (const auto& p : all) {
      if (p.user_id == u) {
        expected +=
            metering::cost_at(
                p.price_per_hour,
                std::chrono::duration_cast<std::chrono::milliseconds>(end - *p.running_since)
                    .count())
                .value();
      }
    }
    EXPECT_EQ(50'000'000 - balance(u), expected);
    expect_consistent_ledger(u);
  }
}

TEST_F(MeteringTest, SettleChargesExactlyTheRemainderOnce) {
  const auto u = user(10'000'000);
  const auto p = pod(u, kPrice, clock_.now());
  clock_.advance(70s);
  auto first = run(meter_->run_once());
  EXPECT_EQ(first.created, 1);
  EXPECT_EQ(10'000'000 - balance(u), metering::cost_at(kPrice, 60'000).value());
  clock_.advance(80s + 250ms);
  const auto ended = stop(p.id, clock_.now());  // 150.25 s
  auto settled = run(meter_->settle(p.id));
  EXPECT_EQ(settled.settled, 1);
  EXPECT_EQ(settled.created, 2) << "minute 2 and the last 30.25 s";
  EXPECT_EQ(10'000'000 - balance(u), metering::cost_at(kPrice, 150'250).value());
  // Idempotent, through either hook and the pass.
  EXPECT_EQ(run(meter_->settle(p.id)).created, 0);
  EXPECT_EQ(run(meter_->settle(ended)).created, 0);
  clock_.advance(5min);
  EXPECT_EQ(run(meter_->run_once()).created, 0);
  EXPECT_EQ(10'000'000 - balance(u), metering::cost_at(kPrice, 150'250).value());
  EXPECT_FALSE(pod_doc(p.id).get_bool("unsettled").value_or(true));

  // Started again: a new generation, billed from its own start; the pod's cost covers both runs.
  restart(p.id, clock_.now());
  clock_.advance(2min + 5s);
  run(meter_->run_once());
  const auto again = stop(p.id, clock_.now());
  run(meter_->settle(again));
  const auto both =
      metering::cost_at(kPrice, 150'250).value() + metering::cost_at(kPrice, 125'000).value();
  EXPECT_EQ(10'000'000 - balance(u), both);
  EXPECT_EQ(run(store_->find(p.id))->cost.value(), both);
  expect_consistent_ledger(u);
}

TEST_F(MeteringTest, ARunShorterThanAPassIsChargedThroughTheHooks) {
  const auto u = user(10'000'000);
  const auto p = pod(u, kPrice, clock_.now());
  run(meter_->track(p));  // became running
  clock_.advance(20s);
  const auto ended = stop(p.id, clock_.now());  // running_since is reset now
  run(meter_->settle(ended));
  EXPECT_EQ(10'000'000 - balance(u), metering::cost_at(kPrice, 20'000).value());
}

TEST_F(MeteringTest, AnEndedRunLeftUnsettledByACrashIsSettledByThePass) {
  const auto u = user(10'000'000);
  const auto p = pod(u, kPrice, clock_.now());
  clock_.advance(90s);
  run(meter_->run_once());
  stop(p.id, clock_.now());  // ...and the process died before calling settle
  clock_.advance(30s);
  auto r = run(meter_->run_once());
  EXPECT_EQ(r.settled, 1);
  EXPECT_EQ(10'000'000 - balance(u), metering::cost_at(kPrice, 90'000).value());
}

TEST_F(MeteringTest, APeriodChargedPastTheEndIsRefundedOnce) {
  // A pass whose clock ran ahead of the instance that recorded the end (no margin here).
  meter_ = make_meter(*ledger_, 0ms);
  const auto u = user(10'000'000);
  const auto p = pod(u, kPrice, clock_.now());
  clock_.advance(120s);
  run(meter_->run_once());  // periods 0 and 1, whole
  const auto ended = stop(p.id, start_time() + 100s);
  auto r = run(meter_->settle(ended));
  EXPECT_EQ(r.refunds, 1);
  EXPECT_EQ(10'000'000 - balance(u), metering::cost_at(kPrice, 100'000).value());
  EXPECT_EQ(run(meter_->settle(p.id)).refunds, 0);
  EXPECT_EQ(10'000'000 - balance(u), metering::cost_at(kPrice, 100'000).value());
  expect_consistent_ledger(u);
}

TEST_F(MeteringTest, WarningsComeOnceEachAndAreReArmedByACredit) {
  const auto u = user(7'000'000);  // 70 minutes at 6 EUR/h
  pod(u, core::Micros(6'000'000), clock_.now());
  auto kinds = [this] {
    std::vector<std::string> out;
    for (const auto& e : events(metering::kNotificationEvent)) {
      out.push_back(e.data.at("kind").get<std::string>());
    }
    return out;
  };
  for (int i = 0; i < 2 * 25; ++i) {  // 25 minutes: under 60 minutes of runway after ~10
    clock_.advance(30s);
    run(meter_->run_once());
  }
  EXPECT_EQ(kinds(), std::vector<std::string>{"low_balance"});
  const auto low = events(metering::kNotificationEvent).front();
  EXPECT_EQ(low.user_id, u.to_string());
  EXPECT_NE(low.data.at("message").get<std::string>().find("minutes"), std::string::npos);
  for (int i = 0; i < 2 * 40; ++i) {  // 65 minutes in all: under 10 minutes after ~61
    clock_.advance(30s);
    run(meter_->run_once());
  }
  EXPECT_EQ(balance(u), 7'000'000 - 64 * 100'000);
  EXPECT_EQ(kinds(), (std::vector<std::string>{"low_balance", "critical_balance"}));
  EXPECT_TRUE(enforcer_->calls.empty());
  // Stored before they were published, unread, newest first, with the event's id.
  const auto stored = run(notifications_->list(u, true, 10, std::nullopt));
  ASSERT_EQ(stored.items.size(), 2U);
  EXPECT_EQ(stored.unread, 2);
  EXPECT_EQ(stored.items[0].kind, "critical_balance");
  EXPECT_EQ(stored.items[1].id.to_string(), low.data.at("id").get<std::string>());
  EXPECT_EQ(stored.items[1].data.at("threshold_minutes").get<std::int64_t>(), 60);
  credit(u, 10'000'000);  // back above both thresholds
  for (int i = 0; i < 4; ++i) {
    clock_.advance(30s);
    run(meter_->run_once());
  }
  EXPECT_EQ(kinds().size(), 2U) << "going back above a threshold says nothing";
  for (int i = 0; i < 2 * 60; ++i) {  // and running down again warns again
    clock_.advance(30s);
    run(meter_->run_once());
  }
  EXPECT_EQ(kinds(), (std::vector<std::string>{"low_balance", "critical_balance", "low_balance"}));
  EXPECT_FALSE(events(metering::kBalanceChangedEvent).empty());
}

TEST_F(MeteringTest, AtZeroThePodsAreStoppedOnceAndTheUserToldWhy) {
  const auto u = user(50'000);  // 50 s at 3.6 EUR/h
  const auto a = pod(u, core::Micros(1'800'000), clock_.now());
  const auto b = pod(u, core::Micros(1'800'000), clock_.now());
  for (int i = 0; i < 10; ++i) {
    clock_.advance(30s);
    run(meter_->run_once());
  }
  ASSERT_EQ(enforcer_->calls.size(), 1U);
  EXPECT_EQ(enforcer_->calls[0].user, u.to_string());
  EXPECT_EQ(enforcer_->calls[0].reason, "OutOfCredit");
  EXPECT_FALSE(enforcer_->calls[0].message.empty());
  std::vector<std::string> kinds;
  for (const auto& e : events(metering::kNotificationEvent)) {
    kinds.push_back(e.data.at("kind").get<std::string>());
  }
  ASSERT_FALSE(kinds.empty());
  EXPECT_EQ(kinds.back(), "out_of_credit");
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "out_of_credit"), 1);
  EXPECT_EQ(run(store_->find(a.id))->desired, "stopped");
  // The runs end when the reconciler sees them gone: charged to their end, into the negative.
  stop(a.id, clock_.now());
  stop(b.id, clock_.now());
  run(meter_->settle(a.id));
  run(meter_->settle(b.id));
  const auto used =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - start_time()).count();
  EXPECT_EQ(50'000 - balance(u), 2 * metering::cost_at(core::Micros(1'800'000), used).value());
  EXPECT_EQ(enforcer_->calls.size(), 1U);
}

TEST_F(MeteringTest, AdminsUseIsRecordedAtPriceWithoutChangingTheBalance) {
  const auto admin = user(0, users::Role::admin);
  const auto p = pod(admin, kPrice, clock_.now());
  for (int i = 0; i < 10; ++i) {
    clock_.advance(30s);
    run(meter_->run_once());
  }
  clock_.advance(12s);
  stop(p.id, clock_.now());
  run(meter_->settle(p.id));
  EXPECT_EQ(balance(admin), 0);
  std::int64_t usage = 0;
  for (const auto& e : entries(admin)) {
    EXPECT_EQ(e.kind, billing::EntryKind::usage);
    EXPECT_EQ(e.amount.value(), 0);
    usage += e.usage.value();
  }
  EXPECT_EQ(usage, metering::cost_at(kPrice, 312'000).value());
  EXPECT_EQ(run(store_->find(p.id))->cost.value(), usage);
  EXPECT_TRUE(enforcer_->calls.empty());
  EXPECT_TRUE(events(metering::kNotificationEvent).empty());
}

TEST_F(MeteringTest, ReportsSumWhatWasCharged) {
  const auto u = user(20'000'000);
  const auto p = pod(u, core::Micros(6'000'000), clock_.now());  // from 22:00 UTC
  pod(u, core::Micros(1'000'000), clock_.now());
  for (int i = 0; i < 2 * 150; ++i) {  // 2.5 hours: past midnight
    clock_.advance(30s);
    run(meter_->run_once());
  }
  metering::Reports reports(*db_, clock_);
  const auto s = run(reports.summary(u));
  const auto spent = 20'000'000 - balance(u);
  EXPECT_EQ(s.balance.value(), balance(u));
  EXPECT_EQ(s.burn_per_hour.value(), 7'000'000);
  EXPECT_EQ(s.running_pods, 2);
  ASSERT_TRUE(s.runway.has_value());
  EXPECT_EQ(*s.runway, balance(u) * 3600 / 7'000'000);
  EXPECT_EQ(s.totals.spent_30d.value(), spent);
  EXPECT_EQ(s.totals.spent_7d.value(), spent);
  EXPECT_GT(s.totals.spent_today.value(), 0);
  EXPECT_LT(s.totals.spent_today.value(), spent) << "yesterday's hours are not today's";
  const auto usage = run(reports.usage(u, 7));
  ASSERT_EQ(usage.days.size(), 7U);
  EXPECT_EQ(usage.days.back().day, "2026-03-02");
  EXPECT_EQ(usage.days[5].spent.value() + usage.days[6].spent.value(), spent);
  EXPECT_EQ(usage.spent.value(), spent);
  ASSERT_EQ(usage.parts.size(), 2U);
  EXPECT_EQ(usage.parts[0].id, p.id.to_string()) << "most used first";
  EXPECT_EQ(usage.parts[0].name, p.name);
  const auto all = run(reports.admin_summary());
  EXPECT_EQ(all.running_pods, 2);
  EXPECT_EQ(all.burn_per_hour.value(), 7'000'000);
  EXPECT_EQ(all.totals.spent_30d.value(), spent);
  const auto by_user = run(reports.admin_usage(30));
  ASSERT_EQ(by_user.parts.size(), 1U);
  EXPECT_EQ(by_user.parts[0].id, u.to_string());
  auto j = metering::to_json(s);
  EXPECT_EQ(j.at("spent_30d_micros").get<std::int64_t>(), spent);
}

TEST_F(MeteringTest, TheLoopRunsPassesUntilStopped) {
  const auto u = user(10'000'000);
  pod(u, kPrice, clock_.now() - 10min);
  metering::BillingLoop loop(*meter_, metering::BillingLoopOptions{.interval = 20ms});
  std::stop_source stop;
  {
    boost::asio::io_context ioc;
    boost::asio::co_spawn(ioc, loop.run(stop.get_token()), boost::asio::detached);
    boost::asio::steady_timer timer(ioc, 300ms);
    timer.async_wait([&stop](const boost::system::error_code&) { stop.request_stop(); });
    ioc.run();
  }
  EXPECT_GE(loop.passes(), 2);
  EXPECT_EQ(loop.failures(), 0);
  EXPECT_EQ(10'000'000 - balance(u), metering::cost_at(kPrice, 9 * 60'000).value())
      << "nine whole minutes are due (the tenth is within the margin), charged once";
}

TEST(BillingLoop, KeepsGoingAfterAFailedPass) {
  core::DatabaseConfig cfg;
  cfg.uri = "mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=100&connectTimeoutMS=100";
  cfg.name = "x";
  cfg.threads = 1;
  db::Database down(cfg);
  core::SystemClock clock;
  core::EventBus bus;
  billing::Ledger ledger(down, clock);
  metering::Meter meter(down, ledger, bus, clock, nullptr, nullptr);
  metering::BillingLoop loop(meter, metering::BillingLoopOptions{.interval = 10ms});
  std::stop_source stop;
  {
    boost::asio::io_context ioc;
    boost::asio::co_spawn(ioc, loop.run(stop.get_token()), boost::asio::detached);
    boost::asio::steady_timer timer(ioc, 600ms);
    timer.async_wait([&stop](const boost::system::error_code&) { stop.request_stop(); });
    ioc.run();
  }
  EXPECT_GE(loop.failures(), 2);
  EXPECT_EQ(loop.passes(), 0);
  down.close();
}
