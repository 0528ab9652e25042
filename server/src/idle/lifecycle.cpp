#include "idle/lifecycle.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"
#include "db/schema.hpp"
#include "pods/pod_routes.hpp"

namespace neuropod::idle {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

json time_or_null(const std::optional<core::TimePoint>& t) {
  return t ? json(core::to_iso8601(*t)) : json(nullptr);
}

}  // namespace

asio::awaitable<json> Lifecycle::report(pods::Actor actor, db::Oid id) {
  const auto pod = co_await pods_.get(actor, id);
  const auto settings = co_await catalog_.settings();
  const auto owner = co_await users_.find_by_id(pod.user_id);
  const auto now = clock_.now();
  const bool running = pod.desired == "running" && !pod.deleted;
  std::vector<std::string> reasons;

  // Idle culling.
  std::string culling = "on";
  if (settings.idle_timeout_minutes <= 0) {
    culling = "off";
  } else if (pod.keep_running && settings.allow_keep_running) {
    culling = "exempt";
  }
  const auto idle_stop = idle_stop_at(pod, settings);
  json idle = {{"timeout_minutes", settings.idle_timeout_minutes},
               {"culling", culling},
               {"keep_running", pod.keep_running},
               {"keep_running_allowed", settings.allow_keep_running},
               {"stop_at", time_or_null(idle_stop)}};

  // The owner's balance at the price of their running pods.
  const bool unlimited = owner && owner->role == users::Role::admin;
  core::Micros burn(0);
  const auto active = co_await store_.active_of(pod.user_id);
  for (const auto& p : active) {
    if (p.desired == "running") {
      burn = burn + p.price_per_hour;
    }
  }
  const core::Micros balance = owner ? owner->balance : core::Micros(0);
  std::optional<core::TimePoint> balance_stop;
  json runway = nullptr;
  if (!unlimited && running && burn.value() > 0) {
    const auto seconds = std::max<std::int64_t>(balance.value(), 0) * 3600 / burn.value();
    runway = seconds;
    balance_stop = now + std::chrono::seconds(seconds);
  }
  json money = {{"unlimited", unlimited},
                {"balance_micros", balance.value()},
                {"burn_rate_micros_per_hour", burn.value()},
                {"runway_seconds", runway},
                {"stop_at", time_or_null(balance_stop)}};

  std::optional<core::TimePoint> will_stop;
  if (idle_stop && balance_stop) {
    will_stop = std::min(*idle_stop, *balance_stop);
  } else if (idle_stop) {
    will_stop = idle_stop;
  } else {
    will_stop = balance_stop;
  }

  if (!running) {
    reasons.emplace_back("It is not running.");
  } else {
    reasons.emplace_back(
        pod.last_activity_at
            ? "Its last activity was at " + core::to_iso8601(*pod.last_activity_at) + "."
            : std::string(
                  "It has had no activity (requests or open connections) since it started."));
    if (culling == "off") {
      reasons.emplace_back("Idle pods are not stopped on this platform.");
    } else if (culling == "exempt") {
      reasons.emplace_back("It is marked keep running, so it is not stopped when idle.");
    } else if (idle_stop) {
      reasons.emplace_back(fmt::format("Without activity it stops at {} ({} minutes idle).",
                                       core::to_iso8601(*idle_stop),
                                       settings.idle_timeout_minutes));
    }
    if (unlimited) {
      reasons.emplace_back("Its owner is an administrator: no balance limit.");
    } else if (balance_stop) {
      reasons.emplace_back(
          fmt::format("The balance ({}) lasts until {} at {} per hour for the running pods.",
                      balance.to_display(), core::to_iso8601(*balance_stop), burn.to_display()));
    } else {
      reasons.emplace_back("It is free: the balance does not limit it.");
    }
  }
  json out = {{"pod_id", pod.id.to_string()},
              {"status", pod.status},
              {"running", running},
              {"running_since", time_or_null(pod.running_since)},
              {"last_activity_at", time_or_null(pod.last_activity_at)},
              {"idle", idle},
              {"balance", money},
              {"stop_at", time_or_null(will_stop)},
              {"reasons", reasons}};
  co_return out;
}

asio::awaitable<pods::Pod> Lifecycle::set_keep_running(pods::Actor actor, db::Oid id, bool keep) {
  auto pod = co_await pods_.get(actor, id);
  const auto settings = co_await catalog_.settings();
  if (keep && !settings.allow_keep_running) {
    throw core::Forbidden("The administrator does not allow keeping pods running when idle");
  }
  db::Doc set;
  set.append("keep_running", keep);
  co_await pods_.set_fields(id, std::move(set));
  pod.keep_running = keep;
  co_return pod;
}

void LifecycleRoutes::register_routes(http::Router& router) {
  using http::Access;
  using http::Request;
  router.get("/api/pods/{id}/lifecycle", Access::signed_in,
             [this](Request& r) { return report(r); });
  router.put("/api/pods/{id}/keep-running", Access::signed_in,
             [this](Request& r) { return keep_running(r); });
}

asio::awaitable<http::Response> LifecycleRoutes::report(http::Request& req) {
  const auto out = co_await lifecycle_.report(pods::actor_of(req), pods::pod_id(req));
  co_return http::Response::json(200, out);
}

asio::awaitable<http::Response> LifecycleRoutes::keep_running(http::Request& req) {
  const auto& body = req.json_object();
  const auto it = body.find("keep_running");
  if (it == body.end() || !it->is_boolean()) {
    throw core::ValidationError("keep_running", "must be true or false");
  }
  const auto pod =
      co_await lifecycle_.set_keep_running(pods::actor_of(req), pods::pod_id(req), it->get<bool>());
  co_return http::Response::json(200, pods::to_json(pod));
}

}  // namespace neuropod::idle
