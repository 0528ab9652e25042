#pragma once
// GET /api/ws: the browser's WebSocket (signed-in; the auth middleware has checked the session
// cookie and, for an upgrade, the Origin). See hub.hpp.
#include <string>

#include "http/router.hpp"
#include "realtime/hub.hpp"

namespace neuropod::realtime {

class WsRoutes {
 public:
  WsRoutes(Hub& hub, std::string cookie_name) : hub_(hub), cookie_name_(std::move(cookie_name)) {}
  void register_routes(http::Router& router);

 private:
  Hub& hub_;
  std::string cookie_name_;
};

}  // namespace neuropod::realtime
