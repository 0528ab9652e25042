#include "idle/idle_culler.hpp"

#include <fmt/format.h>

#include "core/logging.hpp"
#include "core/sleep.hpp"
#include "db/schema.hpp"

namespace neuropod::idle {

namespace asio = boost::asio;

namespace {

std::optional<core::TimePoint> idle_since(const pods::Pod& p) {
  if (!p.running_since) {
    return std::nullopt;
  }
  if (p.last_activity_at && *p.last_activity_at > *p.running_since) {
    return p.last_activity_at;
  }
  return p.running_since;
}

bool exempt(const pods::Pod& p, const catalog::Settings& s) {
  return p.keep_running && s.allow_keep_running;
}

}  // namespace

std::chrono::milliseconds warning_lead(std::chrono::minutes warn_before, std::int64_t timeout_min) {
  const std::chrono::milliseconds half = std::chrono::minutes(timeout_min) / 2;
  return std::min<std::chrono::milliseconds>(warn_before, half);
}

std::optional<core::TimePoint> idle_stop_at(const pods::Pod& p, const catalog::Settings& s) {
  const auto since = idle_since(p);
  if (s.idle_timeout_minutes <= 0 || exempt(p, s) || !since || p.desired != "running" ||
      p.deleted) {
    return std::nullopt;
  }
  return *since + std::chrono::minutes(s.idle_timeout_minutes);
}

asio::awaitable<bool> IdleCuller::claim_warning(const pods::Pod& pod, core::TimePoint since) {
  // One warning per idle period: claimed when none was recorded after the period began.
  db::Doc older;
  older.append("$lt", since);
  db::Doc warned_before;
  warned_before.append("idle_warned_at", older);
  db::Doc never_exists;
  never_exists.append("$exists", false);
  db::Doc never;
  never.append("idle_warned_at", never_exists);
  db::Array either;
  either.push(never).push(warned_before);
  db::Doc filter;
  filter.append("_id", pod.id).append("$or", either);
  db::Doc set;
  set.append("idle_warned_at", clock_.now());
  db::Doc update;
  update.append("$set", set);
  const auto r = co_await db_.run([&filter, &update](db::Conn& c) {
    return c.collection(db::collections::kPod).update_one(filter, update);
  });
  co_return r.matched > 0;
}

asio::awaitable<CullReport> IdleCuller::run_once() {
  CullReport report;
  const auto settings = co_await catalog_.settings();
  if (settings.idle_timeout_minutes <= 0) {
    co_return report;
  }
  const auto now = clock_.now();
  const auto lead = warning_lead(options_.warn_before, settings.idle_timeout_minutes);
  db::Doc filter;
  filter.append("desired", "running").append("status", "running").append("deleted", false);
  const auto docs = co_await db_.run(
      [&filter](db::Conn& c) { return c.collection(db::collections::kPod).find(filter); });
  for (const auto& d : docs) {
    const auto pod = pods::from_doc(d);
    ++report.running;
    if (exempt(pod, settings)) {
      ++report.kept;
      continue;
    }
    const auto stop_at = idle_stop_at(pod, settings);
    if (!stop_at) {
      continue;
    }
    try {
      if (now >= *stop_at) {
        const auto message = fmt::format(
            "Stopped after {} minutes without activity; the workspace is kept. Start it again "
            "when you need it.",
            settings.idle_timeout_minutes);
        const auto timeout = std::chrono::minutes(settings.idle_timeout_minutes);
        const auto allow_keep = settings.allow_keep_running;
        // Built before the co_await (g++ 12: no capturing lambdas or braced lists inside one).
        std::function<bool(const pods::Pod&)> still_idle = [now, timeout,
                                                            allow_keep](const pods::Pod& fresh) {
          if (fresh.keep_running && allow_keep) {
            return false;
          }
          const auto since = idle_since(fresh);
          return since && now >= *since + timeout;  // no activity since this pass read it
        };
        const auto stopped = co_await pods_.stop_if(pod.id, std::string(kIdleReason), message,
                                                    std::move(still_idle));
        if (stopped) {
          ++report.stopped;
          nlohmann::json details = {{"pod_id", pod.id.to_string()},
                                    {"pod_name", pod.name},
                                    {"idle_minutes", settings.idle_timeout_minutes}};
          co_await notifications_.send(
              pod.user_id, "pod_culled",
              fmt::format("Your pod {} was stopped: {}", pod.name, message), std::move(details));
        }
      } else if (now >= *stop_at - lead) {
        if (co_await claim_warning(pod, *idle_since(pod))) {
          ++report.warned;
          const auto minutes =
              std::chrono::duration_cast<std::chrono::minutes>(*stop_at - now).count() + 1;
          nlohmann::json details = {{"pod_id", pod.id.to_string()},
                                    {"pod_name", pod.name},
                                    {"stop_at", core::to_iso8601(*stop_at)}};
          co_await notifications_.send(
              pod.user_id, "idle_warning",
              fmt::format("Your pod {} has had no activity for a while and will be stopped in "
                          "about {} minutes. Open it, or mark it keep running, to keep it.",
                          pod.name, minutes),
              std::move(details));
        }
      }
    } catch (const std::exception& e) {
      log::warn("idle.cull_failed", {{"pod_id", pod.id.to_string()}, {"error", e.what()}});
    }
  }
  co_return report;
}

asio::awaitable<void> IdleCuller::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    if (!options_.leading || options_.leading()) {
      try {
        const auto r = co_await run_once();
        if (r.warned > 0 || r.stopped > 0) {
          log::info("idle.pass", {{"running", r.running},
                                  {"warned", r.warned},
                                  {"stopped", r.stopped},
                                  {"kept", r.kept}});
        }
      } catch (const std::exception& e) {
        log::warn("idle.pass_failed", {{"error", e.what()}});
      }
    }
    if (!co_await core::sleep_for(options_.interval, stop)) {
      break;
    }
  }
}

}  // namespace neuropod::idle
