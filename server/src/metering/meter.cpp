#include "metering/meter.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "catalog/catalog.hpp"
#include "core/logging.hpp"
#include "db/schema.hpp"
#include "metering/periods.hpp"

namespace neuropod::metering {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

// A pod as billing reads it (only the fields it needs: a pass reads every billable pod).
struct BillablePod {
  db::Oid id;
  db::Oid user_id;
  std::string name;
  bool wants_running = false;  // desired running: the enforcer has something to stop
  RunRecord record;
  RunState state;
};

struct UserInfo {
  bool admin = false;
  core::Micros balance;
  std::optional<std::int64_t> alert;  // balance_alert_minutes
};

using Clock = std::chrono::steady_clock;

std::int64_t ms_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}

std::int64_t ms_between(core::TimePoint from, core::TimePoint to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

db::Doc pod_projection() {
  db::Doc p;
  for (const auto* field :
       {"user_id", "display_name", "desired", "generation", "price_per_hour_micros",
        "running_since", "stopped_at", "billed_generation", "billed_since", "billed_until",
        "billed_price_micros", "billed_prior_micros", "unsettled"}) {
    p.append(field, std::int32_t{1});
  }
  return p;
}

BillablePod billable_of(const db::Doc& d) {
  BillablePod p;
  p.id = d.get_oid("_id").value_or(db::Oid{});
  p.user_id = d.get_oid("user_id").value_or(db::Oid{});
  p.name = d.get_string("display_name").value_or("");
  p.wants_running = d.get_string("desired").value_or("") == pods::kRunning;
  p.record.generation = d.get_int64("generation").value_or(1);
  p.record.price_per_hour = core::Micros(d.get_int64("price_per_hour_micros").value_or(0));
  p.record.running_since = d.get_time("running_since");
  p.record.stopped_at = d.get_time("stopped_at");
  p.state.generation = d.get_int64("billed_generation");
  p.state.since = d.get_time("billed_since");
  p.state.until = d.get_time("billed_until");
  p.state.price = core::Micros(d.get_int64("billed_price_micros").value_or(0));
  p.state.prior = core::Micros(d.get_int64("billed_prior_micros").value_or(0));
  p.state.unsettled = d.get_bool("unsettled").value_or(false);
  return p;
}

// Running (running_since set, not stopped) or with use not charged yet.
db::Doc billable_filter() {
  db::Doc not_null;
  not_null.append_null("$ne");
  db::Doc running;
  running.append("running_since", not_null).append_null("stopped_at");
  db::Doc unsettled;
  unsettled.append("unsettled", true);
  db::Array either;
  either.push(running).push(unsettled);
  db::Doc filter;
  filter.append("$or", either);
  return filter;
}

void append_time(db::Doc& d, std::string_view key, const std::optional<core::TimePoint>& t) {
  if (t) {
    d.append(key, *t);
  } else {
    d.append_null(key);
  }
}

// The pod's billing fields. The filter is the `_id` alone: FerretDB 1.24 narrows an update in
// SQLite only for a lone `_id` (otherwise it decodes every pod for each statement: 13 times slower
// at 400 pods). A write made stale by a new start meanwhile (a window of milliseconds) cannot
// charge anything twice or skip anything: its billed_generation no longer matches the record, so
// the next pass takes the current run afresh from its running_since, and its periods' ids are
// the ledger's guard.
void save_state(db::BulkWrite& bulk, const BillablePod& pod, const RunState& s) {
  db::Doc filter;
  filter.append("_id", pod.id);
  db::Doc set;
  if (s.generation) {
    set.append("billed_generation", *s.generation);
  } else {
    set.append_null("billed_generation");
  }
  append_time(set, "billed_since", s.since);
  append_time(set, "billed_until", s.until);
  set.append("billed_price_micros", s.price.value())
      .append("billed_prior_micros", s.prior.value())
      .append("billed_micros", billed_total(s).value())
      .append("unsettled", s.unsettled);
  db::Doc update;
  update.append("$set", set);
  bulk.update_one(filter, update);
}

std::string duration_text(std::int64_t ms) {
  if (ms % 1000 == 0) {
    return fmt::format("{} s", ms / 1000);
  }
  return fmt::format("{}.{:03} s", ms / 1000, ms % 1000);
}

billing::Change change_for(const BillablePod& pod, const RunState& s, const Period& period,
                           bool admin) {
  billing::Change c;
  c.id = period_id(pod.id, *s.generation, period.index);
  c.kind = admin ? billing::EntryKind::usage : billing::EntryKind::charge;
  c.amount = admin ? core::Micros(0) : core::Micros(0) - period.amount;
  c.usage = period.amount;
  c.reason = fmt::format("{}: {} at {} EUR/h", pod.name,
                         duration_text(period.to_ms - period.from_ms), s.price.to_eur_string());
  c.pod_id = pod.id.to_string();
  c.day = utc_day(*s.since + std::chrono::milliseconds(period.from_ms));
  return c;
}

std::string notification_kind(std::int64_t level, const std::vector<std::int64_t>& thresholds) {
  if (level == 0) {
    return "out_of_credit";
  }
  const auto smallest = std::min_element(thresholds.begin(), thresholds.end());
  if (thresholds.size() >= 2 && smallest != thresholds.end() && *smallest == level) {
    return "critical_balance";
  }
  return "low_balance";
}

std::string notification_message(std::int64_t level, core::Micros balance, core::Micros burn) {
  if (level == 0) {
    return fmt::format(
        "Your balance ran out ({}): your running pods were stopped and their workspaces are "
        "kept. Add credit to start them again.",
        balance.to_display());
  }
  const auto runway = runway_seconds(balance, burn).value_or(0);
  return fmt::format(
      "Your balance ({}) lasts about {} minutes at the price of your running pods ({}/h). "
      "Add credit to keep them running.",
      balance.to_display(), runway / 60, burn.to_display());
}

json runway_json(core::Micros balance, core::Micros burn) {
  const auto r = runway_seconds(balance, burn);
  if (!r) {
    return nullptr;
  }
  return *r;
}

db::Doc alert_filter(const db::Oid& user, std::optional<std::int64_t> alert) {
  db::Doc f;
  f.append("_id", user);
  if (alert) {
    f.append("balance_alert_minutes", *alert);
  } else {
    f.append_null("balance_alert_minutes");  // also matches a missing field
  }
  return f;
}

db::Doc alert_update(std::optional<std::int64_t> alert) {
  db::Doc set;
  if (alert) {
    set.append("balance_alert_minutes", *alert);
  } else {
    set.append_null("balance_alert_minutes");
  }
  db::Doc u;
  u.append("$set", set);
  return u;
}

std::vector<std::int64_t> thresholds_of(const catalog::Settings& s) {
  return s.low_balance_warning_minutes;
}

}  // namespace

struct Meter::Impl {
  Impl(db::Database& d, billing::Ledger& l, core::EventBus& b, const core::Clock& c,
       catalog::Catalog* cat, Enforcer* e, const MeterOptions& o)
      : db(d), ledger(l), bus(b), clock(c), catalog(cat), enforcer(e), options(o) {}

  db::Database& db;
  billing::Ledger& ledger;
  core::EventBus& bus;
  const core::Clock& clock;
  catalog::Catalog* catalog;
  Enforcer* enforcer;
  MeterOptions options;
  notify::Notifications* notifications = nullptr;

  asio::awaitable<std::vector<BillablePod>> load_billable() {
    const db::Doc filter = billable_filter();
    db::FindOptions find;
    find.projection = pod_projection();
    auto docs = co_await db.run([&filter, &find](db::Conn& c) {
      return c.collection(db::collections::kPod).find(filter, find);
    });
    std::vector<BillablePod> out;
    out.reserve(docs.size());
    for (const auto& d : docs) {
      out.push_back(billable_of(d));
    }
    co_return out;
  }

  asio::awaitable<std::optional<BillablePod>> load_pod(db::Oid id) {
    db::Doc filter;
    filter.append("_id", id);
    db::FindOptions find;
    find.projection = pod_projection();
    auto doc = co_await db.run([&filter, &find](db::Conn& c) {
      return c.collection(db::collections::kPod).find_one(filter, find);
    });
    if (!doc) {
      co_return std::nullopt;
    }
    co_return billable_of(*doc);
  }

  asio::awaitable<std::unordered_map<std::string, UserInfo>> load_users(
      const std::vector<BillablePod>& pods) {
    db::Array ids;
    std::unordered_map<std::string, UserInfo> out;
    for (const auto& p : pods) {
      if (out.try_emplace(p.user_id.to_string()).second) {
        ids.push(p.user_id);
      }
    }
    out.clear();
    if (ids.size() == 0) {
      co_return out;
    }
    db::Doc in;
    in.append("$in", ids);
    db::Doc filter;
    filter.append("_id", in);
    db::FindOptions find;
    db::Doc projection;
    projection.append("role", std::int32_t{1})
        .append("balance_micros", std::int32_t{1})
        .append("balance_alert_minutes", std::int32_t{1});
    find.projection = projection;
    auto docs = co_await db.run([&filter, &find](db::Conn& c) {
      return c.collection(db::collections::kUser).find(filter, find);
    });
    for (const auto& d : docs) {
      UserInfo u;
      u.admin = d.get_string("role").value_or("") == "admin";
      u.balance = core::Micros(d.get_int64("balance_micros").value_or(0));
      u.alert = d.get_int64("balance_alert_minutes");
      out.emplace(d.get_oid("_id").value_or(db::Oid{}).to_string(), u);
    }
    co_return out;
  }

  asio::awaitable<std::vector<std::int64_t>> thresholds() {
    if (catalog == nullptr) {
      co_return options.warning_minutes;
    }
    try {
      const auto settings = co_await catalog->settings();
      co_return thresholds_of(settings);
    } catch (const std::exception& e) {
      log::warn("billing.settings_unavailable", {{"error", e.what()}});
    }
    co_return options.warning_minutes;
  }

  // A run charged past its end (a pass whose clock ran ahead of the one that recorded the end):
  // gives back what was charged for the periods at and after the end beyond the run's real cost
  // there. One refund per run (deterministic id), so settling twice gives back once.
  asio::awaitable<bool> refund_overcharge(const BillablePod& pod, const RunState& settled) {
    const auto since = *settled.since;
    const std::int64_t end_ms = std::max<std::int64_t>(ms_between(since, *settled.until), 0);
    const std::int64_t before_ms =
        std::max(end_ms, ms_between(since, pod.state.until.value_or(since)));
    const std::int64_t first = end_ms > 0 ? (end_ms - 1) / kPeriodMs : 0;  // holds the end
    const std::int64_t last = (before_ms + kPeriodMs - 1) / kPeriodMs;     // exclusive
    db::Array ids;
    for (std::int64_t k = first; k < last; ++k) {
      ids.push(period_id(pod.id, *settled.generation, k));
    }
    if (ids.size() == 0) {
      co_return false;
    }
    db::Doc in;
    in.append("$in", ids);
    db::Doc filter;
    filter.append("_id", in);
    auto docs = co_await db.run([&filter](db::Conn& c) {
      return c.collection(db::collections::kTransaccion).find(filter);
    });
    std::int64_t charged = 0;
    for (const auto& d : docs) {
      charged -= d.get_int64("amount_micros").value_or(0);
    }
    const auto expected =
        cost_at(settled.price, end_ms) - cost_at(settled.price, first * kPeriodMs);
    const std::int64_t over = charged - expected.value();
    if (over <= 0) {
      co_return false;
    }
    billing::Change refund;
    refund.id = refund_id(pod.id, *settled.generation);
    refund.kind = billing::EntryKind::refund;
    refund.amount = core::Micros(over);
    refund.usage = core::Micros(-over);
    refund.reason = fmt::format("{}: use charged past the end of the run, given back", pod.name);
    refund.pod_id = pod.id.to_string();
    refund.day = utc_day(*settled.until);
    co_await ledger.apply(pod.user_id, std::move(refund));
    log::info("billing.refunded", {{"pod_id", pod.id.to_string()}, {"micros", over}});
    co_return true;
  }

  asio::awaitable<bool> set_alert(const db::Oid& user, std::optional<std::int64_t> from,
                                  std::optional<std::int64_t> to) {
    const db::Doc filter = alert_filter(user, from);
    const db::Doc update = alert_update(to);
    const auto r = co_await db.run([&filter, &update](db::Conn& c) {
      return c.collection(db::collections::kUser).update_one(filter, update);
    });
    co_return r.matched > 0;
  }

  // Tells the user (stored, then published); false when it could not be stored.
  asio::awaitable<bool> notify(const db::Oid& user, std::int64_t level, core::Micros balance,
                               core::Micros burn, const std::vector<std::int64_t>& thresholds) {
    json details = {{"balance_micros", balance.value()},
                    {"burn_rate_micros_per_hour", burn.value()},
                    {"runway_seconds", runway_json(balance, burn)},
                    {"threshold_minutes", level}};
    auto kind = notification_kind(level, thresholds);
    auto message = notification_message(level, balance, burn);
    if (notifications == nullptr) {
      notify::Notification n{db::Oid::generate(),
                             user.to_string(),
                             std::move(kind),
                             std::move(message),
                             std::move(details),
                             clock.now(),
                             false};
      bus.publish(core::Event{std::string(notify::kEvent), n.user_id, notify::to_json(n)});
      co_return true;
    }
    try {
      co_await notifications->send(user, std::move(kind), std::move(message), std::move(details));
      co_return true;
    } catch (const std::exception& e) {
      log::error("billing.notify_failed", {{"user_id", user.to_string()}, {"error", e.what()}});
    }
    co_return false;
  }

  // Stops the user's pods; false (and logged) when the enforcer failed or there is none.
  asio::awaitable<bool> enforce(const db::Oid& user) {
    if (enforcer == nullptr) {
      log::warn("billing.no_enforcer", {{"user_id", user.to_string()}});
      co_return false;
    }
    try {
      const auto stopped = co_await enforcer->stop_all_of(
          user, std::string(kOutOfCreditReason),
          "Stopped because your balance ran out; the workspace is kept. Add credit to start it "
          "again.");
      log::info("billing.out_of_credit", {{"user_id", user.to_string()}, {"pods", stopped}});
      co_return true;
    } catch (const std::exception& e) {
      log::error("billing.enforce_failed", {{"user_id", user.to_string()}, {"error", e.what()}});
    }
    co_return false;
  }

  // Warnings and the stop at zero for one user after the charges (see the header comment).
  asio::awaitable<void> check_user(const db::Oid& user, const UserInfo& info, core::Micros burn,
                                   bool wants_running, const std::vector<std::int64_t>& thresholds,
                                   PassReport& report) {
    if (info.admin) {
      co_return;
    }
    const auto level = alert_level(info.balance, burn, thresholds);
    if (level == info.alert) {
      if (level && *level == 0 && wants_running) {
        // Out of credit already, yet a pod wants to run again: stop it again (no new message).
        if (co_await enforce(user)) {
          ++report.enforced;
        }
      }
      co_return;
    }
    // One instance claims the change (conditional on what it read); only it tells the user.
    if (!co_await set_alert(user, info.alert, level)) {
      co_return;
    }
    if (!more_severe(level, info.alert)) {
      co_return;  // back above a threshold: re-armed
    }
    if (*level == 0 && wants_running) {
      if (co_await enforce(user)) {
        ++report.enforced;
      } else {
        co_await set_alert(user, level, info.alert);  // the next pass tries again
        co_return;
      }
    }
    if (!co_await notify(user, *level, info.balance, burn, thresholds)) {
      co_await set_alert(user, level, info.alert);  // the next pass tells them
      co_return;
    }
    ++report.notified;
  }

  // Bills `pods` at `now`: the ledger batch, refunds of over-charged runs, the pods' progress;
  // then, for a pass (`check_users`), each user's warnings and enforcement.
  asio::awaitable<PassReport> bill(std::vector<BillablePod> pods, core::TimePoint now,
                                   bool check_users) {
    PassReport report;
    report.pods = static_cast<std::int64_t>(pods.size());
    auto t0 = Clock::now();
    const auto users = co_await load_users(pods);
    report.load_ms += ms_since(t0);

    std::vector<Plan> plans;
    plans.reserve(pods.size());
    std::vector<std::pair<db::Oid, billing::Change>> changes;
    std::vector<std::pair<std::size_t, std::size_t>> ranges;  // per pod: its changes
    for (const auto& pod : pods) {
      plans.push_back(plan(pod.state, pod.record, now, options.margin));
      const auto& p = plans.back();
      const auto u = users.find(pod.user_id.to_string());
      const bool admin = u != users.end() && u->second.admin;
      const std::size_t begin = changes.size();
      for (const auto& period : p.periods) {
        ++report.periods;
        if (period.amount.value() == 0) {
          continue;  // free pods, or a few milliseconds: nothing to record
        }
        changes.emplace_back(pod.user_id, change_for(pod, p.next, period, admin));
      }
      ranges.emplace_back(begin, changes.size());
      if (p.lost_end) {
        // Started again without settle() (a hook not called), or a stale progress write: what
        // was charged stays; the pods module must settle before it resets a record.
        log::warn("billing.run_closed_unsettled",
                  {{"pod_id", pod.id.to_string()}, {"generation", *pod.state.generation}});
      }
    }

    t0 = Clock::now();
    const auto results = co_await ledger.apply_many(std::move(changes));
    report.ledger_ms += ms_since(t0);

    // Users whose balance this call changed: their latest balance (by sequence number).
    std::unordered_map<std::string, std::pair<std::int64_t, core::Micros>> latest;  // seq, balance
    for (const auto& r : results) {
      if (!r.entry || !r.created) {
        continue;
      }
      ++report.created;
      report.charged = report.charged - r.entry->amount;
      if (r.entry->amount.value() == 0) {
        continue;
      }
      auto& slot = latest[r.entry->user_id.to_string()];
      if (r.entry->seq > slot.first) {
        slot = {r.entry->seq, r.entry->balance_after};
      }
    }

    t0 = Clock::now();
    std::vector<std::size_t> to_save;
    for (std::size_t i = 0; i < pods.size(); ++i) {
      const auto [begin, end] = ranges[i];
      bool ok = true;
      for (std::size_t k = begin; k < end; ++k) {
        if (!results[k].entry) {
          ok = false;
          log::warn("billing.charge_failed", {{"pod_id", pods[i].id.to_string()},
                                              {"user_id", pods[i].user_id.to_string()},
                                              {"error", results[k].error}});
          break;
        }
      }
      if (!ok) {
        ++report.failed;  // its progress stays: the next pass charges the same periods again
        continue;
      }
      const auto& p = plans[i];
      if (p.settles) {
        ++report.settled;
        const auto u = users.find(pods[i].user_id.to_string());
        const bool admin = u != users.end() && u->second.admin;
        if (!admin) {
          try {
            if (co_await refund_overcharge(pods[i], p.next)) {
              ++report.refunds;
            }
          } catch (const std::exception& e) {
            ++report.failed;
            log::warn("billing.refund_failed",
                      {{"pod_id", pods[i].id.to_string()}, {"error", e.what()}});
            continue;  // stays unsettled: tried again
          }
        }
      }
      if (p.write) {
        to_save.push_back(i);
      }
    }
    if (!to_save.empty()) {
      const std::vector<BillablePod>* all = &pods;
      const std::vector<Plan>* all_plans = &plans;
      const std::vector<std::size_t>* which = &to_save;
      co_await db.run([all, all_plans, which](db::Conn& c) {
        auto bulk = c.collection(db::collections::kPod).bulk();
        for (const auto i : *which) {
          save_state(bulk, (*all)[i], (*all_plans)[i].next);
        }
        bulk.execute();
      });
    }
    report.save_ms += ms_since(t0);

    for (const auto& [user, seen] : latest) {
      json data = {{"user_id", user}, {"balance_micros", seen.second.value()}};
      bus.publish(core::Event{std::string(kBalanceChangedEvent), user, std::move(data)});
    }

    if (check_users) {
      // Balances after the charges (and after anything else that happened meanwhile).
      t0 = Clock::now();
      const auto fresh = co_await load_users(pods);
      report.load_ms += ms_since(t0);
      const auto limits = co_await thresholds();
      std::map<std::string, std::pair<core::Micros, bool>> burn;  // user: price/h, wants running
      for (const auto& pod : pods) {
        auto& b = burn[pod.user_id.to_string()];
        if (pod.record.running_since && !pod.record.stopped_at) {
          b.first = b.first + pod.record.price_per_hour;
          b.second = b.second || pod.wants_running;
        }
      }
      for (const auto& [user, b] : burn) {
        const auto u = fresh.find(user);
        if (u == fresh.end()) {
          continue;
        }
        const auto id = db::Oid::parse(user);
        try {
          co_await check_user(*id, u->second, b.first, b.second, limits, report);
        } catch (const std::exception& e) {
          log::warn("billing.check_user_failed", {{"user_id", user}, {"error", e.what()}});
        }
      }
    }
    co_return report;
  }

  // One pod now (the hooks), the record's fields as the caller has them where set.
  asio::awaitable<PassReport> bill_pod(pods::Pod pod) {
    auto stored = co_await load_pod(pod.id);
    if (!stored) {
      co_return PassReport();
    }
    BillablePod b = std::move(*stored);
    b.record.generation = pod.generation;
    b.record.price_per_hour = pod.price_per_hour;
    if (pod.running_since) {
      b.record.running_since = pod.running_since;
    }
    if (pod.stopped_at) {
      b.record.stopped_at = pod.stopped_at;
    }
    std::vector<BillablePod> one;
    one.push_back(std::move(b));
    co_return co_await bill(std::move(one), clock.now(), false);
  }
};

Meter::Meter(db::Database& db, billing::Ledger& ledger, core::EventBus& bus,
             const core::Clock& clock, catalog::Catalog* catalog, Enforcer* enforcer,
             MeterOptions options)
    : impl_(std::make_unique<Impl>(db, ledger, bus, clock, catalog, enforcer, options)),
      options_(std::move(options)) {}

Meter::~Meter() = default;

asio::awaitable<PassReport> Meter::run_once() {
  const auto now = impl_->clock.now();  // before reading: a stop recorded later ends later
  const auto t0 = Clock::now();
  auto pods = co_await impl_->load_billable();
  const auto load_ms = ms_since(t0);
  auto report = co_await impl_->bill(std::move(pods), now, true);
  report.load_ms += load_ms;
  co_return report;
}

void Meter::set_notifications(notify::Notifications* notifications) {
  impl_->notifications = notifications;
}

asio::awaitable<PassReport> Meter::track(pods::Pod pod) {
  co_return co_await impl_->bill_pod(std::move(pod));
}

asio::awaitable<PassReport> Meter::settle(pods::Pod pod) {
  co_return co_await impl_->bill_pod(std::move(pod));
}

asio::awaitable<PassReport> Meter::settle(db::Oid pod_id) {
  auto stored = co_await impl_->load_pod(pod_id);
  if (!stored) {
    co_return PassReport();
  }
  std::vector<BillablePod> one;
  one.push_back(std::move(*stored));
  co_return co_await impl_->bill(std::move(one), impl_->clock.now(), false);
}

}  // namespace neuropod::metering
