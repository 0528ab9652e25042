#pragma once
// The pod access endpoints (access/pod_access.hpp): the ingress check and sign-in, the pod
// host's callback and share-link paths (routed to the API by each pod Ingress), and the owner's
// settings (level, share links). Thin: parse, call PodAccess, answer.
#include "access/activity.hpp"
#include "access/pod_access.hpp"
#include "http/router.hpp"

namespace neuropod::access {

class AccessRoutes {
 public:
  // The route a pod's activity container reports to (Access::token).
  static constexpr std::string_view kActivityRoute = "/api/pod-access/activity";

  // kActivityRoute is Access::token: the auth guard verifies the pod's token
  // (AuthMiddleware::set_token_verifier with ActivityTokens::verify) and passes the pod id on.
  AccessRoutes(PodAccess& access, ActivityRecorder& activity, auth::AuthService& auth)
      : access_(access), activity_(activity), auth_(auth) {}
  void register_routes(http::Router& router);

 private:
  boost::asio::awaitable<http::Response> check(http::Request& req);
  // The check answered from the caches, before the request is copied (Router::fast).
  std::optional<http::Response> fast_check(const http::RequestView& req);
  http::Response answer(const Decision& d, const std::string& request_id);
  boost::asio::awaitable<http::Response> signin(http::Request& req);
  boost::asio::awaitable<http::Response> report_activity(http::Request& req);
  boost::asio::awaitable<http::Response> callback(http::Request& req);
  boost::asio::awaitable<http::Response> share_link(http::Request& req);
  boost::asio::awaitable<http::Response> set_level(http::Request& req);
  boost::asio::awaitable<http::Response> list_shares(http::Request& req);
  boost::asio::awaitable<http::Response> create_share(http::Request& req);
  boost::asio::awaitable<http::Response> revoke_share(http::Request& req);

  PodAccess& access_;
  ActivityRecorder& activity_;
  auth::AuthService& auth_;
};

}  // namespace neuropod::access
