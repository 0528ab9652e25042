#include "metrics/metrics_routes.hpp"

#include <map>

#include "core/errors.hpp"
#include "core/logging.hpp"

namespace neuropod::metrics {

namespace {

constexpr auto kPodsEvery = std::chrono::seconds(10);

bool is_loopback(std::string_view ip) {
  return ip == "::1" || ip.starts_with("127.") || ip.starts_with("::ffff:127.");
}

// Constant time for equal lengths.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

std::map<std::string, std::int64_t> count_pods(db::Conn& c) {
  db::FindOptions options;
  db::Doc projection;
  projection.append("status", 1);
  options.projection = std::move(projection);
  std::map<std::string, std::int64_t> counts;
  for (const auto& doc : c.collection("Pod").find(db::Doc{}, options)) {
    ++counts[doc.get_string("status").value_or("unknown")];
  }
  return counts;
}

}  // namespace

bool may_scrape(const http::Request& req, const std::string& token) {
  if (!token.empty()) {
    if (const auto bearer = req.bearer(); bearer && same_secret(*bearer, token)) {
      return true;
    }
  }
  const bool proxied = req.headers.get("cf-connecting-ip") || req.headers.get("x-forwarded-for") ||
                       req.headers.get("forwarded");
  return !proxied && is_loopback(req.remote_ip);
}

void MetricsRoutes::register_routes(http::Router& router) {
  router.get("/metrics", http::Access::anonymous,
             [this](http::Request& req) { return scrape(req); });
}

boost::asio::awaitable<void> MetricsRoutes::refresh_pods() {
  const auto now = clock_.now();
  {
    std::lock_guard lock(mu_);
    if (now - pods_counted_ < kPodsEvery) {
      co_return;
    }
    pods_counted_ = now;
  }
  try {
    const auto counts = co_await db_.run([](db::Conn& c) { return count_pods(c); });
    metrics_.set_pods_by_state(counts);
  } catch (const std::exception& e) {
    log::warn("metrics.pods_count_failed", {{"error", e.what()}});
  }
}

boost::asio::awaitable<http::Response> MetricsRoutes::scrape(http::Request& req) {
  if (!may_scrape(req, token_)) {
    throw core::Unauthorized(
        "metrics_token", "GET /metrics needs loopback or a bearer token (NEUROPOD_METRICS_TOKEN)");
  }
  co_await refresh_pods();
  http::Response res;
  res.status = 200;
  res.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  res.body = metrics_.render();
  co_return res;
}

}  // namespace neuropod::metrics
