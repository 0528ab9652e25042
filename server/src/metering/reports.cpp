#include "metering/reports.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "core/errors.hpp"
#include "db/schema.hpp"
#include "metering/periods.hpp"

namespace neuropod::metering {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

constexpr std::int64_t kTotalsDays = 30;

struct Row {
  std::string key;
  core::Micros spent;
  core::Micros usage;
};

std::string key_of(const db::Doc& d) {
  if (auto s = d.get_string("_id")) {
    return *s;
  }
  if (auto o = d.get_oid("_id")) {
    return o->to_string();
  }
  return {};
}

// Metered entries (they carry a day) from `from_day` on, of `user` when given, summed by `field`.
std::vector<Row> sums_by(db::Conn& c, const std::optional<db::Oid>& user,
                         const std::string& from_day, std::string_view field) {
  db::Doc gte;
  gte.append("$gte", from_day);
  db::Doc match;
  if (user) {
    match.append("user_id", *user);
  }
  match.append("day", gte);
  db::Doc spent;
  spent.append("$sum", "$amount_micros");
  db::Doc usage;
  usage.append("$sum", "$usage_micros");
  db::Doc group;
  group.append("_id", "$" + std::string(field)).append("spent", spent).append("usage", usage);
  db::Doc match_stage;
  match_stage.append("$match", match);
  db::Doc group_stage;
  group_stage.append("$group", group);
  db::Array pipeline;
  pipeline.push(match_stage).push(group_stage);
  std::vector<Row> out;
  for (const auto& d : c.collection(db::collections::kTransaccion).aggregate(pipeline)) {
    out.push_back(Row{key_of(d), core::Micros(-d.get_int64("spent").value_or(0)),
                      core::Micros(d.get_int64("usage").value_or(0))});
  }
  return out;
}

std::string day_before(core::TimePoint now, std::int64_t days) {
  return utc_day(now - std::chrono::hours(24) * days);
}

Totals totals_of(const std::vector<Row>& by_day, core::TimePoint now) {
  Totals t;
  const auto today = utc_day(now);
  const auto week = day_before(now, 6);
  for (const auto& r : by_day) {
    t.spent_30d = t.spent_30d + r.spent;
    t.usage_30d = t.usage_30d + r.usage;
    if (r.key >= week) {
      t.spent_7d = t.spent_7d + r.spent;
      t.usage_7d = t.usage_7d + r.usage;
    }
    if (r.key == today) {
      t.spent_today = t.spent_today + r.spent;
      t.usage_today = t.usage_today + r.usage;
    }
  }
  return t;
}

// Pods billed now: running_since set and not stopped. Projection: user_id and the price.
std::vector<db::Doc> billed_pods(db::Conn& c, const std::optional<db::Oid>& user) {
  db::Doc not_null;
  not_null.append_null("$ne");
  db::Doc filter;
  if (user) {
    filter.append("user_id", *user);
  }
  filter.append("running_since", not_null).append_null("stopped_at");
  db::FindOptions options;
  db::Doc projection;
  projection.append("user_id", std::int32_t{1}).append("price_per_hour_micros", std::int32_t{1});
  options.projection = projection;
  return c.collection(db::collections::kPod).find(filter, options);
}

// `field` of the documents of `collection` with these ids (names for charts).
std::unordered_map<std::string, std::string> names_of(db::Conn& c, std::string_view collection,
                                                      const std::vector<std::string>& ids,
                                                      std::string_view field) {
  std::unordered_map<std::string, std::string> out;
  db::Array oids;
  for (const auto& id : ids) {
    if (auto o = db::Oid::parse(id)) {
      oids.push(*o);
    }
  }
  if (oids.size() == 0) {
    return out;
  }
  db::Doc in;
  in.append("$in", oids);
  db::Doc filter;
  filter.append("_id", in);
  db::FindOptions options;
  db::Doc projection;
  projection.append(field, std::int32_t{1});
  options.projection = projection;
  for (const auto& d : c.collection(collection).find(filter, options)) {
    out.emplace(d.get_oid("_id").value_or(db::Oid{}).to_string(), d.get_string(field).value_or(""));
  }
  return out;
}

Usage usage_of(db::Conn& c, const std::optional<db::Oid>& user, std::int64_t days,
               core::TimePoint now) {
  days = std::clamp<std::int64_t>(days, 1, kMaxUsageDays);
  Usage u;
  u.from = day_before(now, days - 1);
  u.to = utc_day(now);
  std::map<std::string, Row> by_day;
  for (std::int64_t i = days - 1; i >= 0; --i) {
    const auto d = day_before(now, i);
    by_day.emplace(d, Row{d, core::Micros(0), core::Micros(0)});
  }
  for (const auto& r : sums_by(c, user, u.from, "day")) {
    auto it = by_day.find(r.key);
    if (it != by_day.end()) {  // a day after today (a clock ahead) is left out
      it->second.spent = r.spent;
      it->second.usage = r.usage;
    }
  }
  for (const auto& [day, r] : by_day) {
    u.days.push_back(DayTotal{day, r.spent, r.usage});
    u.spent = u.spent + r.spent;
    u.usage = u.usage + r.usage;
  }
  auto parts = sums_by(c, user, u.from, user ? "pod_id" : "user_id");
  std::vector<std::string> ids;
  ids.reserve(parts.size());
  for (const auto& r : parts) {
    ids.push_back(r.key);
  }
  const auto names = user ? names_of(c, db::collections::kPod, ids, "display_name")
                          : names_of(c, db::collections::kUser, ids, "email");
  for (const auto& r : parts) {
    const auto it = names.find(r.key);
    u.parts.push_back(
        PartTotal{r.key, it == names.end() ? std::string() : it->second, r.spent, r.usage});
  }
  std::sort(u.parts.begin(), u.parts.end(), [](const PartTotal& a, const PartTotal& b) {
    return a.usage != b.usage ? a.usage > b.usage : a.id < b.id;
  });
  return u;
}

Summary summary_of(db::Conn& c, const db::Oid& user, core::TimePoint now) {
  db::Doc filter;
  filter.append("_id", user);
  const auto doc = c.collection(db::collections::kUser).find_one(filter);
  if (!doc) {
    throw core::NotFound("User");
  }
  Summary s;
  s.admin = doc->get_string("role").value_or("") == "admin";
  s.balance = core::Micros(doc->get_int64("balance_micros").value_or(0));
  for (const auto& p : billed_pods(c, user)) {
    ++s.running_pods;
    s.burn_per_hour =
        s.burn_per_hour + core::Micros(p.get_int64("price_per_hour_micros").value_or(0));
  }
  if (!s.admin) {
    s.runway = runway_seconds(s.balance, s.burn_per_hour);
  }
  s.totals = totals_of(sums_by(c, user, day_before(now, kTotalsDays - 1), "day"), now);
  return s;
}

AdminSummary admin_summary_of(db::Conn& c, core::TimePoint now) {
  AdminSummary s;
  std::unordered_map<std::string, core::Micros> burn_by_user;
  for (const auto& p : billed_pods(c, std::nullopt)) {
    ++s.running_pods;
    auto& b = burn_by_user[p.get_oid("user_id").value_or(db::Oid{}).to_string()];
    b = b + core::Micros(p.get_int64("price_per_hour_micros").value_or(0));
  }
  s.users_running = static_cast<std::int64_t>(burn_by_user.size());
  std::vector<std::string> ids;
  ids.reserve(burn_by_user.size());
  for (const auto& [id, burn] : burn_by_user) {
    ids.push_back(id);
  }
  const auto roles = names_of(c, db::collections::kUser, ids, "role");
  for (const auto& [id, burn] : burn_by_user) {
    const auto it = roles.find(id);
    if (it != roles.end() && it->second == "admin") {
      s.admin_burn_per_hour = s.admin_burn_per_hour + burn;
    } else {
      s.burn_per_hour = s.burn_per_hour + burn;
    }
  }
  db::Doc match;
  match.append("role", "client");
  db::Doc sum;
  sum.append("$sum", "$balance_micros");
  db::Doc group;
  group.append_null("_id").append("total", sum);
  db::Doc match_stage;
  match_stage.append("$match", match);
  db::Doc group_stage;
  group_stage.append("$group", group);
  db::Array pipeline;
  pipeline.push(match_stage).push(group_stage);
  auto users = c.collection(db::collections::kUser);
  for (const auto& d : users.aggregate(pipeline)) {
    s.client_balances = core::Micros(d.get_int64("total").value_or(0));
  }
  db::Doc lte;
  lte.append("$lte", std::int64_t{0});
  db::Doc out_filter;
  out_filter.append("role", "client").append("balance_micros", lte);
  s.clients_out_of_credit = users.count(out_filter);
  s.totals = totals_of(sums_by(c, std::nullopt, day_before(now, kTotalsDays - 1), "day"), now);
  return s;
}

json totals_json(const Totals& t) {
  return {
      {"spent_today_micros", t.spent_today.value()}, {"spent_7d_micros", t.spent_7d.value()},
      {"spent_30d_micros", t.spent_30d.value()},     {"usage_today_micros", t.usage_today.value()},
      {"usage_7d_micros", t.usage_7d.value()},       {"usage_30d_micros", t.usage_30d.value()}};
}

}  // namespace

json to_json(const Summary& s) {
  json out = {{"admin", s.admin},
              {"balance_micros", s.balance.value()},
              {"burn_rate_micros_per_hour", s.burn_per_hour.value()},
              {"running_pods", s.running_pods},
              {"runway_seconds", nullptr}};
  if (s.runway) {
    out["runway_seconds"] = *s.runway;
  }
  out.update(totals_json(s.totals));
  return out;
}

json to_json(const Usage& u, bool by_user) {
  json days = json::array();
  for (const auto& d : u.days) {
    days.push_back(
        {{"day", d.day}, {"spent_micros", d.spent.value()}, {"usage_micros", d.usage.value()}});
  }
  json parts = json::array();
  for (const auto& p : u.parts) {
    json item = {{"spent_micros", p.spent.value()}, {"usage_micros", p.usage.value()}};
    if (by_user) {
      item["user_id"] = p.id;
      item["email"] = p.name;
    } else {
      item["pod_id"] = p.id;
      item["name"] = p.name;
    }
    parts.push_back(std::move(item));
  }
  return {{"from", u.from},
          {"to", u.to},
          {"days", days},
          {by_user ? "users" : "pods", parts},
          {"spent_micros", u.spent.value()},
          {"usage_micros", u.usage.value()}};
}

json to_json(const AdminSummary& s) {
  json out = {{"running_pods", s.running_pods},
              {"users_running", s.users_running},
              {"burn_rate_micros_per_hour", s.burn_per_hour.value()},
              {"admin_burn_rate_micros_per_hour", s.admin_burn_per_hour.value()},
              {"client_balances_micros", s.client_balances.value()},
              {"clients_out_of_credit", s.clients_out_of_credit}};
  out.update(totals_json(s.totals));
  return out;
}

asio::awaitable<Summary> Reports::summary(db::Oid user) {
  const auto now = clock_.now();
  co_return co_await db_.run([&user, &now](db::Conn& c) { return summary_of(c, user, now); });
}

asio::awaitable<Usage> Reports::usage(db::Oid user, std::int64_t days) {
  const auto now = clock_.now();
  const std::optional<db::Oid> who = user;
  co_return co_await db_.run(
      [&who, days, &now](db::Conn& c) { return usage_of(c, who, days, now); });
}

asio::awaitable<AdminSummary> Reports::admin_summary() {
  const auto now = clock_.now();
  co_return co_await db_.run([&now](db::Conn& c) { return admin_summary_of(c, now); });
}

asio::awaitable<Usage> Reports::admin_usage(std::int64_t days) {
  const auto now = clock_.now();
  const std::optional<db::Oid> everyone;
  co_return co_await db_.run(
      [&everyone, days, &now](db::Conn& c) { return usage_of(c, everyone, days, now); });
}

}  // namespace neuropod::metering
