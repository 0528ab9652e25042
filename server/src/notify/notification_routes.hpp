#pragma once
// GET /api/notifications, POST /api/notifications/{id}/read, POST /api/notifications/read-all:
// the signed-in user's own notifications. Thin: parse, call Notifications, answer.
#include "http/router.hpp"
#include "notify/notifications.hpp"

namespace neuropod::notify {

class NotificationRoutes {
 public:
  explicit NotificationRoutes(Notifications& notifications) : notifications_(notifications) {}
  void register_routes(http::Router& router);

 private:
  boost::asio::awaitable<http::Response> list(http::Request& req);
  boost::asio::awaitable<http::Response> mark_read(http::Request& req);
  boost::asio::awaitable<http::Response> mark_all_read(http::Request& req);

  Notifications& notifications_;
};

}  // namespace neuropod::notify
