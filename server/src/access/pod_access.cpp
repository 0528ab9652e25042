#include "access/pod_access.hpp"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/ids.hpp"
#include "core/keyed_lock.hpp"
#include "core/logging.hpp"
#include "crypto/crypto.hpp"
#include "crypto/jwt.hpp"
#include "db/schema.hpp"

namespace neuropod::access {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

constexpr std::string_view kTicketType = "pod-ticket";
constexpr std::string_view kCookieType = "pod";
constexpr std::string_view kCallbackPath = "/.neuropod/callback";
constexpr std::string_view kSharePath = "/.neuropod/share/";
constexpr std::size_t kMaxShares = 50;
constexpr std::size_t kMaxLabel = 64;
constexpr std::size_t kMaxCachedHosts = 100'000;
constexpr std::chrono::seconds kMinShareTtl{60};

std::int64_t unix_ms(core::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
std::int64_t unix_s(core::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
core::TimePoint from_ms(std::int64_t ms) {
  return core::TimePoint(
      std::chrono::duration_cast<core::TimePoint::duration>(std::chrono::milliseconds(ms)));
}

std::string percent_encode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[static_cast<std::size_t>(c >> 4U)]);
      out.push_back(kHex[static_cast<std::size_t>(c & 15U)]);
    }
  }
  return out;
}

std::string strip_port(std::string_view host) {
  const auto colon = host.rfind(':');
  if (colon != std::string_view::npos && host.find(']') == std::string_view::npos) {
    host = host.substr(0, colon);
  }
  std::string out(host);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A path of this site only: "/..." but not "//host" or "/\host" (an open redirect otherwise).
std::string safe_path(std::string_view rd) {
  if (rd.empty() || rd[0] != '/' || (rd.size() > 1 && (rd[1] == '/' || rd[1] == '\\'))) {
    return "/";
  }
  for (const char c : rd) {
    if (c == '\r' || c == '\n') {
      return "/";
    }
  }
  return std::string(rd);
}

struct TargetUrl {
  std::string scheme;
  std::string authority;  // host[:port] as given
  std::string host;       // lower case, no port
  std::string path;       // path + query, "/" at least
};

std::optional<TargetUrl> parse_target(std::string_view url) {
  TargetUrl t;
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    return std::nullopt;
  }
  t.scheme = std::string(url.substr(0, sep));
  if (t.scheme != "https" && t.scheme != "http") {
    return std::nullopt;
  }
  auto rest = url.substr(sep + 3);
  const auto slash = rest.find_first_of("/?#");
  t.authority = std::string(rest.substr(0, slash));
  if (t.authority.empty() || t.authority.find('@') != std::string::npos) {
    return std::nullopt;
  }
  t.host = strip_port(t.authority);
  t.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (t.path[0] != '/') {
    t.path = "/" + t.path;
  }
  t.path = safe_path(t.path);
  return t;
}

struct StoredShare {
  std::string id;
  std::string digest;  // base64url(sha256(secret))
  std::string label;
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;
  std::optional<std::int64_t> revoked_ms;
};

std::vector<StoredShare> shares_of(const json& pod) {
  std::vector<StoredShare> out;
  const auto it = pod.find("shares");
  if (it == pod.end() || !it->is_array()) {
    return out;
  }
  for (const auto& s : *it) {
    if (!s.is_object()) {
      continue;
    }
    StoredShare x;
    x.id = s.value("id", "");
    x.digest = s.value("digest", "");
    x.label = s.value("label", "");
    x.created_ms = s.value("created_ms", std::int64_t{0});
    x.expires_ms = s.value("expires_ms", std::int64_t{0});
    if (s.contains("revoked_ms") && s["revoked_ms"].is_number_integer()) {
      x.revoked_ms = s["revoked_ms"].get<std::int64_t>();
    }
    if (!x.id.empty()) {
      out.push_back(std::move(x));
    }
  }
  return out;
}

db::Array shares_array(const std::vector<StoredShare>& shares) {
  db::Array a;
  for (const auto& s : shares) {
    db::Doc d;
    d.append("id", s.id)
        .append("digest", s.digest)
        .append("label", s.label)
        .append("created_ms", s.created_ms)
        .append("expires_ms", s.expires_ms);
    if (s.revoked_ms) {
      d.append("revoked_ms", *s.revoked_ms);
    }
    a.push(d);
  }
  return a;
}

Share public_share(const StoredShare& s) {
  Share out;
  out.id = s.id;
  out.label = s.label;
  out.created_at = from_ms(s.created_ms);
  out.expires_at = from_ms(s.expires_ms);
  if (s.revoked_ms) {
    out.revoked_at = from_ms(*s.revoked_ms);
  }
  return out;
}

// A pod cookie once its signature was checked (kept so a request costs no HMAC or JSON parse).
struct CookieClaims {
  std::string host;
  std::string pod;
  std::string sid;    // a signed-in user's cookie
  std::string share;  // a share link's cookie
  std::int64_t exp = 0;
};
constexpr std::size_t kMaxVerifiedCookies = 100'000;

// Lets the maps keyed by long strings (cookies) be searched with a string_view.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// What the check needs of the pod behind a host.
struct HostEntry {
  bool exists = false;
  bool refreshing = false;  // one request re-reads an expired entry; the others use it meanwhile
  std::string pod_id;
  std::string user_id;
  std::string access = "owner";
  std::vector<StoredShare> shares;
  core::TimePoint fetched_at;
};

}  // namespace

json to_json(const Share& s, core::TimePoint now) {
  std::string state = "active";
  if (s.revoked_at) {
    state = "revoked";
  } else if (s.expires_at <= now) {
    state = "expired";
  }
  json out = {{"id", s.id},
              {"label", s.label},
              {"created_at", core::to_iso8601(s.created_at)},
              {"expires_at", core::to_iso8601(s.expires_at)},
              {"revoked_at", nullptr},
              {"state", state},
              {"url", nullptr}};
  if (s.revoked_at) {
    out["revoked_at"] = core::to_iso8601(*s.revoked_at);
  }
  if (!s.url.empty()) {
    out["url"] = s.url;
  }
  return out;
}

struct PodAccess::Impl {
  Impl(db::Database& d, auth::AuthService& a, pods::PodService& p, const core::Clock& c,
       const AccessOptions& o)
      : db(d),
        auth(a),
        pods(p),
        clock(c),
        options(o),
        keyring(crypto::HmacKeyring::derived(o.keys, "neuropod pod access v1")) {}

  db::Database& db;
  auth::AuthService& auth;
  pods::PodService& pods;
  const core::Clock& clock;
  const AccessOptions& options;
  crypto::HmacKeyring keyring;
  core::KeyedLock pod_locks;

  std::mutex mu;
  std::unordered_map<std::string, HostEntry> hosts;
  std::unordered_map<std::string, std::int64_t> used_tickets;  // jti -> expiry (unix s)
  // cookie value -> its claims
  std::unordered_map<std::string, CookieClaims, StringHash, std::equal_to<>> verified;

  std::optional<CookieClaims> cookie_claims(const std::string& cookie, const std::string& host) {
    const auto now = unix_s(clock.now());
    {
      std::lock_guard lock(mu);
      if (const auto it = verified.find(cookie); it != verified.end()) {
        if (it->second.host != host || it->second.exp <= now) {
          return std::nullopt;
        }
        return it->second;
      }
    }
    const auto claims = verify(cookie, kCookieType, host);
    if (!claims) {
      return std::nullopt;  // not kept: forged cookies must not fill the map
    }
    CookieClaims c{host, claims->value("pod", ""), claims->value("sid", ""),
                   claims->value("share", ""), claims->at("exp").get<std::int64_t>()};
    std::lock_guard lock(mu);
    if (verified.size() >= kMaxVerifiedCookies) {
      verified.clear();
    }
    verified.emplace(cookie, c);
    return c;
  }

  asio::awaitable<HostEntry> load(const std::string& host) {
    db::Doc filter;
    filter.append("hosts", host).append("deleted", false);
    auto doc = co_await db.run(
        [&filter](db::Conn& c) { return c.collection(db::collections::kPod).find_one(filter); });
    HostEntry e;
    e.fetched_at = clock.now();
    if (doc) {
      e.exists = true;
      e.pod_id = doc->get_oid("_id").value_or(db::Oid{}).to_string();
      e.user_id = doc->get_oid("user_id").value_or(db::Oid{}).to_string();
      e.access = doc->get_string("access").value_or("owner");
      e.shares = shares_of(doc->to_json());
    }
    co_return e;
  }

  asio::awaitable<HostEntry> pod_for(const std::string& host, bool fresh) {
    if (!fresh) {
      std::lock_guard lock(mu);
      const auto it = hosts.find(host);
      if (it != hosts.end()) {
        // Fresh, or stale while another request re-reads it (no stampede on expiry).
        if (clock.now() - it->second.fetched_at < options.cache_ttl || it->second.refreshing) {
          co_return it->second;
        }
        it->second.refreshing = true;
      }
    }
    struct RefreshDone {
      Impl* impl;
      const std::string& host;
      ~RefreshDone() {
        std::lock_guard lock(impl->mu);
        if (auto it = impl->hosts.find(host); it != impl->hosts.end()) {
          it->second.refreshing = false;
        }
      }
    } refresh_done{this, host};
    auto e = co_await load(host);
    {
      std::lock_guard lock(mu);
      if (hosts.size() >= kMaxCachedHosts) {
        hosts.clear();
      }
      hosts[host] = e;
    }
    co_return e;
  }

  void forget(const pods::Pod& pod) {
    std::lock_guard lock(mu);
    for (const auto& h : pods::hosts_of(pod)) {
      hosts.erase(h);
    }
  }

  std::optional<json> verify(std::string_view token, std::string_view type,
                             const std::string& host) const {
    json claims;
    try {
      claims = keyring.verify(token);
    } catch (const crypto::JwtError&) {
      return std::nullopt;
    }
    if (!claims.is_object() || claims.value("typ", "") != type ||
        claims.value("host", "") != host || !claims.contains("exp") ||
        !claims["exp"].is_number_integer() ||
        claims["exp"].get<std::int64_t>() <= unix_s(clock.now())) {
      return std::nullopt;
    }
    return claims;
  }

  // The session's principal, or nullopt when it is no longer valid (signed out, blocked).
  asio::awaitable<std::optional<http::Principal>> principal_of(std::string sid) {
    std::optional<http::Principal> p;
    try {
      p = co_await auth.session_principal(std::move(sid), "");
    } catch (const core::Error&) {
      p.reset();
    }
    co_return p;
  }

  static bool allows(const std::string& owner, const std::string& level,
                     const http::Principal& who) {
    return who.admin || who.user_id == owner || level == "users" || level == "public";
  }
  static bool allows(const HostEntry& e, const http::Principal& who) {
    return allows(e.user_id, e.access, who);
  }

  bool share_valid(const HostEntry& e, const std::string& share_id) const {
    const auto now_ms = unix_ms(clock.now());
    return std::any_of(e.shares.begin(), e.shares.end(), [&](const StoredShare& s) {
      return s.id == share_id && !s.revoked_ms && s.expires_ms > now_ms;
    });
  }

  // Single use per instance: a ticket seen in a URL cannot be replayed here.
  bool first_use(const std::string& jti, std::int64_t exp) {
    std::lock_guard lock(mu);
    const auto now = unix_s(clock.now());
    std::erase_if(used_tickets, [now](const auto& kv) { return kv.second <= now; });
    return used_tickets.emplace(jti, exp).second;
  }

  std::string cookie_for(const std::string& host, const std::string& pod_id, const char* key,
                         const std::string& value, std::int64_t exp) const {
    return keyring.sign(
        {{"typ", kCookieType}, {"host", host}, {"pod", pod_id}, {key, value}, {"exp", exp}});
  }

  asio::awaitable<std::vector<StoredShare>> stored_shares(const db::Oid& pod) {
    db::Doc filter;
    filter.append("_id", pod);
    auto doc = co_await db.run(
        [&filter](db::Conn& c) { return c.collection(db::collections::kPod).find_one(filter); });
    if (!doc) {
      throw core::NotFound("Pod");
    }
    co_return shares_of(doc->to_json());
  }

  asio::awaitable<void> save_shares(const db::Oid& pod, const std::vector<StoredShare>& shares) {
    db::Doc set;
    set.append("shares", shares_array(shares));
    co_await pods.set_fields(pod, std::move(set));
  }
};

PodAccess::PodAccess(db::Database& db, auth::AuthService& auth, pods::PodService& pods,
                     const core::Clock& clock, AccessOptions options)
    : options_(std::move(options)) {
  impl_ = std::make_unique<Impl>(db, auth, pods, clock, options_);
}

PodAccess::~PodAccess() = default;

core::TimePoint PodAccess::now() const {
  return impl_->clock.now();
}

std::string PodAccess::cookie_header(const std::string& value, std::chrono::seconds max_age) const {
  return http::set_cookie_value(http::CookieSpec{.name = options_.cookie_name,
                                                 .value = value,
                                                 .path = "/",
                                                 .domain = "",  // this pod host only
                                                 .max_age = max_age,
                                                 .http_only = true,
                                                 .secure = options_.cookie_secure,
                                                 .same_site = "Lax"});
}

std::optional<Decision> PodAccess::check_cached(std::string_view host_in,
                                                std::optional<std::string_view> cookie) const {
  const auto host = strip_port(host_in);
  const auto now = impl_->clock.now();
  Decision d;
  std::string sid;
  std::string owner;
  std::string level;
  {
    std::lock_guard lock(impl_->mu);
    const auto it = impl_->hosts.find(host);
    if (it == impl_->hosts.end() ||
        (now - it->second.fetched_at >= options_.cache_ttl && !it->second.refreshing)) {
      return std::nullopt;
    }
    const auto& e = it->second;
    if (!e.exists) {
      return d;
    }
    d.pod_id = e.pod_id;
    if (e.access == "public") {
      d.allowed = true;
      d.subject = "public";
      return d;
    }
    if (!cookie || cookie->empty()) {
      return d;
    }
    const auto c = impl_->verified.find(*cookie);
    if (c == impl_->verified.end()) {
      return std::nullopt;  // check() verifies its signature once
    }
    if (c->second.host != host || c->second.exp <= unix_s(now) || c->second.pod != e.pod_id) {
      return d;
    }
    if (!c->second.share.empty()) {
      d.allowed = impl_->share_valid(e, c->second.share);
      d.subject = "share:" + c->second.share;
      return d;
    }
    sid = c->second.sid;
    owner = e.user_id;
    level = e.access;
  }
  const auto session = impl_->auth.cached_principal(sid);
  if (!session.known) {
    return std::nullopt;
  }
  if (session.principal && Impl::allows(owner, level, *session.principal)) {
    d.allowed = true;
    d.subject = session.principal->user_id;
  }
  return d;
}

asio::awaitable<Decision> PodAccess::check(std::string host, std::optional<std::string> cookie) {
  if (auto cached = check_cached(host, cookie)) {
    co_return std::move(*cached);
  }
  host = strip_port(host);
  const auto e = co_await impl_->pod_for(host, false);
  Decision d;
  if (!e.exists) {
    co_return d;
  }
  d.pod_id = e.pod_id;
  if (e.access == "public") {
    d.allowed = true;
    d.subject = "public";
    co_return d;
  }
  if (!cookie || cookie->empty()) {
    co_return d;
  }
  const auto claims = impl_->cookie_claims(*cookie, host);
  if (!claims || claims->pod != e.pod_id) {
    co_return d;
  }
  if (!claims->share.empty()) {
    d.allowed = impl_->share_valid(e, claims->share);
    d.subject = "share:" + claims->share;
    co_return d;
  }
  const auto who = co_await impl_->principal_of(claims->sid);
  if (who && Impl::allows(e, *who)) {
    d.allowed = true;
    d.subject = who->user_id;
  }
  co_return d;
}

asio::awaitable<Redirect> PodAccess::signin(std::optional<http::Principal> who, std::string rd) {
  const auto target = parse_target(rd);
  if (!target) {
    throw core::ValidationError("rd", "must be the URL of a pod");
  }
  const auto e = co_await impl_->pod_for(target->host, false);
  if (!e.exists) {
    throw core::NotFound("Pod");
  }
  const std::string wanted = target->scheme + "://" + target->authority + target->path;
  Redirect out;
  if (e.access == "public") {
    out.location = wanted;
    co_return out;
  }
  if (!who) {
    out.location = options_.app_origin + "/login?next=" + percent_encode(wanted);
    co_return out;
  }
  if (!Impl::allows(e, *who)) {
    throw core::Forbidden(
        "You do not have access to this pod. Ask its owner to share it with you.");
  }
  const auto now = unix_s(impl_->clock.now());
  const std::string ticket = impl_->keyring.sign({{"typ", kTicketType},
                                                  {"host", target->host},
                                                  {"pod", e.pod_id},
                                                  {"sid", who->session_id},
                                                  {"jti", core::random_hex(16)},
                                                  {"exp", now + options_.ticket_ttl.count()}});
  out.location = fmt::format("{}://{}{}?ticket={}&rd={}", target->scheme, target->authority,
                             kCallbackPath, ticket, percent_encode(target->path));
  co_return out;
}

asio::awaitable<Redirect> PodAccess::redeem_ticket(std::string host, std::string ticket,
                                                   std::string rd) {
  host = strip_port(host);
  const auto claims = impl_->verify(ticket, kTicketType, host);
  if (!claims ||
      !impl_->first_use(claims->value("jti", ""), claims->at("exp").get<std::int64_t>())) {
    throw core::Unauthorized("ticket_invalid",
                             "This sign-in link has expired or was already used; open the pod "
                             "again from Neuropod");
  }
  const auto e = co_await impl_->pod_for(host, true);
  if (!e.exists || claims->value("pod", "") != e.pod_id) {
    throw core::Unauthorized("ticket_invalid", "This sign-in link is not for this pod");
  }
  const auto exp = unix_s(impl_->clock.now()) + options_.cookie_ttl.count();
  const auto value = impl_->cookie_for(host, e.pod_id, "sid", claims->value("sid", ""), exp);
  Redirect out;
  out.location = safe_path(rd);
  out.cookie = cookie_header(value, options_.cookie_ttl);
  co_return out;
}

asio::awaitable<Redirect> PodAccess::redeem_share(std::string host, std::string token) {
  host = strip_port(host);
  const auto dot = token.find('.');
  const auto e = co_await impl_->pod_for(host, true);
  std::optional<StoredShare> share;
  if (dot != std::string::npos && e.exists) {
    const auto id = token.substr(0, dot);
    const auto digest = crypto::base64url_encode(crypto::sha256(token.substr(dot + 1)));
    const auto now_ms = unix_ms(impl_->clock.now());
    for (const auto& s : e.shares) {
      if (s.id == id && crypto::constant_time_equal(s.digest, digest) && !s.revoked_ms &&
          s.expires_ms > now_ms) {
        share = s;
      }
    }
  }
  if (!share) {
    throw core::Unauthorized("share_invalid", "This share link has expired or was revoked");
  }
  const auto now_s = unix_s(impl_->clock.now());
  const auto exp = std::min(now_s + options_.cookie_ttl.count(), share->expires_ms / 1000);
  const auto value = impl_->cookie_for(host, e.pod_id, "share", share->id, exp);
  Redirect out;
  out.location = "/";
  out.cookie = cookie_header(value, std::chrono::seconds(std::max<std::int64_t>(exp - now_s, 1)));
  co_return out;
}

asio::awaitable<pods::Pod> PodAccess::set_level(pods::Actor actor, db::Oid id, std::string level) {
  if (level != "owner" && level != "users" && level != "public") {
    throw core::ValidationError("access", "must be owner, users or public");
  }
  auto pod = co_await impl_->pods.get(actor, id);
  db::Doc set;
  set.append("access", level);
  co_await impl_->pods.set_fields(id, std::move(set));
  impl_->forget(pod);
  pod.access = level;
  co_return pod;
}

asio::awaitable<Share> PodAccess::create_share(pods::Actor actor, db::Oid id, std::string label,
                                               std::chrono::seconds ttl) {
  if (ttl < kMinShareTtl || ttl > options_.max_share_ttl) {
    throw core::ValidationError("expires_in_seconds",
                                fmt::format("must be between {} and {}", kMinShareTtl.count(),
                                            options_.max_share_ttl.count()));
  }
  if (label.size() > kMaxLabel) {
    throw core::ValidationError("label", fmt::format("at most {} characters", kMaxLabel));
  }
  const auto pod = co_await impl_->pods.get(actor, id);
  const auto hosts = pods::hosts_of(pod);
  if (hosts.empty()) {
    throw core::ValidationError("id", "the pod has no HTTP port to share");
  }
  auto guard = co_await impl_->pod_locks.lock(id.to_string());
  auto shares = co_await impl_->stored_shares(id);
  const auto now = impl_->clock.now();
  // Ended links are kept a week for the list, then forgotten.
  const auto forget_before = unix_ms(now - std::chrono::hours(24 * 7));
  std::erase_if(shares, [forget_before](const StoredShare& s) {
    return s.expires_ms < forget_before || (s.revoked_ms && *s.revoked_ms < forget_before);
  });
  if (shares.size() >= kMaxShares) {
    throw core::Conflict(
        fmt::format("a pod has at most {} share links; revoke some first", kMaxShares));
  }
  const std::string secret = crypto::base64url_encode(crypto::random_bytes(32));
  StoredShare s;
  s.id = core::random_hex(8);
  s.digest = crypto::base64url_encode(crypto::sha256(secret));
  s.label = std::move(label);
  s.created_ms = unix_ms(now);
  s.expires_ms = unix_ms(now + ttl);
  shares.push_back(s);
  co_await impl_->save_shares(id, shares);
  impl_->forget(pod);
  Share out = public_share(s);
  std::string base;
  for (const auto& u : pod.urls) {
    if (!u.url.empty()) {
      base = u.url;
      break;
    }
  }
  if (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  out.url = base + std::string(kSharePath) + s.id + "." + secret;
  co_return out;
}

asio::awaitable<std::vector<Share>> PodAccess::shares(pods::Actor actor, db::Oid id) {
  co_await impl_->pods.get(actor, id);
  const auto stored = co_await impl_->stored_shares(id);
  std::vector<Share> out;
  out.reserve(stored.size());
  for (auto it = stored.rbegin(); it != stored.rend(); ++it) {
    out.push_back(public_share(*it));  // newest first
  }
  co_return out;
}

asio::awaitable<void> PodAccess::revoke_share(pods::Actor actor, db::Oid id, std::string share_id) {
  const auto pod = co_await impl_->pods.get(actor, id);
  auto guard = co_await impl_->pod_locks.lock(id.to_string());
  auto shares = co_await impl_->stored_shares(id);
  const auto it = std::find_if(shares.begin(), shares.end(),
                               [&share_id](const StoredShare& s) { return s.id == share_id; });
  if (it == shares.end()) {
    throw core::NotFound("Share link");
  }
  if (!it->revoked_ms) {
    it->revoked_ms = unix_ms(impl_->clock.now());
    co_await impl_->save_shares(id, shares);
  }
  impl_->forget(pod);
}

}  // namespace neuropod::access
