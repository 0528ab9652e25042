#include "core/config.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/ip_ranges.hpp"

namespace neuropod::core {

std::string_view to_string(Environment env) {
  switch (env) {
    case Environment::development: return "development";
    case Environment::test: return "test";
    case Environment::production: return "production";
  }
  return "development";
}

namespace {

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out += sep;
    }
    out += items[i];
  }
  return out;
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) {
    return {};
  }
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Collects problems instead of stopping at the first one.
class Reader {
 public:
  explicit Reader(const EnvMap& env) : env_(env) {}

  std::optional<std::string> raw(const std::string& key) const {
    auto it = env_.find(key);
    if (it == env_.end() || it->second.empty()) {
      return std::nullopt;
    }
    return it->second;
  }

  template <typename Int>
  void integer(const std::string& key, Int& out, long long min, long long max) {
    auto v = raw(key);
    if (!v) {
      return;
    }
    long long parsed = 0;
    const auto* end = v->data() + v->size();
    auto [ptr, ec] = std::from_chars(v->data(), end, parsed);
    if (ec != std::errc() || ptr != end) {
      problem(key, fmt::format("'{}' is not a whole number", *v));
      return;
    }
    if (parsed < min || parsed > max) {
      problem(key, fmt::format("{} is out of range [{}, {}]", parsed, min, max));
      return;
    }
    out = static_cast<Int>(parsed);
  }

  void millis(const std::string& key, std::chrono::milliseconds& out, long long min,
              long long max) {
    long long ms = out.count();
    integer(key, ms, min, max);
    out = std::chrono::milliseconds(ms);
  }

  void boolean(const std::string& key, bool& out) {
    auto v = raw(key);
    if (!v) {
      return;
    }
    const auto l = lower(*v);
    if (l == "1" || l == "true" || l == "yes" || l == "on") {
      out = true;
    } else if (l == "0" || l == "false" || l == "no" || l == "off") {
      out = false;
    } else {
      problem(key, fmt::format("'{}' is not a boolean (true/false)", *v));
    }
  }

  // Comma-separated, trimmed, empty items dropped.
  std::optional<std::vector<std::string>> list(const std::string& key) const {
    auto v = raw(key);
    if (!v) {
      return std::nullopt;
    }
    std::vector<std::string> out;
    std::stringstream ss(*v);
    std::string item;
    while (std::getline(ss, item, ',')) {
      if (auto t = trim(item); !t.empty()) {
        out.push_back(t);
      }
    }
    return out;
  }

  void string(const std::string& key, std::string& out) {
    if (auto v = raw(key)) {
      out = *v;
    }
  }

  void problem(const std::string& key, const std::string& what) {
    problems_.push_back(fmt::format("{}: {}", key, what));
  }

  std::vector<std::string> problems_;

 private:
  const EnvMap& env_;
};

// mongodb://[user:pass@]host[:port][,host...]/[database][?options]
std::optional<std::string> database_from_uri(const std::string& uri, std::string& error) {
  const std::string_view scheme1 = "mongodb://";
  const std::string_view scheme2 = "mongodb+srv://";
  std::string_view rest(uri);
  if (rest.starts_with(scheme1)) {
    rest.remove_prefix(scheme1.size());
  } else if (rest.starts_with(scheme2)) {
    rest.remove_prefix(scheme2.size());
  } else {
    error = "must start with mongodb:// or mongodb+srv://";
    return std::nullopt;
  }
  const auto slash = rest.find('/');
  if (slash == 0 || rest.empty()) {
    error = "has no host";
    return std::nullopt;
  }
  if (slash == std::string_view::npos) {
    return std::string();
  }
  auto path = rest.substr(slash + 1);
  path = path.substr(0, path.find('?'));
  return std::string(path);
}

bool is_origin(const std::string& o) {
  return (o.starts_with("http://") || o.starts_with("https://")) && !o.ends_with('/') &&
         o.find('/', o.find("://") + 3) == std::string::npos;
}

bool is_http_url(const std::string& u) {
  return u.starts_with("http://") || u.starts_with("https://");
}

// Used only outside production when NEUROPOD_SESSION_KEYS is not set: sessions then survive
// restarts of a development server. Production refuses to start without real keys.
constexpr std::string_view kDevSessionSecret = "neuropod-development-only-session-key-0001";

void read_auth(Reader& r, Config& c) {
  auto& a = c.auth;
  auto& g = a.google;
  r.string("GOOGLE_CLIENT_ID", g.client_id);
  r.string("GOOGLE_CLIENT_SECRET", g.client_secret);
  r.string("GOOGLE_REDIRECT_URI", g.redirect_uri);
  r.string("GOOGLE_AUTH_URL", g.auth_url);
  r.string("GOOGLE_TOKEN_URL", g.token_url);
  r.string("GOOGLE_JWKS_URL", g.jwks_url);
  if (auto v = r.list("GOOGLE_ISSUERS")) {
    g.issuers = *v;
  }
  if (g.enabled()) {
    if (g.client_secret.empty()) {
      r.problem("GOOGLE_CLIENT_SECRET", "is required when GOOGLE_CLIENT_ID is set");
    }
    if (!is_http_url(g.redirect_uri)) {
      r.problem("GOOGLE_REDIRECT_URI",
                "is required when GOOGLE_CLIENT_ID is set (e.g. "
                "https://api.neuropod.online/api/auth/google/callback)");
    }
  }
  for (const auto* key : {"GOOGLE_AUTH_URL", "GOOGLE_TOKEN_URL", "GOOGLE_JWKS_URL"}) {
    if (auto v = r.raw(key); v && !is_http_url(*v)) {
      r.problem(key, fmt::format("'{}' must be an http(s) URL", *v));
    }
  }
  if (c.env == Environment::production) {
    for (const auto* url : {&g.auth_url, &g.token_url, &g.jwks_url}) {
      if (!url->starts_with("https://")) {
        r.problem("GOOGLE_*_URL", fmt::format("'{}' must use https in production", *url));
      }
    }
  }

  a.dev_login = !g.enabled() && c.env != Environment::production;
  r.boolean("NEUROPOD_DEV_LOGIN", a.dev_login);
  if (c.env == Environment::production) {
    if (a.dev_login) {
      r.problem("NEUROPOD_DEV_LOGIN",
                "the development sign-in cannot be enabled when NEUROPOD_ENV=production");
    }
    if (!g.enabled()) {
      r.problem("GOOGLE_CLIENT_ID", "is required when NEUROPOD_ENV=production");
    }
  }

  if (auto keys = r.list("NEUROPOD_SESSION_KEYS")) {
    std::set<std::string> kids;
    for (const auto& item : *keys) {
      const auto colon = item.find(':');
      if (colon == std::string::npos || colon == 0) {
        r.problem("NEUROPOD_SESSION_KEYS", "each key must be written kid:secret");
        continue;
      }
      auto kid = item.substr(0, colon);
      auto secret = item.substr(colon + 1);
      if (secret.size() < 32) {
        r.problem("NEUROPOD_SESSION_KEYS",
                  fmt::format("the secret of key '{}' is shorter than 32 characters", kid));
        continue;
      }
      if (!kids.insert(kid).second) {
        r.problem("NEUROPOD_SESSION_KEYS", fmt::format("key id '{}' appears twice", kid));
        continue;
      }
      a.session_keys.emplace_back(std::move(kid), std::move(secret));
    }
  } else if (c.env == Environment::production) {
    r.problem("NEUROPOD_SESSION_KEYS",
              "is required when NEUROPOD_ENV=production (e.g. k1:$(openssl rand -base64 48))");
  } else {
    a.session_keys.emplace_back("dev", std::string(kDevSessionSecret));
    a.session_keys_are_default = true;
  }

  long long ttl_hours = std::chrono::duration_cast<std::chrono::hours>(a.session_ttl).count();
  r.integer("NEUROPOD_SESSION_TTL_HOURS", ttl_hours, 1, 24LL * 365);
  a.session_ttl = std::chrono::hours(ttl_hours);
  r.millis("NEUROPOD_SESSION_CACHE_MS", a.session_cache_ttl, 0, 60'000);
  r.string("NEUROPOD_COOKIE_DOMAIN", a.cookie_domain);
  a.cookie_secure = c.env == Environment::production || c.app_origin.starts_with("https://");
  r.boolean("NEUROPOD_COOKIE_SECURE", a.cookie_secure);
  if (c.env == Environment::production && !a.cookie_secure) {
    r.problem("NEUROPOD_COOKIE_SECURE", "cookies must be Secure in production");
  }

  a.allowed_origins = {c.app_origin};
  if (c.env != Environment::production && c.app_origin == "http://localhost:5173") {
    a.allowed_origins.emplace_back("http://127.0.0.1:5173");
  }
  if (auto extra = r.list("NEUROPOD_EXTRA_ORIGINS")) {
    for (const auto& o : *extra) {
      if (!is_origin(o)) {
        r.problem("NEUROPOD_EXTRA_ORIGINS",
                  fmt::format("'{}' is not an origin (scheme://host[:port])", o));
      } else {
        a.allowed_origins.push_back(o);
      }
    }
  }
  r.boolean("NEUROPOD_TRUST_PROXY_HEADERS", a.trust_proxy_headers);
  if (auto proxies = r.list("NEUROPOD_TRUSTED_PROXIES")) {
    try {
      IpRanges::parse(*proxies);
      a.trusted_proxies = *proxies;
    } catch (const std::invalid_argument& e) {
      r.problem("NEUROPOD_TRUSTED_PROXIES", e.what());
    }
  }
  r.integer("NEUROPOD_RATE_GENERAL_PER_MIN", a.rate.general_per_minute, 1, 1'000'000);
  r.integer("NEUROPOD_RATE_AUTH_PER_MIN", a.rate.auth_per_minute, 1, 1'000'000);
  r.integer("NEUROPOD_RATE_USER_PER_MIN", a.rate.user_per_minute, 1, 1'000'000);

  r.string("NEUROPOD_OUTBOUND_CA_FILE", c.outbound.ca_file);
  r.millis("NEUROPOD_OUTBOUND_TIMEOUT_MS", c.outbound.timeout, 100, 120'000);
}

bool is_dns_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
  });
}

// A Kubernetes object name such as a Secret's: DNS labels joined by '.', 253 characters at most.
bool is_dns_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) {
    return false;
  }
  std::size_t start = 0;
  for (;;) {
    const auto dot = s.find('.', start);
    if (!is_dns_label(s.substr(start, dot == std::string_view::npos ? dot : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

// "name:port" of a Service: a DNS label and a port in 1..65535.
bool is_service_port(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos || !is_dns_label(s.substr(0, colon))) {
    return false;
  }
  const auto digits = s.substr(colon + 1);
  unsigned port = 0;
  const auto* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(digits.data(), end, port);
  return ec == std::errc() && ptr == end && port >= 1 && port <= 65535;
}

// An image reference as a shell-free spec value: [a-z0-9] first, then letters, digits and
// "._-/:@" (registry, path, tag, digest), 255 characters at most. The catalog checks users' images
// fully (catalog::is_image_reference); this only keeps an operator's typo out of every pod.
bool is_image_name(std::string_view s) {
  if (s.empty() || s.size() > 255 ||
      !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           std::string_view("._-/:@").find(ch) != std::string_view::npos;
  });
}

void read_kubernetes(Reader& r, Config& c) {
  auto& k = c.k8s;
  r.string("NEUROPOD_KUBECONFIG", k.kubeconfig);
  r.string("NEUROPOD_KUBE_CONTEXT", k.context);
  r.string("KUBERNETES_SERVICE_HOST", k.service_host);
  r.string("KUBERNETES_SERVICE_PORT", k.service_port);
  r.string("NEUROPOD_K8S_NAMESPACE", k.namespace_);
  r.string("NEUROPOD_INGRESS_NAMESPACE", k.ingress_namespace);
  const std::pair<const char*, const std::string*> namespaces[] = {
      {"NEUROPOD_K8S_NAMESPACE", &k.namespace_},
      {"NEUROPOD_INGRESS_NAMESPACE", &k.ingress_namespace}};
  for (const auto& [key, value] : namespaces) {
    if (!is_dns_label(*value)) {
      r.problem(key, fmt::format("'{}' is not a namespace name (a DNS label)", *value));
    }
  }
  if (auto cidrs = r.list("NEUROPOD_EGRESS_DENY_CIDRS")) {
    k.extra_denied_cidrs = *cidrs;
  }
  if (auto secrets = r.list("NEUROPOD_IMAGE_PULL_SECRETS")) {
    for (const auto& name : *secrets) {
      if (!is_dns_subdomain(name)) {
        r.problem("NEUROPOD_IMAGE_PULL_SECRETS",
                  fmt::format("'{}' is not a Secret name (lower-case DNS subdomain)", name));
      }
    }
    k.image_pull_secrets = *secrets;
  }
  r.millis("NEUROPOD_K8S_TIMEOUT_MS", k.request_timeout, 500, 120'000);
  long long resync = k.resync.count();
  r.integer("NEUROPOD_RECONCILE_RESYNC_S", resync, 1, 3600);
  k.resync = std::chrono::seconds(resync);
  long long lease = k.lease_duration.count();
  r.integer("NEUROPOD_LEADER_LEASE_S", lease, 2, 600);
  k.lease_duration = std::chrono::seconds(lease);
  r.string("NEUROPOD_INSTANCE_ID", k.instance_id);
  r.string("NEUROPOD_POD_AUTH_URL", k.pod_auth_url);
  r.string("NEUROPOD_PUBLIC_API_URL", k.public_api_url);
  r.string("NEUROPOD_POD_ACCESS_SERVICE", k.access_service);
  if (!k.public_api_url.empty() &&
      (!is_http_url(k.public_api_url) || k.public_api_url.ends_with('/'))) {
    r.problem("NEUROPOD_PUBLIC_API_URL",
              fmt::format("'{}' must be an http(s) URL without a trailing '/'", k.public_api_url));
  }
  if (!k.access_service.empty() && !is_service_port(k.access_service)) {
    r.problem("NEUROPOD_POD_ACCESS_SERVICE",
              fmt::format("'{}' must be a Service name and port, e.g. neuropod-api:3000",
                          k.access_service));
  }
  if (c.env == Environment::production && k.configured()) {
    if (k.pod_auth_url.empty()) {
      r.problem("NEUROPOD_POD_AUTH_URL",
                "is required when NEUROPOD_ENV=production (pod URLs would open for anyone)");
    }
    if (k.public_api_url.empty()) {
      r.problem("NEUROPOD_PUBLIC_API_URL",
                "is required when NEUROPOD_ENV=production (a pod's visitors are sent there to "
                "sign in, e.g. https://api.neuropod.online)");
    } else if (!k.public_api_url.starts_with("https://")) {
      r.problem("NEUROPOD_PUBLIC_API_URL", "must use https in production");
    }
    if (k.access_service.empty()) {
      r.problem("NEUROPOD_POD_ACCESS_SERVICE",
                "is required when NEUROPOD_ENV=production (each pod host's /.neuropod/ paths "
                "reach the API through it, e.g. neuropod-api:3000)");
    }
  }
  r.string("NEUROPOD_POD_ACTIVITY_IMAGE", k.activity_image);
  if (k.activity_image == "off") {
    k.activity_image.clear();
  } else if (!is_image_name(k.activity_image)) {
    r.problem(
        "NEUROPOD_POD_ACTIVITY_IMAGE",
        fmt::format("'{}' is not an image reference (e.g. busybox:1.36.1)", k.activity_image));
  }
  r.integer("NEUROPOD_POD_ACTIVITY_INTERVAL_S", k.activity_interval_s, 5, 3600);
  r.integer("NEUROPOD_POD_FS_GROUP", k.fs_group, 0, 2'147'483'647);
  r.string("NEUROPOD_K8S_INSTANCE", k.instance);
  if (!k.instance.empty() && (k.instance.size() > 40 || !is_dns_label(k.instance))) {
    r.problem("NEUROPOD_K8S_INSTANCE",
              fmt::format("'{}' must be a DNS label of at most 40 characters", k.instance));
  }
  if (c.env == Environment::production && !k.configured()) {
    r.problem("NEUROPOD_KUBECONFIG",
              "is required when NEUROPOD_ENV=production outside a cluster (pods need Kubernetes)");
  }
}

void read_monitoring(Reader& r, Config& c) {
  auto& m = c.monitoring;
  r.string("NEUROPOD_METRICS_TOKEN", m.metrics_token);
  if (!m.metrics_token.empty() && m.metrics_token.size() < 16) {
    r.problem("NEUROPOD_METRICS_TOKEN", "must be at least 16 characters long");
  }
  r.string("NEUROPOD_ALERT_WEBHOOK_URL", m.alert_webhook_url);
  if (!m.alert_webhook_url.empty() && !is_http_url(m.alert_webhook_url)) {
    r.problem("NEUROPOD_ALERT_WEBHOOK_URL",
              fmt::format("'{}' must be an http(s) URL", m.alert_webhook_url));
  }
  r.millis("NEUROPOD_ALERT_INTERVAL_MS", m.alert_interval, 100, 600'000);
  r.millis("NEUROPOD_READY_TIMEOUT_MS", m.ready_timeout, 100, 60'000);
  r.integer("NEUROPOD_ALERT_POD_FAILURES", m.pod_failures, 1, 1000);
  long long window = m.pod_failure_window.count();
  r.integer("NEUROPOD_ALERT_POD_FAILURE_WINDOW_S", window, 10, 86'400);
  m.pod_failure_window = std::chrono::seconds(window);
  r.integer("NEUROPOD_ALERT_FAILING_PODS", m.failing_pods, 1, 100'000);
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
    : std::runtime_error("invalid configuration:\n  - " + join(problems, "\n  - ")),
      problems_(std::move(problems)) {}

Config Config::from_env(const EnvMap& env) {
  Config c;
  Reader r(env);

  if (auto v = r.raw("NEUROPOD_ENV")) {
    if (*v == "development") {
      c.env = Environment::development;
    } else if (*v == "test") {
      c.env = Environment::test;
    } else if (*v == "production") {
      c.env = Environment::production;
    } else {
      r.problem("NEUROPOD_ENV",
                fmt::format("'{}' is not one of development, test, production", *v));
    }
  }

  r.string("NEUROPOD_LOG_LEVEL", c.log_level);
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "off"};
  if (!kLevels.contains(c.log_level)) {
    r.problem("NEUROPOD_LOG_LEVEL",
              fmt::format("'{}' is not one of trace, debug, info, warn, error, off", c.log_level));
  }

  if (auto hosts = r.list("NEUROPOD_HOST")) {
    std::vector<std::string> valid;
    for (const auto& h : *hosts) {
      if (!parse_ip(h)) {
        r.problem("NEUROPOD_HOST", fmt::format("'{}' is not an IP address to listen on", h));
      } else if (std::find(valid.begin(), valid.end(), h) == valid.end()) {
        valid.push_back(h);
      }
    }
    if (!valid.empty()) {
      c.http.hosts = std::move(valid);
    }
  }
  r.integer("NEUROPOD_PORT", c.http.port, 0, 65535);
  r.integer("NEUROPOD_HTTP_THREADS", c.http.threads, 1, 256);
  r.integer("NEUROPOD_HTTP_BODY_LIMIT_BYTES", c.http.body_limit_bytes, 1024, 64LL * 1024 * 1024);
  r.millis("NEUROPOD_HTTP_REQUEST_TIMEOUT_MS", c.http.request_timeout, 100, 600'000);
  r.millis("NEUROPOD_HTTP_IDLE_TIMEOUT_MS", c.http.idle_timeout, 100, 3'600'000);
  r.millis("NEUROPOD_SHUTDOWN_GRACE_MS", c.http.shutdown_grace, 0, 600'000);

  r.string("MONGODB_URI", c.db.uri);
  {
    std::string error;
    auto name = database_from_uri(c.db.uri, error);
    if (!name) {
      r.problem("MONGODB_URI", error);
    } else if (!name->empty()) {
      c.db.name = *name;
    }
  }
  r.integer("NEUROPOD_DB_THREADS", c.db.threads, 1, 256);
  r.integer("NEUROPOD_DB_MAX_QUEUE", c.db.max_queue, 1, 1'000'000);

  r.string("APP_ORIGIN", c.app_origin);
  if (!c.app_origin.starts_with("http://") && !c.app_origin.starts_with("https://")) {
    r.problem("APP_ORIGIN", fmt::format("'{}' must start with http:// or https://", c.app_origin));
  } else if (c.app_origin.ends_with('/')) {
    r.problem("APP_ORIGIN", "must not end with '/'");
  } else if (!is_origin(c.app_origin)) {
    r.problem("APP_ORIGIN", "must be an origin (scheme://host[:port]) without a path");
  }

  if (auto v = r.raw("ADMIN_EMAILS")) {
    c.admin_emails.clear();
    std::stringstream ss(*v);
    std::string item;
    while (std::getline(ss, item, ',')) {
      auto email = lower(trim(item));
      if (email.empty()) {
        continue;
      }
      if (email.find('@') == std::string::npos) {
        r.problem("ADMIN_EMAILS", fmt::format("'{}' is not an email address", email));
        continue;
      }
      c.admin_emails.push_back(email);
    }
  }

  if (auto v = r.raw("NEUROPOD_INITIAL_BALANCE_EUR")) {
    try {
      c.initial_balance = Micros::parse_eur(*v);
      if (c.initial_balance < Micros(0)) {
        r.problem("NEUROPOD_INITIAL_BALANCE_EUR", "must not be negative");
      }
    } catch (const std::invalid_argument& e) {
      r.problem("NEUROPOD_INITIAL_BALANCE_EUR", fmt::format("'{}': {}", *v, e.what()));
    }
  }

  r.millis("NEUROPOD_BILLING_INTERVAL_MS", c.billing_interval, 1'000, 60'000);

  read_auth(r, c);
  read_kubernetes(r, c);
  read_monitoring(r, c);

  if (!r.problems_.empty()) {
    throw ConfigError(std::move(r.problems_));
  }
  return c;
}

EnvMap parse_dotenv(const std::string& text) {
  EnvMap out;
  std::stringstream ss(text);
  std::string line;
  int number = 0;
  std::vector<std::string> problems;
  while (std::getline(ss, line)) {
    ++number;
    auto t = trim(line);
    if (t.empty() || t.front() == '#') {
      continue;
    }
    if (t.starts_with("export ")) {
      t = trim(std::string_view(t).substr(7));
    }
    const auto eq = t.find('=');
    if (eq == std::string::npos || eq == 0) {
      problems.push_back(fmt::format(".env line {}: expected KEY=VALUE", number));
      continue;
    }
    auto key = trim(std::string_view(t).substr(0, eq));
    auto value = trim(std::string_view(t).substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    out[key] = value;
  }
  if (!problems.empty()) {
    throw ConfigError(std::move(problems));
  }
  return out;
}

EnvMap load_environment(char** environ_ptr, const std::optional<std::string>& dotenv_path) {
  EnvMap env;
  if (dotenv_path) {
    std::ifstream in(*dotenv_path);
    if (in) {
      std::stringstream buf;
      buf << in.rdbuf();
      env = parse_dotenv(buf.str());
    }
  }
  for (char** e = environ_ptr; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    env[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  return env;
}

}  // namespace neuropod::core
