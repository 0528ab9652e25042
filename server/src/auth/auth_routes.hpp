#pragma once
// /api/auth/*: Google sign-in (redirect + callback, or an ID token), the development sign-in,
// the current user, sign-out and sessions; admin block/unblock and the audit log.
#include <mutex>
#include <string>
#include <unordered_map>

#include "audit/audit_log.hpp"
#include "auth/auth_service.hpp"
#include "auth/google.hpp"
#include "core/config.hpp"
#include "http/router.hpp"
#include "users/user_store.hpp"

namespace neuropod::auth {

class AuthRoutes {
 public:
  AuthRoutes(const core::Config& config, const core::Clock& clock, AuthService& auth,
             GoogleAuth& google, users::UserStore& users, audit::AuditLog& audit)
      : config_(config),
        clock_(clock),
        auth_(auth),
        google_(google),
        users_(users),
        audit_(audit) {}

  void register_routes(http::Router& router);

 private:
  boost::asio::awaitable<http::Response> auth_config(http::Request& req);
  boost::asio::awaitable<http::Response> google_start(http::Request& req);
  boost::asio::awaitable<http::Response> google_callback(http::Request& req);
  boost::asio::awaitable<http::Response> login(http::Request& req);
  boost::asio::awaitable<http::Response> dev_login(http::Request& req);
  boost::asio::awaitable<http::Response> verify(http::Request& req);
  boost::asio::awaitable<http::Response> logout(http::Request& req);
  boost::asio::awaitable<http::Response> logout_all(http::Request& req);
  boost::asio::awaitable<http::Response> sessions(http::Request& req);
  boost::asio::awaitable<http::Response> revoke_session(http::Request& req);
  boost::asio::awaitable<http::Response> block(http::Request& req, bool blocked);
  boost::asio::awaitable<http::Response> audit_log(http::Request& req);

  boost::asio::awaitable<http::Response> signed_in_response(Identity identity, http::Request& req);
  // Consumes an OAuth state once; false when it was already used.
  bool consume_state(const std::string& state);

  const core::Config& config_;
  const core::Clock& clock_;
  AuthService& auth_;
  GoogleAuth& google_;
  users::UserStore& users_;
  audit::AuditLog& audit_;
  std::mutex states_mu_;
  std::unordered_map<std::string, core::TimePoint> used_states_;
};

}  // namespace neuropod::auth
