#include "auth/auth_middleware.hpp"

#include <algorithm>
#include <cctype>

#include "core/errors.hpp"

namespace neuropod::auth {

namespace {

bool is_safe_method(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "OPTIONS";
}

bool is_websocket_upgrade(const http::Request& req) {
  const auto upgrade = req.headers.get("upgrade");
  if (!upgrade || upgrade->size() != 9) {
    return false;
  }
  return std::equal(upgrade->begin(), upgrade->end(), "websocket", [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == b;
  });
}

}  // namespace

// Cross-site WebSocket hijacking: browsers send the cookie with any page's WebSocket, so an
// upgrade is held to the same Origin rule as a state-changing request.
void AuthMiddleware::check_csrf(const http::Request& req) const {
  const bool websocket = is_websocket_upgrade(req);
  if (is_safe_method(req.method) && !websocket) {
    return;
  }
  auto origin = req.headers.get("origin");
  if (!origin) {
    throw core::Error(core::ErrorCode::csrf_rejected,
                      "State-changing requests must carry an Origin header",
                      {{"reason", "missing_origin"}});
  }
  if (std::find(allowed_origins_.begin(), allowed_origins_.end(), *origin) ==
      allowed_origins_.end()) {
    throw core::Error(core::ErrorCode::csrf_rejected, "Requests from this origin are not allowed",
                      {{"reason", "origin_not_allowed"}});
  }
  if (!websocket && req.headers.get(kCsrfHeader) != kCsrfHeaderValue) {
    throw core::Error(core::ErrorCode::csrf_rejected,
                      "State-changing requests must send X-Requested-With: neuropod",
                      {{"reason", "missing_header"}});
  }
}

void AuthMiddleware::set_token_verifier(std::string pattern, TokenVerifier verify) {
  token_verifiers_[std::move(pattern)] = std::move(verify);
}

void AuthMiddleware::check_token(http::Request& req, const http::RouteInfo& route) const {
  const auto it = token_verifiers_.find(route.pattern);
  const auto token = req.bearer();
  std::optional<std::string> subject;
  if (it != token_verifiers_.end() && token) {
    subject = it->second(*token);
  }
  if (!subject) {
    throw core::Unauthorized("invalid_token", "A valid bearer token is required");
  }
  req.token_subject = std::move(*subject);
}

boost::asio::awaitable<void> AuthMiddleware::before_handler(http::Request& req,
                                                            const http::RouteInfo& route) {
  if (route.access == http::Access::token) {
    check_token(req, route);  // no cookie is read: a cross-site request carries nothing trusted
    co_return;
  }
  check_csrf(req);
  if (route.access == http::Access::anonymous) {
    if (route.pattern.starts_with("/api/auth/")) {
      if (auto wait = sign_in_limit_.acquire("ip:" + req.remote_ip)) {
        throw core::TooManyRequests(wait->count());
      }
    }
    co_return;
  }
  auto token = req.cookie(auth_.cookie_name());
  req.principal = co_await auth_.authenticate(token.value_or(""), req.remote_ip);
  if (route.access == http::Access::admin && !req.principal->admin) {
    throw core::Forbidden("This needs an administrator");
  }
  if (auto wait = user_limit_.acquire("user:" + req.principal->user_id)) {
    throw core::TooManyRequests(wait->count());
  }
}

}  // namespace neuropod::auth
