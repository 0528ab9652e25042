#include "auth/google.hpp"

#include <mutex>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "core/logging.hpp"
#include "crypto/jwt.hpp"

namespace neuropod::auth {

struct GoogleAuth::KeyCache {
  std::mutex mu;
  crypto::RsaKeySet keys;
  core::TimePoint expires{};
};

namespace {

constexpr auto kDefaultKeyLifetime = std::chrono::hours(1);
constexpr auto kLeeway = std::chrono::seconds(60);
constexpr unsigned kRefreshesPerMinute = 10;

std::string url_encode(std::string_view s) {
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

// max-age from a Cache-Control header, bounded to [1 min, 1 day].
std::chrono::seconds max_age(std::optional<std::string_view> cache_control) {
  if (!cache_control) {
    return kDefaultKeyLifetime;
  }
  const auto pos = cache_control->find("max-age=");
  if (pos == std::string_view::npos) {
    return kDefaultKeyLifetime;
  }
  long long seconds = 0;
  for (auto i = pos + 8; i < cache_control->size() && std::isdigit((*cache_control)[i]) != 0; ++i) {
    seconds = std::min<long long>(seconds * 10 + ((*cache_control)[i] - '0'), 86'400);
  }
  return std::chrono::seconds(std::clamp<long long>(seconds, 60, 86'400));
}

std::string claim_string(const nlohmann::json& payload, const char* key) {
  auto it = payload.find(key);
  return it != payload.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The OAuth error code of a refused token request (plain function: see DEVELOPERS.md on
// conditional temporaries in coroutines).
std::string token_error(const nlohmann::json& body, unsigned status) {
  if (body.is_object() && body.contains("error") && body["error"].is_string()) {
    return body["error"].get<std::string>();
  }
  return "http_" + std::to_string(status);
}

std::string header_kid(const nlohmann::json& header) {
  auto it = header.find("kid");
  return it != header.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool email_verified(const nlohmann::json& payload) {
  auto it = payload.find("email_verified");
  if (it == payload.end()) {
    return false;
  }
  return (it->is_boolean() && it->get<bool>()) || (it->is_string() && *it == "true");
}

}  // namespace

GoogleAuth::GoogleAuth(const core::GoogleConfig& config, http::HttpClient& client,
                       const core::Clock& clock, std::chrono::milliseconds timeout)
    : config_(config),
      client_(client),
      clock_(clock),
      timeout_(timeout),
      refresh_limit_(clock, kRefreshesPerMinute),
      cache_(std::make_shared<KeyCache>()) {}

GoogleAuth::~GoogleAuth() = default;

std::string GoogleAuth::authorize_url(std::string_view state, std::string_view code_challenge,
                                      std::string_view nonce) const {
  std::string url = config_.auth_url;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += "client_id=" + url_encode(config_.client_id);
  url += "&redirect_uri=" + url_encode(config_.redirect_uri);
  url += "&response_type=code";
  url += "&scope=" + url_encode("openid email profile");
  url += "&state=" + url_encode(state);
  url += "&code_challenge=" + url_encode(code_challenge);
  url += "&code_challenge_method=S256";
  url += "&nonce=" + url_encode(nonce);
  url += "&prompt=select_account";
  return url;
}

boost::asio::awaitable<GoogleIdentity> GoogleAuth::exchange_code(std::string code,
                                                                 std::string verifier,
                                                                 std::string expected_nonce) {
  http::ClientRequest req;
  req.method = "POST";
  req.url = config_.token_url;
  req.timeout = timeout_;
  req.headers.set("Content-Type", "application/x-www-form-urlencoded");
  req.headers.set("Accept", "application/json");
  req.body = http::HttpClient::form_encode({{"grant_type", "authorization_code"},
                                            {"code", code},
                                            {"redirect_uri", config_.redirect_uri},
                                            {"client_id", config_.client_id},
                                            {"client_secret", config_.client_secret},
                                            {"code_verifier", verifier}});
  auto res = co_await client_.fetch(std::move(req));
  auto body = nlohmann::json::parse(res.body, nullptr, false);
  if (res.status != 200) {
    const auto error = token_error(body, res.status);
    log::warn("auth.google_token_refused", {{"status", res.status}, {"error", error}});
    throw SignInFailed("code_rejected", "Google refused the sign-in code (" + error + ")");
  }
  if (!body.is_object() || !body.contains("id_token") || !body["id_token"].is_string()) {
    throw SignInFailed("malformed", "Google's token response has no ID token");
  }
  co_return co_await verify_id_token(body["id_token"].get<std::string>(), expected_nonce);
}

boost::asio::awaitable<GoogleIdentity> GoogleAuth::verify_id_token(
    std::string token, std::optional<std::string> nonce) {
  crypto::Jwt jwt;
  try {
    jwt = crypto::decode_unverified(token);
  } catch (const crypto::JwtError& e) {
    throw SignInFailed(std::string(crypto::to_string(e.failure())), "The ID token is malformed");
  }
  const auto kid = header_kid(jwt.header);

  // Keys: cached until they expire; an unknown kid refreshes them (bounded, so forged kids
  // cannot make us hammer Google).
  crypto::RsaKeySet keys;
  bool fresh = false;
  {
    std::lock_guard lock(cache_->mu);
    keys = cache_->keys;
    fresh = clock_.now() < cache_->expires;
  }
  const bool alg_ok = jwt.header.value("alg", nlohmann::json()) == "RS256";
  if (alg_ok && (!fresh || (!kid.empty() && !keys.has(kid) && !refresh_limit_.acquire("jwks")))) {
    http::ClientRequest req;
    req.url = config_.jwks_url;
    req.timeout = timeout_;
    auto res = co_await client_.fetch(std::move(req));
    if (res.status != 200) {
      throw core::ServiceUnavailable("Google's signing keys are unavailable (HTTP " +
                                     std::to_string(res.status) + ")");
    }
    auto doc = nlohmann::json::parse(res.body, nullptr, false);
    try {
      keys = crypto::RsaKeySet::from_jwks(doc);
    } catch (const crypto::JwtError&) {
      throw core::ServiceUnavailable("Google's signing keys could not be read");
    }
    std::lock_guard lock(cache_->mu);
    cache_->keys = keys;
    cache_->expires = clock_.now() + max_age(res.headers.get("cache-control"));
    log::info("auth.jwks_refreshed", {{"keys", keys.size()}});
  }

  nlohmann::json payload;
  try {
    payload = keys.verify(jwt);
    crypto::check_claims(payload, crypto::ClaimRules{.issuers = config_.issuers,
                                                     .audience = config_.client_id,
                                                     .leeway = kLeeway,
                                                     .now = clock_.now()});
  } catch (const crypto::JwtError& e) {
    throw SignInFailed(std::string(crypto::to_string(e.failure())),
                       "The Google ID token was refused: " + std::string(e.what()));
  }
  if (!email_verified(payload)) {
    throw SignInFailed("email_not_verified", "Google has not verified this email address");
  }
  if (nonce && claim_string(payload, "nonce") != *nonce) {
    throw SignInFailed("wrong_nonce", "The ID token was not issued for this sign-in");
  }
  GoogleIdentity id{claim_string(payload, "sub"), claim_string(payload, "email"),
                    claim_string(payload, "name"), claim_string(payload, "picture")};
  if (id.sub.empty() || id.email.empty()) {
    throw SignInFailed("missing_claim", "The ID token has no subject or email");
  }
  co_return id;
}

}  // namespace neuropod::auth
