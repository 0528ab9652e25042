#pragma once
// Route guards, run once the route is known:
//   - CSRF: state-changing requests need an allowed Origin and `X-Requested-With: neuropod`
//     (a cross-site form or fetch can set neither without a CORS preflight we refuse);
//   - sign-in endpoints (anonymous /api/auth/*): per-IP rate limit;
//   - signed-in and admin routes: session cookie -> Principal (401), blocked (403
//     account_blocked), admin only (403 forbidden), then a per-user rate limit;
//   - token routes (machines): "Authorization: Bearer <token>" checked by the verifier registered
//     for the route (401 invalid_token otherwise, also when none is registered); no CSRF check
//     and no cookie read. Like every guard, before the body is validated (401 before 400).
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth_service.hpp"
#include "core/rate_limiter.hpp"
#include "http/pipeline.hpp"

namespace neuropod::auth {

inline constexpr std::string_view kCsrfHeader = "X-Requested-With";
inline constexpr std::string_view kCsrfHeaderValue = "neuropod";

class AuthMiddleware final : public http::Middleware {
 public:
  AuthMiddleware(AuthService& auth, std::vector<std::string> allowed_origins,
                 core::RateLimiter& sign_in_limit, core::RateLimiter& user_limit)
      : auth_(auth),
        allowed_origins_(std::move(allowed_origins)),
        sign_in_limit_(sign_in_limit),
        user_limit_(user_limit) {}

  boost::asio::awaitable<void> before_handler(http::Request& req,
                                              const http::RouteInfo& route) override;

  // The subject a valid token names (Request::token_subject), or nullopt. Register before serving.
  using TokenVerifier = std::function<std::optional<std::string>(std::string_view token)>;
  void set_token_verifier(std::string pattern, TokenVerifier verify);

 private:
  void check_csrf(const http::Request& req) const;
  void check_token(http::Request& req, const http::RouteInfo& route) const;

  AuthService& auth_;
  std::vector<std::string> allowed_origins_;
  core::RateLimiter& sign_in_limit_;
  core::RateLimiter& user_limit_;
  std::map<std::string, TokenVerifier, std::less<>> token_verifiers_;  // by route pattern
};

}  // namespace neuropod::auth
