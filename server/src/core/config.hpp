#pragma once
// Configuration: read once from the environment (plus an optional .env file) and validated at
// start-up. Nothing else in the program reads the environment.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/money.hpp"

namespace neuropod::core {

enum class Environment : std::uint8_t { development, test, production };
std::string_view to_string(Environment env);

using EnvMap = std::map<std::string, std::string>;

struct HttpConfig {
  // NEUROPOD_HOST: the addresses to listen on, comma-separated (e.g. loopback for cloudflared
  // and the minikube bridge for the ingress controller), all on `port`.
  std::vector<std::string> hosts{"127.0.0.1"};
  std::uint16_t port = 3000;  // 0 = any free port (tests); the bound port is logged
  unsigned threads = 2;
  std::size_t body_limit_bytes = std::size_t{1024} * 1024;
  std::chrono::milliseconds request_timeout{30'000};  // to receive one whole request
  std::chrono::milliseconds idle_timeout{60'000};     // keep-alive wait for the next request
  std::chrono::milliseconds shutdown_grace{10'000};   // in-flight requests may finish within this
  // A WebSocket with nothing received for half of this is pinged; silent for all of it: closed.
  std::chrono::milliseconds websocket_idle_timeout{40'000};
};

struct DatabaseConfig {
  std::string uri = "mongodb://127.0.0.1:27017/plataforma";
  std::string name = "plataforma";  // taken from the URI path
  unsigned threads = 4;             // blocking driver calls run on this many worker threads
  std::size_t max_queue = 1024;     // more waiting calls than this fail fast with 503
};

// Google's OAuth 2.0 / OpenID Connect endpoints. They come from config so that tests can point them
// at a local stand-in; the defaults are Google's.
struct GoogleConfig {
  std::string client_id;  // empty = Google sign-in disabled
  std::string client_secret;
  std::string redirect_uri;  // e.g. https://api.neuropod.online/api/auth/google/callback
  std::string auth_url = "https://accounts.google.com/o/oauth2/v2/auth";
  std::string token_url = "https://oauth2.googleapis.com/token";
  std::string jwks_url = "https://www.googleapis.com/oauth2/v3/certs";
  std::vector<std::string> issuers = {"https://accounts.google.com", "accounts.google.com"};
  bool enabled() const { return !client_id.empty(); }
};

struct RateLimitConfig {
  unsigned general_per_minute = 1200;  // every request, per client IP
  unsigned auth_per_minute = 30;       // sign-in endpoints, per client IP
  unsigned user_per_minute = 600;      // signed-in requests, per user
};

struct AuthConfig {
  GoogleConfig google;
  // Development sign-in (type an email). On by default when Google is not configured, outside
  // production; refused in production.
  bool dev_login = false;
  // Session JWT keys: (kid, secret), the first one signs. NEUROPOD_SESSION_KEYS="kid:secret,...".
  std::vector<std::pair<std::string, std::string>> session_keys;
  bool session_keys_are_default = false;
  std::chrono::seconds session_ttl{std::chrono::hours(24 * 30)};
  // How long a checked session is trusted before the database is asked again (revocation delay).
  std::chrono::milliseconds session_cache_ttl{2'000};
  std::string cookie_name = "neuropod_session";
  bool cookie_secure = false;  // always true in production
  std::string cookie_domain;   // empty = host-only cookie for the API host
  // Origins allowed for CORS and state-changing requests: APP_ORIGIN plus NEUROPOD_EXTRA_ORIGINS.
  std::vector<std::string> allowed_origins;
  // Use CF-Connecting-IP / X-Forwarded-For for the client IP (only behind Cloudflare Tunnel),
  // and only from peers in trusted_proxies (cloudflared runs on the host: loopback).
  bool trust_proxy_headers = false;
  std::vector<std::string> trusted_proxies{"127.0.0.0/8", "::1/128"};  // validated ranges
  RateLimitConfig rate;
};

struct OutboundConfig {
  std::string ca_file;  // extra CA bundle for outbound HTTPS (NEUROPOD_OUTBOUND_CA_FILE)
  std::chrono::milliseconds timeout{10'000};
};

// Where user pods run (see k8s/kubeconfig.hpp for how the identity is loaded).
struct KubernetesConfig {
  // NEUROPOD_KUBECONFIG (+ NEUROPOD_KUBE_CONTEXT); empty: in-cluster when KUBERNETES_SERVICE_HOST
  // is set, else no cluster (pod calls answer 503 kubernetes_unavailable; refused in production).
  std::string kubeconfig;
  std::string context;
  std::string service_host;  // KUBERNETES_SERVICE_HOST / _PORT (set by Kubernetes in a pod)
  std::string service_port;
  std::string namespace_ = "neuropod";              // NEUROPOD_K8S_NAMESPACE
  std::string ingress_namespace = "ingress-nginx";  // NEUROPOD_INGRESS_NAMESPACE
  std::vector<std::string> extra_denied_cidrs;      // NEUROPOD_EGRESS_DENY_CIDRS
  // NEUROPOD_IMAGE_PULL_SECRETS: Secrets (type kubernetes.io/dockerconfigjson, in the pods'
  // namespace) every pod may pull its image with: private registries.
  std::vector<std::string> image_pull_secrets;
  std::chrono::milliseconds request_timeout{15'000};  // NEUROPOD_K8S_TIMEOUT_MS
  std::chrono::seconds resync{60};                    // NEUROPOD_RECONCILE_RESYNC_S
  std::chrono::seconds lease_duration{15};            // NEUROPOD_LEADER_LEASE_S
  std::string instance_id;  // NEUROPOD_INSTANCE_ID; default "<hostname>-<pid>" (leader election)
  std::int64_t fs_group = 1000;  // NEUROPOD_POD_FS_GROUP
  std::string instance;          // NEUROPOD_K8S_INSTANCE: label of this installation's objects
  // Who may open a pod's URLs (access/pod_access.hpp). NEUROPOD_POD_AUTH_URL: the URL
  // ingress-nginx calls for every request to a pod (e.g.
  // http://neuropod-api.neuropod.svc:3000/api/pod-access/check); empty: pods are not protected
  // (refused in production). NEUROPOD_PUBLIC_API_URL: the API as browsers reach it (auth-signin).
  // NEUROPOD_POD_ACCESS_SERVICE: "name:port" of the Service in the pods' namespace that reaches
  // the API (the /.neuropod/ paths of each pod host).
  std::string pod_auth_url;
  std::string public_api_url;
  std::string access_service;
  // Each pod's "activity" container (access/activity.hpp, k8s/manifests.hpp): its image
  // (NEUROPOD_POD_ACTIVITY_IMAGE; needs sh, awk and wget or curl; "off": no such container, so an
  // open WebSocket counts as use only when it opens) and how often it looks
  // (NEUROPOD_POD_ACTIVITY_INTERVAL_S). It reports to NEUROPOD_PUBLIC_API_URL (none without it).
  std::string activity_image = "busybox:1.36.1";
  std::int64_t activity_interval_s = 60;

  bool configured() const { return !kubeconfig.empty() || !service_host.empty(); }
};

// Monitoring: GET /metrics, GET /api/ready and the alerts loop (metrics/, alerts/).
struct MonitoringConfig {
  // NEUROPOD_METRICS_TOKEN: a bearer token that opens GET /metrics from anywhere; empty: only
  // from loopback (and never for requests carrying proxy headers: the Cloudflare tunnel).
  std::string metrics_token;
  // NEUROPOD_ALERT_WEBHOOK_URL: every alert raised or cleared is POSTed there (JSON); empty: none.
  std::string alert_webhook_url;
  std::chrono::milliseconds alert_interval{15'000};  // NEUROPOD_ALERT_INTERVAL_MS
  std::chrono::milliseconds ready_timeout{2'000};    // NEUROPOD_READY_TIMEOUT_MS (each probe)
  // A pod failing this many times within the window is alerted (NEUROPOD_ALERT_POD_FAILURES,
  // NEUROPOD_ALERT_POD_FAILURE_WINDOW_S); so is this many different pods failing within it
  // (NEUROPOD_ALERT_FAILING_PODS).
  unsigned pod_failures = 3;
  std::chrono::seconds pod_failure_window{600};
  unsigned failing_pods = 5;
};

struct Config {
  Environment env = Environment::development;
  std::string log_level = "info";
  HttpConfig http;
  DatabaseConfig db;
  std::string app_origin = "http://localhost:5173";
  std::vector<std::string> admin_emails = {"lolerodiez@gmail.com"};
  Micros initial_balance = Micros::from_eur(10);
  AuthConfig auth;
  OutboundConfig outbound;
  KubernetesConfig k8s;
  // How often the billing pass runs (NEUROPOD_BILLING_INTERVAL_MS, 1 s .. 60 s): every running
  // pod is charged at least once a minute whatever this is.
  std::chrono::milliseconds billing_interval{30'000};
  MonitoringConfig monitoring;

  // Throws ConfigError listing every problem found.
  static Config from_env(const EnvMap& env);
};

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

// The process environment, with values from `dotenv_path` (if the file exists) filling in what the
// environment does not set. Lines: KEY=VALUE, optional quotes, # comments. Throws ConfigError on a
// malformed line.
EnvMap load_environment(char** environ_ptr, const std::optional<std::string>& dotenv_path);
EnvMap parse_dotenv(const std::string& text);

}  // namespace neuropod::core
