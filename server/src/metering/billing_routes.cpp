#include "metering/billing_routes.hpp"

#include <limits>

#include "core/errors.hpp"

namespace neuropod::metering {

namespace {

constexpr std::int64_t kDefaultUsageDays = 30;
constexpr std::int64_t kMaxPage = 200;

db::Oid caller_id(const http::Request& req) {
  auto id = db::Oid::parse(req.caller().user_id);
  if (!id) {
    throw core::Unauthorized("invalid");
  }
  return *id;
}

nlohmann::json page_json(const billing::Ledger::Page& page) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& e : page.items) {
    items.push_back(billing::to_json(e));
  }
  nlohmann::json out = {{"items", items}, {"next_before_seq", nullptr}};
  if (page.next_before_seq) {
    out["next_before_seq"] = *page.next_before_seq;
  }
  return out;
}

}  // namespace

void BillingRoutes::register_routes(http::Router& router) {
  using http::Access;
  using http::Request;
  router.get("/api/billing/summary", Access::signed_in, [this](Request& r) { return summary(r); });
  router.get("/api/billing/transactions", Access::signed_in,
             [this](Request& r) { return transactions(r); });
  router.get("/api/billing/usage", Access::signed_in, [this](Request& r) { return usage(r); });
  router.get("/api/admin/billing/summary", Access::admin,
             [this](Request& r) { return admin_summary(r); });
  router.get("/api/admin/billing/usage", Access::admin,
             [this](Request& r) { return admin_usage(r); });
}

boost::asio::awaitable<http::Response> BillingRoutes::summary(http::Request& req) {
  const auto s = co_await reports_.summary(caller_id(req));
  co_return http::Response::json(200, to_json(s));
}

boost::asio::awaitable<http::Response> BillingRoutes::transactions(http::Request& req) {
  const auto user = caller_id(req);
  const auto limit = req.query_int("limit", 50, 1, kMaxPage);
  std::optional<std::int64_t> before;
  if (req.query_param("before_seq")) {
    before = req.query_int("before_seq", 0, 1, std::numeric_limits<std::int64_t>::max());
  }
  const auto page = co_await ledger_.list(user, limit, before);
  co_return http::Response::json(200, page_json(page));
}

boost::asio::awaitable<http::Response> BillingRoutes::usage(http::Request& req) {
  const auto user = caller_id(req);
  const auto days = req.query_int("days", kDefaultUsageDays, 1, kMaxUsageDays);
  const auto u = co_await reports_.usage(user, days);
  co_return http::Response::json(200, to_json(u, false));
}

boost::asio::awaitable<http::Response> BillingRoutes::admin_summary(http::Request&) {
  const auto s = co_await reports_.admin_summary();
  co_return http::Response::json(200, to_json(s));
}

boost::asio::awaitable<http::Response> BillingRoutes::admin_usage(http::Request& req) {
  const auto days = req.query_int("days", kDefaultUsageDays, 1, kMaxUsageDays);
  const auto u = co_await reports_.admin_usage(days);
  co_return http::Response::json(200, to_json(u, true));
}

}  // namespace neuropod::metering
