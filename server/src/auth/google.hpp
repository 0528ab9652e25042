#pragma once
// Google sign-in (OpenID Connect, authorization-code flow with PKCE) and ID token verification:
// RS256 against Google's published keys (cached, refreshed on an unknown kid), audience, issuer,
// expiry with leeway, email_verified, nonce. Endpoints come from config (tests use a stand-in).
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/config.hpp"
#include "core/errors.hpp"
#include "core/rate_limiter.hpp"
#include "core/time.hpp"
#include "http/client.hpp"

namespace neuropod::auth {

struct GoogleIdentity {
  std::string sub;
  std::string email;
  std::string name;
  std::string picture;
};

// 401 sign_in_failed; details.reason is machine-readable (wrong_audience, expired, ...).
class SignInFailed : public core::Error {
 public:
  SignInFailed(const std::string& reason, const std::string& message)
      : core::Error(core::ErrorCode::sign_in_failed, message, {{"reason", reason}}),
        reason_(reason) {}
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

class GoogleAuth {
 public:
  GoogleAuth(const core::GoogleConfig& config, http::HttpClient& client, const core::Clock& clock,
             std::chrono::milliseconds timeout);
  ~GoogleAuth();
  GoogleAuth(const GoogleAuth&) = delete;
  GoogleAuth& operator=(const GoogleAuth&) = delete;

  bool enabled() const { return config_.enabled(); }
  const std::string& client_id() const { return config_.client_id; }

  // Where to send the browser: Google's consent screen for this client.
  std::string authorize_url(std::string_view state, std::string_view code_challenge,
                            std::string_view nonce) const;
  // Exchanges an authorization code at the token endpoint and verifies the returned ID token.
  // Throws SignInFailed, or core::ServiceUnavailable when Google cannot be reached.
  boost::asio::awaitable<GoogleIdentity> exchange_code(std::string code, std::string verifier,
                                                       std::string expected_nonce);
  // Verifies an ID token (one-tap button, API clients). Throws SignInFailed.
  boost::asio::awaitable<GoogleIdentity> verify_id_token(std::string token,
                                                         std::optional<std::string> nonce);

  struct KeyCache;  // jwks state, google.cpp

 private:
  core::GoogleConfig config_;
  http::HttpClient& client_;
  const core::Clock& clock_;
  std::chrono::milliseconds timeout_;
  core::RateLimiter refresh_limit_;
  std::shared_ptr<KeyCache> cache_;
};

}  // namespace neuropod::auth
