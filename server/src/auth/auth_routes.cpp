#include "auth/auth_routes.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "core/errors.hpp"
#include "core/ids.hpp"
#include "core/logging.hpp"
#include "crypto/crypto.hpp"

namespace neuropod::auth {

namespace {

constexpr std::string_view kOAuthCookie = "neuropod_oauth";
constexpr std::string_view kOAuthCookiePath = "/api/auth/google";
constexpr auto kOAuthStateLifetime = std::chrono::minutes(10);
constexpr std::size_t kMaxReturnTo = 512;
constexpr std::size_t kMaxTokenLength = std::size_t{16} * 1024;

std::int64_t unix_seconds(core::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Only paths of the app itself: never another origin ("//evil", "/\\evil", "https://...").
std::string safe_return_to(const std::optional<std::string>& in) {
  if (!in || in->empty() || in->size() > kMaxReturnTo || (*in)[0] != '/' || in->starts_with("//") ||
      in->find('\\') != std::string::npos || in->find_first_of("\r\n\t ") != std::string::npos) {
    return "/";
  }
  return *in;
}

http::Response redirect(const std::string& location) {
  http::Response res;
  res.status = 302;
  res.headers.set("Location", location);
  return res;
}

std::string string_field(const nlohmann::json& body, const char* key, std::size_t max,
                         bool required) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    if (required) {
      throw core::ValidationError(key, "is required");
    }
    return {};
  }
  if (!it->is_string()) {
    throw core::ValidationError(key, "must be a string");
  }
  auto s = it->get<std::string>();
  if (s.size() > max) {
    throw core::ValidationError(key, "is too long (at most " + std::to_string(max) + ")");
  }
  return s;
}

db::Oid id_param(const http::Request& req, const char* what) {
  auto id = db::Oid::parse(req.params.at("id"));
  if (!id) {
    throw core::NotFound(what);
  }
  return *id;
}

}  // namespace

void AuthRoutes::register_routes(http::Router& router) {
  using http::Access;
  using http::Request;
  router.get("/api/auth/config", Access::anonymous, [this](Request& r) { return auth_config(r); });
  router.get("/api/auth/google", Access::anonymous, [this](Request& r) { return google_start(r); });
  router.get("/api/auth/google/callback", Access::anonymous,
             [this](Request& r) { return google_callback(r); });
  router.post("/api/auth/login", Access::anonymous, [this](Request& r) { return login(r); });
  if (config_.auth.dev_login) {
    router.post("/api/auth/dev-login", Access::anonymous,
                [this](Request& r) { return dev_login(r); });
  }
  router.get("/api/auth/verify", Access::signed_in, [this](Request& r) { return verify(r); });
  router.post("/api/auth/logout", Access::signed_in, [this](Request& r) { return logout(r); });
  router.post("/api/auth/logout-all", Access::signed_in,
              [this](Request& r) { return logout_all(r); });
  router.get("/api/auth/sessions", Access::signed_in, [this](Request& r) { return sessions(r); });
  router.del("/api/auth/sessions/{id}", Access::signed_in,
             [this](Request& r) { return revoke_session(r); });
  router.post("/api/admin/users/{id}/block", Access::admin,
              [this](Request& r) { return block(r, true); });
  router.post("/api/admin/users/{id}/unblock", Access::admin,
              [this](Request& r) { return block(r, false); });
  router.get("/api/admin/audit", Access::admin, [this](Request& r) { return audit_log(r); });
}

boost::asio::awaitable<http::Response> AuthRoutes::auth_config(http::Request&) {
  nlohmann::json google = {{"enabled", google_.enabled()}};
  if (google_.enabled()) {
    google["client_id"] = google_.client_id();
  }
  co_return http::Response::json(200, {{"google", google}, {"dev_login", config_.auth.dev_login}});
}

bool AuthRoutes::consume_state(const std::string& state) {
  const auto now = clock_.now();
  std::lock_guard lock(states_mu_);
  std::erase_if(used_states_, [now](const auto& kv) { return kv.second < now; });
  return used_states_.emplace(state, now + kOAuthStateLifetime).second;
}

boost::asio::awaitable<http::Response> AuthRoutes::google_start(http::Request& req) {
  if (!google_.enabled()) {
    throw core::NotFound("Google sign-in");
  }
  const auto state = core::random_hex(16);
  const auto verifier = crypto::pkce_verifier();
  const auto nonce = core::random_hex(16);
  const auto now = clock_.now();
  const auto cookie_value =
      auth_.keyring().sign({{"typ", "oauth"},
                            {"state", state},
                            {"verifier", verifier},
                            {"nonce", nonce},
                            {"return_to", safe_return_to(req.query_param("return_to"))},
                            {"exp", unix_seconds(now + kOAuthStateLifetime)}});
  auto res = redirect(google_.authorize_url(state, crypto::pkce_challenge_s256(verifier), nonce));
  res.headers.add("Set-Cookie",
                  http::set_cookie_value(http::CookieSpec{.name = std::string(kOAuthCookie),
                                                          .value = cookie_value,
                                                          .path = std::string(kOAuthCookiePath),
                                                          .domain = {},
                                                          .max_age = kOAuthStateLifetime,
                                                          .http_only = true,
                                                          .secure = config_.auth.cookie_secure,
                                                          .same_site = "Lax"}));
  co_return res;
}

boost::asio::awaitable<http::Response> AuthRoutes::google_callback(http::Request& req) {
  if (!google_.enabled()) {
    throw core::NotFound("Google sign-in");
  }
  const auto actor = audit::actor_of(req);
  std::string reason;
  std::string return_to = "/";
  std::optional<SignedIn> signed_in;
  try {
    auto cookie = req.cookie(kOAuthCookie);
    nlohmann::json saved;
    try {
      saved = auth_.keyring().verify(cookie.value_or(""));
    } catch (const crypto::JwtError&) {
      throw SignInFailed("bad_state", "The sign-in attempt was not started here or has expired");
    }
    if (saved.value("typ", "") != "oauth" || !saved["exp"].is_number_integer() ||
        saved["exp"].get<std::int64_t>() < unix_seconds(clock_.now())) {
      throw SignInFailed("bad_state", "The sign-in attempt has expired, try again");
    }
    return_to = safe_return_to(saved.value("return_to", "/"));
    if (auto error = req.query_param("error")) {
      throw SignInFailed(*error == "access_denied" ? "access_denied" : "google_error",
                         "Google did not sign you in (" + error->substr(0, 64) + ")");
    }
    const auto state = req.query_param("state").value_or("");
    if (!crypto::constant_time_equal(state, saved.value("state", "")) || state.empty()) {
      throw SignInFailed("bad_state", "The sign-in answer does not match this browser's attempt");
    }
    if (!consume_state(state)) {
      throw SignInFailed("state_reused", "This sign-in answer was already used");
    }
    const auto code = req.query_param("code").value_or("");
    if (code.empty() || code.size() > kMaxTokenLength) {
      throw SignInFailed("missing_code", "Google's answer has no authorization code");
    }
    auto verifier = saved.value("verifier", "");
    auto nonce = saved.value("nonce", "");
    auto identity = co_await google_.exchange_code(code, std::move(verifier), std::move(nonce));
    Identity who{.google_id = identity.sub,
                 .email = identity.email,
                 .name = identity.name,
                 .avatar_url = identity.picture,
                 .method = "google"};
    signed_in = co_await auth_.sign_in(std::move(who), actor);
  } catch (const SignInFailed& e) {
    reason = e.reason();
  } catch (const core::Error& e) {
    reason = e.code() == core::ErrorCode::account_blocked       ? "blocked"
             : e.code() == core::ErrorCode::service_unavailable ? "google_unreachable"
             : e.code() == core::ErrorCode::too_many_requests   ? "rate_limited"
                                                                : "failed";
  }
  http::Response res;
  if (signed_in) {
    res = redirect(config_.app_origin + return_to);
    res.headers.add("Set-Cookie", http::set_cookie_value(auth_.session_cookie(signed_in->token)));
  } else {
    if (reason != "blocked") {  // blocked was audited by sign_in
      co_await auth_.record_failure(reason, "", actor);
    }
    res = redirect(config_.app_origin + "/login?error=" + reason);
  }
  res.headers.add("Set-Cookie",
                  http::set_cookie_value(http::CookieSpec{.name = std::string(kOAuthCookie),
                                                          .value = "",
                                                          .path = std::string(kOAuthCookiePath),
                                                          .domain = {},
                                                          .max_age = std::chrono::seconds(0),
                                                          .http_only = true,
                                                          .secure = config_.auth.cookie_secure,
                                                          .same_site = "Lax"}));
  co_return res;
}

boost::asio::awaitable<http::Response> AuthRoutes::signed_in_response(Identity identity,
                                                                      http::Request& req) {
  auto signed_in = co_await auth_.sign_in(std::move(identity), audit::actor_of(req));
  auto res = http::Response::json(200, {{"user", users::to_json(signed_in.user)},
                                        {"session", to_json(signed_in.session, true)}});
  res.headers.add("Set-Cookie", http::set_cookie_value(auth_.session_cookie(signed_in.token)));
  co_return res;
}

boost::asio::awaitable<http::Response> AuthRoutes::login(http::Request& req) {
  const auto& body = req.json_object();
  // Google's one-tap button posts `credential`; API clients may send `id_token`.
  auto token = string_field(body, "id_token", kMaxTokenLength, false);
  if (token.empty()) {
    token = string_field(body, "credential", kMaxTokenLength, false);
  }
  if (token.empty()) {
    throw core::ValidationError("id_token", "is required");
  }
  if (!google_.enabled()) {
    throw core::NotFound("Google sign-in");
  }
  GoogleIdentity identity;
  std::string failure;
  try {
    identity = co_await google_.verify_id_token(token, std::nullopt);
  } catch (const SignInFailed& e) {
    failure = e.reason();
  }
  if (!failure.empty()) {
    co_await auth_.record_failure(failure, "", audit::actor_of(req));
    throw SignInFailed(failure, "Google sign-in failed (" + failure + ")");
  }
  Identity who{.google_id = identity.sub,
               .email = identity.email,
               .name = identity.name,
               .avatar_url = identity.picture,
               .method = "google"};
  co_return co_await signed_in_response(std::move(who), req);
}

boost::asio::awaitable<http::Response> AuthRoutes::dev_login(http::Request& req) {
  const auto& body = req.json_object();
  const auto email = users::normalize_email(string_field(body, "email", 254, true));
  const auto name = string_field(body, "name", 100, false);
  Identity who{.google_id = {}, .email = email, .name = name, .avatar_url = {}, .method = "dev"};
  co_return co_await signed_in_response(std::move(who), req);
}

boost::asio::awaitable<http::Response> AuthRoutes::verify(http::Request& req) {
  const auto& who = req.caller();
  auto user = co_await users_.find_by_id(*db::Oid::parse(who.user_id));
  if (!user) {
    throw core::Unauthorized("revoked", "Your account no longer exists");
  }
  co_return http::Response::json(
      200, {{"user", users::to_json(*user)}, {"session", {{"id", who.session_id}}}});
}

boost::asio::awaitable<http::Response> AuthRoutes::logout(http::Request& req) {
  co_await auth_.sign_out(req.caller(), audit::actor_of(req));
  auto res = http::Response::no_content();
  res.headers.add("Set-Cookie", http::set_cookie_value(auth_.expired_session_cookie()));
  co_return res;
}

boost::asio::awaitable<http::Response> AuthRoutes::logout_all(http::Request& req) {
  const auto n = co_await auth_.sign_out_everywhere(req.caller(), audit::actor_of(req));
  auto res = http::Response::json(200, {{"sessions_ended", n}});
  res.headers.add("Set-Cookie", http::set_cookie_value(auth_.expired_session_cookie()));
  co_return res;
}

boost::asio::awaitable<http::Response> AuthRoutes::sessions(http::Request& req) {
  const auto& who = req.caller();
  SessionStore& store = auth_.sessions();
  auto list = co_await store.list_for_user(*db::Oid::parse(who.user_id));
  auto items = nlohmann::json::array();
  for (const auto& s : list) {
    items.push_back(to_json(s, s.id.to_string() == who.session_id));
  }
  co_return http::Response::json(200, {{"items", items}});
}

boost::asio::awaitable<http::Response> AuthRoutes::revoke_session(http::Request& req) {
  const auto id = id_param(req, "Session");
  co_await auth_.revoke(id, req.caller(), audit::actor_of(req));
  auto res = http::Response::no_content();
  if (id.to_string() == req.caller().session_id) {
    res.headers.add("Set-Cookie", http::set_cookie_value(auth_.expired_session_cookie()));
  }
  co_return res;
}

boost::asio::awaitable<http::Response> AuthRoutes::block(http::Request& req, bool blocked) {
  const auto id = id_param(req, "User");
  auto user = co_await auth_.set_blocked(id, blocked, audit::actor_of(req));
  co_return http::Response::json(200, {{"user", users::to_json(user)}});
}

boost::asio::awaitable<http::Response> AuthRoutes::audit_log(http::Request& req) {
  audit::AuditLog::Query q;
  if (auto v = req.query_param("user_id")) {
    if (!db::Oid::parse(*v)) {
      throw core::ValidationError("user_id", "is not a user id");
    }
    q.user_id = *v;
  }
  if (auto v = req.query_param("action")) {
    if (v->empty() || v->size() > 64) {
      throw core::ValidationError("action", "must be 1 to 64 characters");
    }
    q.action = *v;
  }
  if (auto v = req.query_param("before")) {
    q.before = db::Oid::parse(*v);
    if (!q.before) {
      throw core::ValidationError("before", "is not an entry id");
    }
  }
  if (auto v = req.query_param("limit")) {
    int n = 0;
    try {
      n = std::stoi(*v);
    } catch (const std::exception&) {
      n = 0;
    }
    if (n < 1 || n > 500 || std::to_string(n) != *v) {
      throw core::ValidationError("limit", "must be a whole number from 1 to 500");
    }
    q.limit = n;
  }
  auto items = co_await audit_.list(q);
  nlohmann::json next = nullptr;  // the id to pass as `before` for the next page
  if (static_cast<std::int64_t>(items.size()) == q.limit && !items.empty()) {
    next = items.back()["id"];
  }
  co_return http::Response::json(200, {{"items", items}, {"next_before", next}});
}

}  // namespace neuropod::auth
