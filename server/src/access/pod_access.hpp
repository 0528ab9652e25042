#pragma once
// Who may open a pod's URLs. ingress-nginx asks `check` on every request to a pod host
// (auth-url); a browser without access is sent to `signin` (auth-signin), which, for a signed-in
// user allowed in, hands out a short-lived signed ticket and sends the browser to the pod host's
// `/.neuropod/callback`; `redeem_ticket` exchanges it there for a cookie scoped to that one host.
// The pod never receives the Neuropod session cookie (which is host-only on the API host); its
// own cookie opens only that pod and only while the session it was issued for is valid.
//
// Levels (Pod.access): owner (the owner and admins; default), users (any signed-in user), public
// (anyone; no cookie needed). Share links open the pod for whoever holds one, until they expire
// or are revoked: a random secret of which only a SHA-256 digest is stored (Pod.shares).
//
// Hot path: `check` verifies an HMAC and reads two in-process caches (the pod behind a host, the
// session through AuthService), each for a couple of seconds; a change made here (level, share
// revoked) drops this instance's entry at once, the others within the TTL.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "auth/auth_service.hpp"
#include "core/time.hpp"
#include "db/database.hpp"
#include "pods/pod_service.hpp"

namespace neuropod::access {

struct AccessOptions {
  // The session signing keys (kid, secret); tickets and pod cookies are signed with keys derived
  // from them, so a session token is never a pod token and the other way round.
  std::vector<std::pair<std::string, std::string>> keys;
  std::string cookie_name = "neuropod_pod";
  bool cookie_secure = false;  // production: true
  std::chrono::seconds ticket_ttl{60};
  std::chrono::seconds cookie_ttl{std::chrono::hours(12)};
  std::chrono::milliseconds cache_ttl{2'000};
  std::string app_origin;  // where a browser without a session signs in
  std::chrono::seconds max_share_ttl{std::chrono::hours(24 * 30)};
};

// What the ingress check decided.
struct Decision {
  bool allowed = false;
  std::string pod_id;   // when the host is a pod's
  std::string subject;  // user id, "share:<id>", or "public"
};

// A browser to send somewhere, perhaps with a cookie.
struct Redirect {
  std::string location;
  std::optional<std::string> cookie;  // Set-Cookie value
};

struct Share {
  std::string id;
  std::string label;
  core::TimePoint created_at;
  core::TimePoint expires_at;
  std::optional<core::TimePoint> revoked_at;
  std::string url;  // only when created (the secret is not stored)
};
nlohmann::json to_json(const Share& s, core::TimePoint now);

class PodAccess {
 public:
  PodAccess(db::Database& db, auth::AuthService& auth, pods::PodService& pods,
            const core::Clock& clock, AccessOptions options);
  ~PodAccess();
  PodAccess(const PodAccess&) = delete;
  PodAccess& operator=(const PodAccess&) = delete;

  // The ingress check for a request to `host` carrying `cookie` (the pod cookie's value).
  boost::asio::awaitable<Decision> check(std::string host, std::optional<std::string> cookie);
  // The same decision from this instance's caches alone (the pod behind the host, the verified
  // cookie, the session), or nullopt when one of them would need the database or an HMAC: then
  // call check(). Synchronous: the server's fast route for the check (Router::fast).
  std::optional<Decision> check_cached(std::string_view host,
                                       std::optional<std::string_view> cookie) const;
  // auth-signin: `rd` is the URL the browser wanted. Without a session: to the app's sign-in.
  // Allowed: to the pod host's callback with a ticket. Throws NotFound (no such pod host),
  // Forbidden (signed in, not allowed), ValidationError (rd not a pod URL).
  boost::asio::awaitable<Redirect> signin(std::optional<http::Principal> who, std::string rd);
  // The pod host's /.neuropod/callback: the cookie for `host`, then on to `rd` (a path).
  // Throws Unauthorized (ticket invalid, expired, used, or for another host).
  boost::asio::awaitable<Redirect> redeem_ticket(std::string host, std::string ticket,
                                                 std::string rd);
  // The pod host's /.neuropod/share/<token>: the cookie for `host`, then on to "/".
  boost::asio::awaitable<Redirect> redeem_share(std::string host, std::string token);

  // Owner or admin (others: NotFound, as for every pod call).
  boost::asio::awaitable<pods::Pod> set_level(pods::Actor actor, db::Oid pod, std::string level);
  boost::asio::awaitable<Share> create_share(pods::Actor actor, db::Oid pod, std::string label,
                                             std::chrono::seconds ttl);
  boost::asio::awaitable<std::vector<Share>> shares(pods::Actor actor, db::Oid pod);
  boost::asio::awaitable<void> revoke_share(pods::Actor actor, db::Oid pod, std::string share_id);

  const AccessOptions& options() const { return options_; }
  core::TimePoint now() const;
  std::string cookie_header(const std::string& value, std::chrono::seconds max_age) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  AccessOptions options_;
};

}  // namespace neuropod::access
