#include "realtime/ws_routes.hpp"

namespace neuropod::realtime {

namespace {

boost::asio::awaitable<http::Response> upgrade(Hub& hub, http::Principal who,
                                               std::string credential) {
  Hub* h = &hub;
  co_return http::Response::upgrade(
      [h, who = std::move(who), credential = std::move(credential)](http::WebSocket& ws) {
        return h->serve(ws, who, credential);
      });
}

}  // namespace

void WsRoutes::register_routes(http::Router& router) {
  router.get("/api/ws", http::Access::signed_in, [this](http::Request& r) {
    return upgrade(hub_, r.caller(), r.cookie(cookie_name_).value_or(""));
  });
}

}  // namespace neuropod::realtime
