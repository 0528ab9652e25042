#include "notify/notification_routes.hpp"

#include "core/errors.hpp"

namespace neuropod::notify {

namespace {

constexpr std::int64_t kDefaultPage = 50;
constexpr std::int64_t kMaxPage = 200;

db::Oid caller_id(const http::Request& req) {
  auto id = db::Oid::parse(req.caller().user_id);
  if (!id) {
    throw core::Unauthorized("invalid");
  }
  return *id;
}

}  // namespace

void NotificationRoutes::register_routes(http::Router& router) {
  using http::Access;
  using http::Request;
  router.get("/api/notifications", Access::signed_in, [this](Request& r) { return list(r); });
  router.post("/api/notifications/read-all", Access::signed_in,
              [this](Request& r) { return mark_all_read(r); });
  router.post("/api/notifications/{id}/read", Access::signed_in,
              [this](Request& r) { return mark_read(r); });
}

boost::asio::awaitable<http::Response> NotificationRoutes::list(http::Request& req) {
  const auto user = caller_id(req);
  const auto limit = req.query_int("limit", kDefaultPage, 1, kMaxPage);
  const auto unread = req.query_param("unread");
  if (unread && *unread != "true" && *unread != "false") {
    throw core::ValidationError("unread", "must be true or false");
  }
  std::optional<db::Oid> before;
  if (auto b = req.query_param("before")) {
    before = db::Oid::parse(*b);
    if (!before) {
      throw core::ValidationError("before", "must be a notification id");
    }
  }
  const auto page = co_await notifications_.list(user, unread && *unread == "true", limit, before);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& n : page.items) {
    items.push_back(to_json(n));
  }
  nlohmann::json out = {{"items", items}, {"unread", page.unread}, {"next_before", nullptr}};
  if (page.next_before) {
    out["next_before"] = *page.next_before;
  }
  co_return http::Response::json(200, out);
}

boost::asio::awaitable<http::Response> NotificationRoutes::mark_read(http::Request& req) {
  const auto id = db::Oid::parse(req.params.at("id"));
  if (!id) {
    throw core::NotFound("notification");
  }
  co_await notifications_.mark_read(caller_id(req), *id);
  co_return http::Response::no_content();
}

boost::asio::awaitable<http::Response> NotificationRoutes::mark_all_read(http::Request& req) {
  const auto n = co_await notifications_.mark_all_read(caller_id(req));
  co_return http::Response::json(200, {{"marked", n}});
}

}  // namespace neuropod::notify
