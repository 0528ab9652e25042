#include "auth/auth_service.hpp"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "core/errors.hpp"
#include "core/logging.hpp"

namespace neuropod::auth {

namespace {

constexpr auto kTouchEvery = std::chrono::minutes(1);
constexpr std::size_t kMaxCached = 50'000;

core::Error blocked_error() {
  return core::Error(core::ErrorCode::account_blocked,
                     "This account is blocked. Contact the administrator.");
}

std::int64_t unix_seconds(core::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Plain functions for choices between strings: g++ 12 mis-destroys class temporaries of a
// conditional operator inside coroutine bodies (DEVELOPERS.md), so coroutines call these instead.
std::string or_default(const std::string& value, const std::string& fallback) {
  return value.empty() ? fallback : value;
}

db::Oid parse_oid_or(const std::string& hex, const char* reason) {
  auto id = db::Oid::parse(hex);
  if (!id) {
    throw core::Unauthorized(reason);
  }
  return *id;
}

}  // namespace

struct AuthService::Cache {
  struct Entry {
    http::Principal principal;
    bool blocked = false;
    core::TimePoint session_expires;
    core::TimePoint last_seen;
    core::TimePoint checked_at;
    bool refreshing = false;  // one request re-reads an expired entry; the others use it meanwhile
  };
  std::mutex mu;
  std::unordered_map<std::string, Entry> by_session;
};

AuthService::AuthService(const core::Config& config, const core::Clock& clock,
                         users::UserStore& users, SessionStore& sessions, audit::AuditLog& audit,
                         billing::Ledger& ledger, catalog::Catalog& catalog)
    : config_(config),
      clock_(clock),
      users_(users),
      sessions_(sessions),
      audit_(audit),
      ledger_(ledger),
      catalog_(catalog),
      keyring_(config.auth.session_keys),
      email_limit_(clock, config.auth.rate.auth_per_minute),
      cache_(std::make_unique<Cache>()) {}

AuthService::~AuthService() = default;

bool AuthService::is_admin_email(const std::string& email) const {
  return std::find(config_.admin_emails.begin(), config_.admin_emails.end(), email) !=
         config_.admin_emails.end();
}

boost::asio::awaitable<void> AuthService::record_failure(std::string reason, std::string email,
                                                         audit::Actor actor) {
  log::warn("auth.sign_in_failed", {{"reason", reason}, {"ip", actor.ip}});
  audit::Entry entry{.action = audit::action::kSignInFailed,
                     .actor = std::move(actor),
                     .subject_user_id = {},
                     .details = {{"reason", reason}, {"email", email}}};
  co_await audit_.record(std::move(entry));
}

boost::asio::awaitable<SignedIn> AuthService::sign_in(Identity id, audit::Actor actor) {
  const auto email = users::normalize_email(id.email);
  if (auto wait = email_limit_.acquire(email)) {
    throw core::TooManyRequests(wait->count());
  }
  const bool admin = is_admin_email(email);
  const auto google_id = or_default(id.google_id, "email:" + email);

  // Find by Google id, then by email (a user created before their first Google sign-in, or with
  // the development sign-in), else create. A concurrent first sign-in loses the insert race and
  // finds the winner's document.
  std::optional<users::User> user;
  for (int attempt = 0; attempt < 2 && !user; ++attempt) {
    auto existing = co_await users_.find_by_google_id(google_id);
    if (!existing) {
      existing = co_await users_.find_by_email(email);
    }
    if (existing) {
      if (existing->blocked) {
        co_await record_failure("blocked", email, actor);
        throw blocked_error();
      }
      // Named locals, not temporaries inside the co_await: g++ 12 double-destroys conditional
      // temporaries in a co_await full-expression.
      users::UserStore::ProfileUpdate update{
          .google_id = google_id,
          .email = email,
          .name = or_default(id.name, existing->name),
          .avatar_url = or_default(id.avatar_url, existing->avatar_url),
          .promote_to_admin = admin};
      user = co_await users_.update_profile(existing->id, std::move(update));
      continue;
    }
    try {
      users::NewUser fresh{.google_id = google_id,
                           .email = email,
                           .name = or_default(id.name, email.substr(0, email.find('@'))),
                           .avatar_url = id.avatar_url,
                           .role = admin ? users::Role::admin : users::Role::client};
      user = co_await users_.create(std::move(fresh));
      log::info("auth.user_created", {{"user_id", user->id.to_string()}, {"admin", admin}});
      if (sign_up_hook_) {
        sign_up_hook_(*user);
      }
    } catch (const users::EmailTaken&) {
      // Lost the race: the next attempt finds it.
    }
  }
  if (!user) {
    throw core::Conflict("The account changed during sign-in, try again");
  }
  // A new client's welcome credit, through the ledger. The id makes it once per user, also when a
  // crash came between creating the user and crediting them.
  if (user->role == users::Role::client && user->ledger_seq == 0) {
    const auto settings = co_await catalog_.settings();
    if (settings.initial_balance > core::Micros(0)) {
      billing::Change welcome{.id = "initial:" + user->id.to_string(),
                              .kind = billing::EntryKind::initial,
                              .amount = settings.initial_balance,
                              .reason = "Welcome credit",
                              .actor_id = {},
                              .actor_email = {},
                              .pod_id = {}};
      auto entry = co_await ledger_.apply(user->id, std::move(welcome));
      user->balance = entry.balance_after;
      user->ledger_seq = entry.seq;
    }
  }

  SessionStore::NewSession new_session{.user_id = user->id,
                                       .method = id.method,
                                       .ip = actor.ip,
                                       .user_agent = actor.user_agent,
                                       .ttl = config_.auth.session_ttl};
  auto session = co_await sessions_.create(std::move(new_session));
  const auto token = keyring_.sign({{"sid", session.id.to_string()},
                                    {"sub", user->id.to_string()},
                                    {"iat", unix_seconds(session.created_at)},
                                    {"exp", unix_seconds(session.expires_at)}});
  actor.user_id = user->id.to_string();
  actor.email = user->email;
  audit::Entry entry{.action = audit::action::kSignIn,
                     .actor = actor,
                     .subject_user_id = {},
                     .details = {{"method", id.method}, {"session_id", session.id.to_string()}}};
  co_await audit_.record(std::move(entry));
  log::info("auth.sign_in", {{"user_id", actor.user_id}, {"method", id.method}});
  co_return SignedIn{std::move(*user), std::move(session), token};
}

boost::asio::awaitable<http::Principal> AuthService::authenticate(std::string token,
                                                                  std::string ip) {
  if (token.empty()) {
    throw core::Unauthorized("missing");
  }
  nlohmann::json claims;
  try {
    claims = keyring_.verify(token);
  } catch (const crypto::JwtError&) {
    throw core::Unauthorized("invalid", "Your session is not valid, sign in again");
  }
  const auto now = clock_.now();
  if (!claims.contains("exp") || !claims["exp"].is_number_integer() || !claims.contains("sid") ||
      !claims["sid"].is_string()) {
    throw core::Unauthorized("invalid", "Your session is not valid, sign in again");
  }
  if (claims["exp"].get<std::int64_t>() <= unix_seconds(now)) {
    throw core::Unauthorized("expired", "Your session has expired, sign in again");
  }
  co_return co_await session_principal(claims["sid"].get<std::string>(), std::move(ip));
}

AuthService::CachedSession AuthService::cached_principal(const std::string& session_id) const {
  const auto now = clock_.now();
  std::lock_guard lock(cache_->mu);
  const auto it = cache_->by_session.find(session_id);
  if (it == cache_->by_session.end() || now >= it->second.session_expires ||
      (now - it->second.checked_at >= config_.auth.session_cache_ttl && !it->second.refreshing)) {
    return {};
  }
  CachedSession out{.known = true, .principal = std::nullopt};
  if (!it->second.blocked) {
    out.principal = it->second.principal;
  }
  return out;
}

boost::asio::awaitable<http::Principal> AuthService::session_principal(std::string sid,
                                                                       std::string ip) {
  const auto now = clock_.now();
  {
    std::lock_guard lock(cache_->mu);
    auto it = cache_->by_session.find(sid);
    if (it != cache_->by_session.end() && now < it->second.session_expires) {
      // Fresh, or stale while another request re-reads it (no stampede on the database when an
      // entry expires under load).
      const bool fresh = now - it->second.checked_at < config_.auth.session_cache_ttl;
      if (fresh || it->second.refreshing) {
        if (it->second.blocked) {
          throw blocked_error();
        }
        co_return it->second.principal;
      }
      it->second.refreshing = true;
    }
  }
  // Clears `refreshing` when the re-read ends without replacing the entry (an error).
  struct RefreshDone {
    Cache* cache;
    const std::string& sid;
    ~RefreshDone() {
      std::lock_guard lock(cache->mu);
      if (auto it = cache->by_session.find(sid); it != cache->by_session.end()) {
        it->second.refreshing = false;
      }
    }
  } refresh_done{cache_.get(), sid};

  const auto session_id = parse_oid_or(sid, "invalid");
  auto session = co_await sessions_.find(session_id);
  if (!session) {
    {
      std::lock_guard lock(cache_->mu);
      cache_->by_session.erase(sid);
    }
    throw core::Unauthorized("revoked", "Your session has ended, sign in again");
  }
  if (session->expires_at <= now) {
    throw core::Unauthorized("expired", "Your session has expired, sign in again");
  }
  auto user = co_await users_.find_by_id(session->user_id);
  if (!user) {
    throw core::Unauthorized("revoked", "Your account no longer exists");
  }
  http::Principal principal{.user_id = user->id.to_string(),
                            .session_id = sid,
                            .email = user->email,
                            .admin = user->role == users::Role::admin};
  if (!user->blocked && now - session->last_seen_at >= kTouchEvery) {
    co_await sessions_.touch(session_id, ip);
  }
  {
    std::lock_guard lock(cache_->mu);
    if (cache_->by_session.size() >= kMaxCached) {
      cache_->by_session.clear();
    }
    cache_->by_session[sid] = Cache::Entry{.principal = principal,
                                           .blocked = user->blocked,
                                           .session_expires = session->expires_at,
                                           .last_seen = now,
                                           .checked_at = now};
  }
  if (user->blocked) {
    throw blocked_error();
  }
  co_return principal;
}

void AuthService::forget_user(const std::string& user_id) {
  if (user_id.empty()) {
    return;
  }
  std::lock_guard lock(cache_->mu);
  std::erase_if(cache_->by_session,
                [&user_id](const auto& kv) { return kv.second.principal.user_id == user_id; });
}

boost::asio::awaitable<void> AuthService::sign_out(const http::Principal& who, audit::Actor actor) {
  co_await sessions_.revoke(parse_oid_or(who.session_id, "invalid"), std::nullopt);
  {
    std::lock_guard lock(cache_->mu);
    cache_->by_session.erase(who.session_id);
  }
  sessions_ended(who.session_id, who.user_id);
  audit::Entry entry{.action = audit::action::kSignOut,
                     .actor = std::move(actor),
                     .subject_user_id = {},
                     .details = {{"session_id", who.session_id}}};
  co_await audit_.record(std::move(entry));
}

boost::asio::awaitable<std::int64_t> AuthService::sign_out_everywhere(const http::Principal& who,
                                                                      audit::Actor actor) {
  const auto n = co_await sessions_.revoke_all(parse_oid_or(who.user_id, "invalid"));
  forget_user(who.user_id);
  sessions_ended("", who.user_id);
  audit::Entry entry{.action = audit::action::kSignOut,
                     .actor = std::move(actor),
                     .subject_user_id = {},
                     .details = {{"everywhere", true}, {"sessions", n}}};
  co_await audit_.record(std::move(entry));
  co_return n;
}

boost::asio::awaitable<void> AuthService::revoke(db::Oid session_id, const http::Principal& who,
                                                 audit::Actor actor) {
  // Ownership in the query: a client can only ever match their own sessions.
  std::optional<db::Oid> owner;
  if (!who.admin) {
    owner = parse_oid_or(who.user_id, "invalid");
  }
  auto session = co_await sessions_.find(session_id);
  if (!session || (owner && !(session->user_id == *owner))) {
    throw core::NotFound("Session");
  }
  if (!co_await sessions_.revoke(session_id, owner)) {
    throw core::NotFound("Session");
  }
  {
    std::lock_guard lock(cache_->mu);
    cache_->by_session.erase(session_id.to_string());
  }
  sessions_ended(session_id.to_string(), session->user_id.to_string());
  audit::Entry entry{.action = audit::action::kSessionRevoked,
                     .actor = std::move(actor),
                     .subject_user_id = session->user_id.to_string(),
                     .details = {{"session_id", session_id.to_string()}}};
  co_await audit_.record(std::move(entry));
}

boost::asio::awaitable<users::User> AuthService::set_blocked(db::Oid user_id, bool blocked,
                                                             audit::Actor actor) {
  if (actor.user_id == user_id.to_string() && blocked) {
    throw core::Conflict("You cannot block yourself");
  }
  if (!co_await users_.set_blocked(user_id, blocked)) {
    throw core::NotFound("User");
  }
  std::int64_t ended = 0;
  if (blocked) {
    ended = co_await sessions_.revoke_all(user_id);
  }
  forget_user(user_id.to_string());
  if (blocked) {
    sessions_ended("", user_id.to_string());
  }
  audit::Entry entry{
      .action = blocked ? audit::action::kUserBlocked : audit::action::kUserUnblocked,
      .actor = std::move(actor),
      .subject_user_id = user_id.to_string(),
      .details = {{"sessions_ended", ended}}};
  co_await audit_.record(std::move(entry));
  if (blocked && block_hook_) {
    co_await block_hook_(user_id);
  }
  auto user = co_await users_.find_by_id(user_id);
  if (!user) {
    throw core::NotFound("User");
  }
  co_return std::move(*user);
}

http::CookieSpec AuthService::session_cookie(const std::string& token) const {
  return http::CookieSpec{.name = config_.auth.cookie_name,
                          .value = token,
                          .path = "/",
                          .domain = config_.auth.cookie_domain,
                          .max_age = config_.auth.session_ttl,
                          .http_only = true,
                          .secure = config_.auth.cookie_secure,
                          .same_site = "Lax"};
}

http::CookieSpec AuthService::expired_session_cookie() const {
  auto c = session_cookie("");
  c.max_age = std::chrono::seconds(0);
  return c;
}

}  // namespace neuropod::auth
