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

  AccessRoutes(PodAccess& access, ActivityRecorder& activity, const ActivityTokens& tokens,
               auth::AuthService& auth)
      : access_(access), activity_(activity), tokens_(tokens), auth_(auth) {}
  void register_routes(http::Router& router);
  // For the auth guard (AuthMiddleware::set_token_verifier on kActivityRoute): the pod id an
  // activity token names.
  std::optional<std::string> verify_activity_token(std::string_view token) const {
    return tokens_.verify(token);
  }

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
  const ActivityTokens& tokens_;
  auth::AuthService& auth_;
};

}  // namespace neuropod::access
