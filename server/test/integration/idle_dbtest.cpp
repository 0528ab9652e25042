// Idle culling and the lifecycle report against the real database, with a manual clock: a pod
// with no activity is warned once, then stopped; activity restarts the idle clock; keep running
// exempts it while the settings allow it; two instances warn once; the report explains it.
#include "idle/idle_culler.hpp"

#include <gtest/gtest.h>

#include "billing/ledger.hpp"
#include "core/errors.hpp"
#include "core/event_bus.hpp"
#include "core/ids.hpp"
#include "db/schema.hpp"
#include "idle/lifecycle.hpp"
#include "integration/db_test_env.hpp"

namespace catalog = neuropod::catalog;
namespace core = neuropod::core;
namespace db = neuropod::db;
namespace idle = neuropod::idle;
namespace notify = neuropod::notify;
namespace pods = neuropod::pods;
namespace users = neuropod::users;
using neuropod::test::run;
using namespace std::chrono_literals;

namespace {

template <typename F>
core::ErrorCode error_code_of(F&& f) {
  try {
    f();
  } catch (const core::Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no core::Error thrown";
  return core::ErrorCode::internal;
}

}  // namespace

class IdleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cfg = neuropod::test::database_config();
    cfg.name = "neuropod_test_idle_" + core::random_hex(4);
    db_ = std::make_unique<db::Database>(cfg);
    db_->run_sync([](db::Conn& c) { db::ensure_schema(c); });
    users_ = std::make_unique<users::UserStore>(*db_, clock_);
    catalog_ = std::make_unique<catalog::Catalog>(*db_, clock_, core::Micros::from_eur(10));
    run(catalog_->seed());
    store_ = std::make_unique<pods::PodStore>(*db_, clock_);
    pods_ = std::make_unique<pods::PodService>(*store_, *users_, *catalog_, nullptr, bus_, clock_);
    notifications_ = std::make_unique<notify::Notifications>(*db_, bus_, clock_);
    culler_ = culler();
    lifecycle_ = std::make_unique<idle::Lifecycle>(*catalog_, *pods_, *store_, *users_, clock_);
  }

  void TearDown() override {
    db_->run_sync([](db::Conn& c) { c.drop_database(); });
    db_->close();
  }

  std::unique_ptr<idle::IdleCuller> culler() {
    return std::make_unique<idle::IdleCuller>(*db_, *catalog_, *pods_, *notifications_, clock_);
  }

  users::User user(users::Role role = users::Role::client) {
    return run(users_->create({.google_id = {},
                               .email = "idle-" + core::random_hex(4) + "@example.com",
                               .name = {},
                               .avatar_url = {},
                               .role = role}));
  }

  pods::Pod running_pod(const users::User& owner, core::Micros price = core::Micros(600'000)) {
    pods::Pod p;
    p.id = db::Oid::generate();
    p.user_id = owner.id;
    p.user_email = owner.email;
    p.name = "job-" + core::random_hex(3);
    p.name_key = p.name;
    p.image = "example/job:1";
    p.price_per_hour = price;
    p.desired = "running";
    p.status = "running";
    p.ready = true;
    p.running_since = clock_.now();
    p.created_at = p.updated_at = clock_.now();
    run(store_->insert(p));
    return p;
  }

  void set_activity(const pods::Pod& p) {
    db::Doc filter;
    filter.append("_id", p.id);
    db::Doc set;
    set.append("last_activity_at", clock_.now());
    db::Doc update;
    update.append("$set", set);
    db_->run_sync(
        [&](db::Conn& c) { c.collection(db::collections::kPod).update_one(filter, update); });
  }

  void settings(std::int64_t timeout, bool allow_keep) {
    auto s = run(catalog_->settings());
    s.idle_timeout_minutes = timeout;
    s.allow_keep_running = allow_keep;
    run(catalog_->update_settings(s, "admin@example.com"));
  }

  std::vector<std::string> kinds(const users::User& u) {
    std::vector<std::string> out;
    for (const auto& n : run(notifications_->list(u.id, false, 50, std::nullopt)).items) {
      out.insert(out.begin(), n.kind);  // oldest first
    }
    return out;
  }

  core::ManualClock clock_{std::chrono::system_clock::now()};
  core::EventBus bus_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<users::UserStore> users_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<pods::PodStore> store_;
  std::unique_ptr<pods::PodService> pods_;
  std::unique_ptr<notify::Notifications> notifications_;
  std::unique_ptr<idle::IdleCuller> culler_;
  std::unique_ptr<idle::Lifecycle> lifecycle_;
};

TEST_F(IdleTest, AnIdlePodIsWarnedOnceThenStoppedAndActivityRestartsTheClock) {
  settings(60, true);
  const auto u = user();
  const auto p = running_pod(u);
  clock_.advance(49min);
  EXPECT_EQ(run(culler_->run_once()).warned, 0);
  clock_.advance(1min);  // 10 minutes before the stop
  EXPECT_EQ(run(culler_->run_once()).warned, 1);
  clock_.advance(1min);
  EXPECT_EQ(run(culler_->run_once()).warned, 0) << "once per idle period";
  EXPECT_EQ(kinds(u), std::vector<std::string>{"idle_warning"});

  clock_.advance(4min);  // 55 minutes: someone opens it
  set_activity(p);
  clock_.advance(10min);  // 65 minutes since the start, 10 since the activity
  auto r = run(culler_->run_once());
  EXPECT_EQ(r.stopped, 0);
  EXPECT_EQ(r.warned, 0);
  clock_.advance(40min);  // 50 idle minutes: a new period, a new warning
  EXPECT_EQ(run(culler_->run_once()).warned, 1);
  clock_.advance(10min);
  r = run(culler_->run_once());
  EXPECT_EQ(r.stopped, 1);
  const auto stopped = run(store_->find(p.id));
  EXPECT_EQ(stopped->desired, "stopped");
  EXPECT_EQ(stopped->reason, "Idle");
  EXPECT_NE(stopped->message.find("60 minutes"), std::string::npos);
  EXPECT_EQ(kinds(u), (std::vector<std::string>{"idle_warning", "idle_warning", "pod_culled"}));
  const auto culled = run(notifications_->list(u.id, false, 1, std::nullopt)).items.at(0);
  EXPECT_EQ(culled.data.at("pod_id"), p.id.to_string());
  EXPECT_EQ(culled.data.at("idle_minutes"), 60) << "the web words the text from it";
  clock_.advance(1h);
  EXPECT_EQ(run(culler_->run_once()).stopped, 0) << "idempotent";
}

TEST_F(IdleTest, KeepRunningExemptsAPodWhileTheAdminAllowsIt) {
  settings(30, true);
  const auto u = user();
  const auto p = running_pod(u);
  const pods::Actor owner{u.id, u.email, false};
  EXPECT_TRUE(run(lifecycle_->set_keep_running(owner, p.id, true)).keep_running);
  clock_.advance(3h);
  auto r = run(culler_->run_once());
  EXPECT_EQ(r.kept, 1);
  EXPECT_EQ(r.stopped, 0);
  EXPECT_EQ(run(lifecycle_->report(owner, p.id))["idle"]["culling"], "exempt");

  // The admin forbids it: the pod is culled like the others, and it cannot be turned on.
  settings(30, false);
  EXPECT_EQ(error_code_of([&] { run(lifecycle_->set_keep_running(owner, p.id, true)); }),
            core::ErrorCode::forbidden);
  EXPECT_EQ(run(culler_->run_once()).stopped, 1);
  EXPECT_EQ(run(store_->find(p.id))->reason, "Idle");
  // Another user cannot touch it.
  const auto other = user();
  EXPECT_EQ(
      error_code_of([&] {
        run(lifecycle_->set_keep_running(pods::Actor{other.id, other.email, false}, p.id, false));
      }),
      core::ErrorCode::not_found);
}

TEST_F(IdleTest, CullingOffStopsNothingAndTwoInstancesWarnOnce) {
  settings(0, true);
  const auto u = user();
  const auto p = running_pod(u);
  clock_.advance(24h);
  EXPECT_EQ(run(culler_->run_once()).stopped, 0);
  EXPECT_EQ(run(lifecycle_->report(pods::Actor{u.id, u.email, false}, p.id))["idle"]["culling"],
            "off");

  settings(20, true);  // 24 h idle: stopped at once, without a warning
  const auto q = running_pod(u);
  clock_.advance(10min);  // q: at its warning
  auto second = culler();
  const auto a = run(culler_->run_once());
  const auto b = run(second->run_once());
  EXPECT_EQ(a.stopped + b.stopped, 1);  // p
  EXPECT_EQ(a.warned + b.warned, 1);    // q, once
  EXPECT_EQ(run(store_->find(q.id))->desired, "running");
}

TEST_F(IdleTest, TheLifecycleReportSaysWhenAndWhy) {
  settings(60, true);
  const auto u = user();
  neuropod::billing::Ledger ledger(*db_, clock_);
  neuropod::billing::Change credit;
  credit.kind = neuropod::billing::EntryKind::credit;
  credit.amount = core::Micros(3'000'000);  // 3 EUR
  credit.reason = "test";
  run(ledger.apply(u.id, credit));
  const auto p = running_pod(u, core::Micros(1'000'000));  // 1 EUR/h
  running_pod(u, core::Micros(2'000'000));                 // 2 EUR/h: 3 EUR/h in all
  clock_.advance(10min);
  const auto r = run(lifecycle_->report(pods::Actor{u.id, u.email, false}, p.id));
  EXPECT_EQ(r["running"], true);
  EXPECT_EQ(r["idle"]["stop_at"], core::to_iso8601(clock_.now() + 50min));
  EXPECT_EQ(r["balance"]["burn_rate_micros_per_hour"], 3'000'000);
  EXPECT_EQ(r["balance"]["runway_seconds"], 3600);
  EXPECT_EQ(r["stop_at"], r["idle"]["stop_at"]) << "the earlier of idle (50 min) and balance (1 h)";
  EXPECT_EQ(r["reasons"].size(), 3U);

  const auto admin = user(users::Role::admin);
  const auto ap = running_pod(admin);
  const auto ar = run(lifecycle_->report(pods::Actor{admin.id, admin.email, true}, ap.id));
  EXPECT_EQ(ar["balance"]["unlimited"], true);
  EXPECT_TRUE(ar["balance"]["runway_seconds"].is_null());
}
