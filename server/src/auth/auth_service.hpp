#pragma once
// Sign-in, sessions and who is calling. The one place that issues and checks session tokens:
//   - sign_in: finds or creates the User for a verified identity, refuses blocked users, creates
//     a Session document and returns the signed JWT (HS256, kid in the header) that carries it;
//   - authenticate: JWT -> session document -> user, on every request (cached for a couple of
//     seconds, so a revocation or a block bites within that time, and at once on this instance).
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "audit/audit_log.hpp"
#include "auth/session_store.hpp"
#include "billing/ledger.hpp"
#include "catalog/catalog.hpp"
#include "core/config.hpp"
#include "core/rate_limiter.hpp"
#include "crypto/jwt.hpp"
#include "http/message.hpp"
#include "users/user_store.hpp"

namespace neuropod::auth {

struct Identity {
  std::string google_id;  // empty for the development sign-in
  std::string email;
  std::string name;
  std::string avatar_url;
  std::string method;  // "google" | "dev"
};

struct SignedIn {
  users::User user;
  Session session;
  std::string token;
};

class AuthService {
 public:
  AuthService(const core::Config& config, const core::Clock& clock, users::UserStore& users,
              SessionStore& sessions, audit::AuditLog& audit, billing::Ledger& ledger,
              catalog::Catalog& catalog);
  ~AuthService();
  AuthService(const AuthService&) = delete;
  AuthService& operator=(const AuthService&) = delete;

  // Throws core::Error account_blocked (audited) or TooManyRequests (per email, at the sign-in
  // rate limit).
  boost::asio::awaitable<SignedIn> sign_in(Identity identity, audit::Actor actor);
  // Records a refused sign-in in the audit log (reason: machine-readable).
  boost::asio::awaitable<void> record_failure(std::string reason, std::string email,
                                              audit::Actor actor);

  // Throws core::Unauthorized (reason missing/invalid/expired/revoked) or account_blocked.
  boost::asio::awaitable<http::Principal> authenticate(std::string token, std::string ip);
  // The same check for a session known by its id (a pod access cookie names the session it was
  // issued for): cached the same way; throws the same errors.
  boost::asio::awaitable<http::Principal> session_principal(std::string session_id, std::string ip);

  // What session_principal would answer, from this instance's cache alone, when the cache can
  // answer (the entry is fresh, or stale while another request re-reads it). No database, no
  // coroutine: for the ingress check's fast path.
  struct CachedSession {
    bool known = false;                        // false: ask session_principal
    std::optional<http::Principal> principal;  // when known: nullopt = the user is blocked
  };
  CachedSession cached_principal(const std::string& session_id) const;

  boost::asio::awaitable<void> sign_out(const http::Principal& who, audit::Actor actor);
  boost::asio::awaitable<std::int64_t> sign_out_everywhere(const http::Principal& who,
                                                           audit::Actor actor);
  // The caller's own session, or (admins) anyone's. Throws core::NotFound.
  boost::asio::awaitable<void> revoke(db::Oid session_id, const http::Principal& who,
                                      audit::Actor actor);
  // Blocks or unblocks a user (admins). Blocking ends every session at once, then awaits the
  // block hook (the app stops the user's pods with it).
  boost::asio::awaitable<users::User> set_blocked(db::Oid user_id, bool blocked,
                                                  audit::Actor actor);
  using BlockHook = std::function<boost::asio::awaitable<void>(db::Oid)>;
  void set_block_hook(BlockHook hook) { block_hook_ = std::move(hook); }
  // Told at once when sessions end on this instance: one (`session_id`), or every session of
  // `user_id` (session_id empty): sign-out, revocation, block. Must not block (the app closes
  // the WebSockets of those sessions with it).
  using SessionEndHook =
      std::function<void(const std::string& session_id, const std::string& user_id)>;
  void set_session_end_hook(SessionEndHook hook) { session_end_hook_ = std::move(hook); }

  // Told once when a sign-in created a user (the app publishes the admins' "user.signed_up").
  using SignUpHook = std::function<void(const users::User&)>;
  void set_sign_up_hook(SignUpHook hook) { sign_up_hook_ = std::move(hook); }

  // Forgets cached sessions of a user on this instance (after a change elsewhere).
  void forget_user(const std::string& user_id);

  // Cookie helpers: the session cookie as configured, and its deletion.
  http::CookieSpec session_cookie(const std::string& token) const;
  http::CookieSpec expired_session_cookie() const;
  const std::string& cookie_name() const { return config_.auth.cookie_name; }
  const crypto::HmacKeyring& keyring() const { return keyring_; }
  SessionStore& sessions() { return sessions_; }
  bool is_admin_email(const std::string& email) const;

  struct Cache;  // auth_service.cpp

 private:
  const core::Config& config_;
  const core::Clock& clock_;
  users::UserStore& users_;
  SessionStore& sessions_;
  audit::AuditLog& audit_;
  billing::Ledger& ledger_;
  catalog::Catalog& catalog_;
  crypto::HmacKeyring keyring_;
  core::RateLimiter email_limit_;
  std::unique_ptr<Cache> cache_;
  BlockHook block_hook_;
  SessionEndHook session_end_hook_;
  SignUpHook sign_up_hook_;

  void sessions_ended(const std::string& session_id, const std::string& user_id) const {
    if (session_end_hook_) {
      session_end_hook_(session_id, user_id);
    }
  }
};

}  // namespace neuropod::auth
