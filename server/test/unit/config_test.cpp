#include "core/config.hpp"

#include <gtest/gtest.h>

using neuropod::core::Config;
using neuropod::core::ConfigError;
using neuropod::core::Environment;
using neuropod::core::EnvMap;
using neuropod::core::Micros;

namespace {

std::vector<std::string> problems_of(const EnvMap& env) {
  try {
    Config::from_env(env);
  } catch (const ConfigError& e) {
    return e.problems();
  }
  return {};
}

bool mentions(const std::vector<std::string>& problems, const std::string& key) {
  for (const auto& p : problems) {
    if (p.rfind(key + ":", 0) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST(Config, DefaultsMatchThePlan) {
  const auto c = Config::from_env({});
  EXPECT_EQ(c.env, Environment::development);
  EXPECT_EQ(c.http.port, 3000);
  EXPECT_EQ(c.db.uri, "mongodb://127.0.0.1:27017/plataforma");
  EXPECT_EQ(c.db.name, "plataforma");
  EXPECT_EQ(c.initial_balance, Micros(10'000'000));
  ASSERT_EQ(c.admin_emails.size(), 1U);
  EXPECT_EQ(c.admin_emails[0], "lolerodiez@gmail.com");
}

TEST(Config, ReadsValues) {
  const auto c =
      Config::from_env({{"NEUROPOD_ENV", "test"},
                        {"NEUROPOD_PORT", "0"},
                        {"NEUROPOD_HTTP_THREADS", "4"},
                        {"MONGODB_URI", "mongodb://db.example:27018/otra?replicaSet=rs0"},
                        {"ADMIN_EMAILS", " Root@Example.com , b@x.io ,"},
                        {"NEUROPOD_INITIAL_BALANCE_EUR", "2.5"},
                        {"NEUROPOD_HTTP_REQUEST_TIMEOUT_MS", "1500"}});
  EXPECT_EQ(c.env, Environment::test);
  EXPECT_EQ(c.http.port, 0);
  EXPECT_EQ(c.http.threads, 4U);
  EXPECT_EQ(c.db.name, "otra");
  EXPECT_EQ(c.admin_emails, (std::vector<std::string>{"root@example.com", "b@x.io"}));
  EXPECT_EQ(c.initial_balance, Micros(2'500'000));
  EXPECT_EQ(c.http.request_timeout.count(), 1500);
}

TEST(Config, NamesEveryBadValueAtOnce) {
  const auto problems = problems_of({{"NEUROPOD_ENV", "staging"},
                                     {"NEUROPOD_PORT", "70000"},
                                     {"NEUROPOD_HTTP_THREADS", "two"},
                                     {"MONGODB_URI", "postgres://x"},
                                     {"APP_ORIGIN", "localhost:5173"},
                                     {"ADMIN_EMAILS", "not-an-email"},
                                     {"NEUROPOD_LOG_LEVEL", "loud"},
                                     {"NEUROPOD_INITIAL_BALANCE_EUR", "1.2345678"}});
  EXPECT_EQ(problems.size(), 8U);
  for (const auto* key :
       {"NEUROPOD_ENV", "NEUROPOD_PORT", "NEUROPOD_HTTP_THREADS", "MONGODB_URI", "APP_ORIGIN",
        "ADMIN_EMAILS", "NEUROPOD_LOG_LEVEL", "NEUROPOD_INITIAL_BALANCE_EUR"}) {
    EXPECT_TRUE(mentions(problems, key)) << key;
  }
}

TEST(Config, ErrorMessageListsProblems) {
  try {
    Config::from_env({{"NEUROPOD_PORT", "-1"}, {"NEUROPOD_DB_THREADS", "0"}});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("NEUROPOD_PORT"), std::string::npos);
    EXPECT_NE(what.find("NEUROPOD_DB_THREADS"), std::string::npos);
  }
}

TEST(Config, EmptyValueMeansDefault) {
  const auto c = Config::from_env({{"NEUROPOD_PORT", ""}});
  EXPECT_EQ(c.http.port, 3000);
}

TEST(DotEnv, ParsesCommentsQuotesAndExport) {
  const auto env =
      neuropod::core::parse_dotenv("# comment\n\nexport A=1\nB = \"two words\"\nC='x=y'\n");
  EXPECT_EQ(env.at("A"), "1");
  EXPECT_EQ(env.at("B"), "two words");
  EXPECT_EQ(env.at("C"), "x=y");
}

TEST(DotEnv, RejectsMalformedLineWithItsNumber) {
  try {
    neuropod::core::parse_dotenv("A=1\nnonsense\n");
    FAIL();
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.problems().size(), 1U);
    EXPECT_NE(e.problems()[0].find("line 2"), std::string::npos);
  }
}

namespace {
const neuropod::core::EnvMap kProductionOk = {
    {"NEUROPOD_ENV", "production"},
    {"APP_ORIGIN", "https://app.neuropod.online"},
    {"GOOGLE_CLIENT_ID", "x.apps.googleusercontent.com"},
    {"GOOGLE_CLIENT_SECRET", "secret"},
    {"GOOGLE_REDIRECT_URI", "https://api.neuropod.online/api/auth/google/callback"},
    {"NEUROPOD_SESSION_KEYS",
     "k2:0123456789abcdef0123456789abcdef,k1:abcdefabcdefabcdefabcdefabcdefab"},
    {"NEUROPOD_KUBECONFIG", "/etc/neuropod/kubeconfig"},
    {"NEUROPOD_POD_AUTH_URL", "http://neuropod-api.neuropod.svc:3000/api/pod-access/check"},
    {"NEUROPOD_PUBLIC_API_URL", "https://api.neuropod.online"},
    {"NEUROPOD_POD_ACCESS_SERVICE", "neuropod-api:3000"}};
}  // namespace

TEST(KubernetesConfig, DefaultsAndValidation) {
  const auto c = Config::from_env({});
  EXPECT_FALSE(c.k8s.configured());
  EXPECT_EQ(c.k8s.namespace_, "neuropod");
  EXPECT_EQ(c.k8s.ingress_namespace, "ingress-nginx");
  const auto k =
      Config::from_env({{"NEUROPOD_KUBECONFIG", "/x/kubeconfig"},
                        {"NEUROPOD_K8S_NAMESPACE", "pods"},
                        {"NEUROPOD_EGRESS_DENY_CIDRS", "203.0.113.7/32, 198.51.100.0/24"},
                        {"NEUROPOD_RECONCILE_RESYNC_S", "30"},
                        {"NEUROPOD_K8S_INSTANCE", "blue"}});
  EXPECT_TRUE(k.k8s.configured());
  EXPECT_EQ(k.k8s.namespace_, "pods");
  EXPECT_EQ(k.k8s.extra_denied_cidrs,
            (std::vector<std::string>{"203.0.113.7/32", "198.51.100.0/24"}));
  EXPECT_EQ(k.k8s.resync, std::chrono::seconds(30));
  EXPECT_EQ(k.k8s.instance, "blue");
  EXPECT_TRUE(Config::from_env({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}}).k8s.configured());
  EXPECT_TRUE(
      mentions(problems_of({{"NEUROPOD_K8S_NAMESPACE", "Not_A_Label"}}), "NEUROPOD_K8S_NAMESPACE"));
  EXPECT_TRUE(mentions(problems_of({{"NEUROPOD_K8S_INSTANCE", "-x"}}), "NEUROPOD_K8S_INSTANCE"));
  EXPECT_TRUE(
      mentions(problems_of({{"NEUROPOD_RECONCILE_RESYNC_S", "0"}}), "NEUROPOD_RECONCILE_RESYNC_S"));
}

TEST(HttpConfig, ListensOnEveryListedAddress) {
  EXPECT_EQ(Config::from_env({}).http.hosts, std::vector<std::string>{"127.0.0.1"});
  const auto c = Config::from_env({{"NEUROPOD_HOST", "127.0.0.1, 192.168.49.1,::1,127.0.0.1"}});
  EXPECT_EQ(c.http.hosts, (std::vector<std::string>{"127.0.0.1", "192.168.49.1", "::1"}))
      << "in order, once each";
  EXPECT_TRUE(mentions(problems_of({{"NEUROPOD_HOST", "127.0.0.1,localhost"}}), "NEUROPOD_HOST"));
  EXPECT_TRUE(mentions(problems_of({{"NEUROPOD_HOST", "300.1.1.1"}}), "NEUROPOD_HOST"));
}

TEST(KubernetesConfig, ImagePullSecretsAreSecretNames) {
  EXPECT_TRUE(Config::from_env({}).k8s.image_pull_secrets.empty());
  const auto c = Config::from_env({{"NEUROPOD_IMAGE_PULL_SECRETS", "ghcr, registry.example.com"}});
  EXPECT_EQ(c.k8s.image_pull_secrets, (std::vector<std::string>{"ghcr", "registry.example.com"}));
  for (const char* bad : {"Ghcr", "a..b", "-x", "x_y", ".x"}) {
    EXPECT_TRUE(mentions(problems_of({{"NEUROPOD_IMAGE_PULL_SECRETS", bad}}),
                         "NEUROPOD_IMAGE_PULL_SECRETS"))
        << bad;
  }
}

TEST(KubernetesConfig, ActivityImageAndInterval) {
  const auto d = Config::from_env({});
  EXPECT_EQ(d.k8s.activity_image, "busybox:1.36.1");
  EXPECT_EQ(d.k8s.activity_interval_s, 60);
  const auto c = Config::from_env(
      {{"NEUROPOD_POD_ACTIVITY_IMAGE", "registry.example.com/tools/curl@sha256:0a1b"},
       {"NEUROPOD_POD_ACTIVITY_INTERVAL_S", "30"}});
  EXPECT_EQ(c.k8s.activity_image, "registry.example.com/tools/curl@sha256:0a1b");
  EXPECT_EQ(c.k8s.activity_interval_s, 30);
  EXPECT_TRUE(
      Config::from_env({{"NEUROPOD_POD_ACTIVITY_IMAGE", "off"}}).k8s.activity_image.empty());
  for (const char* bad : {"busy box", "-x", "Busybox", "x;rm -rf /", "a\"$(id)\""}) {
    EXPECT_TRUE(mentions(problems_of({{"NEUROPOD_POD_ACTIVITY_IMAGE", bad}}),
                         "NEUROPOD_POD_ACTIVITY_IMAGE"))
        << bad;
  }
  for (const char* bad : {"4", "3601", "x"}) {
    EXPECT_TRUE(mentions(problems_of({{"NEUROPOD_POD_ACTIVITY_INTERVAL_S", bad}}),
                         "NEUROPOD_POD_ACTIVITY_INTERVAL_S"))
        << bad;
  }
}

TEST(KubernetesConfig, ProductionNeedsACluster) {
  auto env = kProductionOk;
  env.erase("NEUROPOD_KUBECONFIG");
  EXPECT_TRUE(mentions(problems_of(env), "NEUROPOD_KUBECONFIG"));
  env["KUBERNETES_SERVICE_HOST"] = "10.96.0.1";
  EXPECT_NO_THROW(Config::from_env(env));
}

TEST(KubernetesConfig, ProductionProtectsPodUrls) {
  auto env = kProductionOk;
  env.erase("NEUROPOD_POD_AUTH_URL");
  EXPECT_TRUE(mentions(problems_of(env), "NEUROPOD_POD_AUTH_URL"));
  const auto c = Config::from_env(kProductionOk);
  EXPECT_EQ(c.k8s.pod_auth_url, "http://neuropod-api.neuropod.svc:3000/api/pod-access/check");
  // Outside production an unprotected development set-up is fine.
  EXPECT_TRUE(Config::from_env({{"NEUROPOD_KUBECONFIG", "/k"}}).k8s.pod_auth_url.empty());
}

TEST(KubernetesConfig, ProductionNeedsThePodSignInRoute) {
  EXPECT_NO_THROW(Config::from_env(kProductionOk));
  for (const char* key : {"NEUROPOD_PUBLIC_API_URL", "NEUROPOD_POD_ACCESS_SERVICE"}) {
    auto env = kProductionOk;
    env.erase(key);
    EXPECT_TRUE(mentions(problems_of(env), key)) << key;
  }
  auto plain = kProductionOk;
  plain["NEUROPOD_PUBLIC_API_URL"] = "http://api.neuropod.online";
  EXPECT_TRUE(mentions(problems_of(plain), "NEUROPOD_PUBLIC_API_URL")) << "https in production";
  // Malformed values are refused anywhere; outside production they may be left out.
  for (const char* bad : {"ftp://x", "https://api.example/"}) {
    EXPECT_TRUE(
        mentions(problems_of({{"NEUROPOD_PUBLIC_API_URL", bad}}), "NEUROPOD_PUBLIC_API_URL"))
        << bad;
  }
  for (const char* bad :
       {"neuropod-api", "Neuropod:3000", "api:0", "api:70000", "api:3000x", ":80"}) {
    EXPECT_TRUE(mentions(problems_of({{"NEUROPOD_POD_ACCESS_SERVICE", bad}}),
                         "NEUROPOD_POD_ACCESS_SERVICE"))
        << bad;
  }
  const auto dev = Config::from_env({{"NEUROPOD_KUBECONFIG", "/k"},
                                     {"NEUROPOD_POD_ACCESS_SERVICE", "neuropod-api:3000"},
                                     {"NEUROPOD_PUBLIC_API_URL", "http://127.0.0.1:3000"}});
  EXPECT_EQ(dev.k8s.access_service, "neuropod-api:3000");
  EXPECT_EQ(dev.k8s.public_api_url, "http://127.0.0.1:3000");
}

TEST(AuthConfig, TrustedProxiesDefaultToLoopbackAndAreValidated) {
  EXPECT_EQ(Config::from_env({}).auth.trusted_proxies,
            (std::vector<std::string>{"127.0.0.0/8", "::1/128"}));
  const auto c = Config::from_env({{"NEUROPOD_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.49.1"}});
  EXPECT_EQ(c.auth.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "192.168.49.1"}));
  const auto bad = problems_of({{"NEUROPOD_TRUSTED_PROXIES", "10.0.0.0/8,cloudflare"}});
  ASSERT_TRUE(mentions(bad, "NEUROPOD_TRUSTED_PROXIES"));
  EXPECT_NE(bad[0].find("'cloudflare'"), std::string::npos) << bad[0];
  EXPECT_TRUE(mentions(problems_of({{"NEUROPOD_TRUSTED_PROXIES", "10.0.0.0/40"}}),
                       "NEUROPOD_TRUSTED_PROXIES"));
}

TEST(AuthConfig, DevelopmentDefaultsToTheDevSignInAndABuiltInKey) {
  const auto c = Config::from_env({});
  EXPECT_FALSE(c.auth.google.enabled());
  EXPECT_TRUE(c.auth.dev_login);
  EXPECT_TRUE(c.auth.session_keys_are_default);
  EXPECT_FALSE(c.auth.cookie_secure);
  EXPECT_EQ(c.auth.allowed_origins,
            (std::vector<std::string>{"http://localhost:5173", "http://127.0.0.1:5173"}));
}

TEST(AuthConfig, ProductionIsValidWithGoogleAndKeys) {
  const auto c = Config::from_env(kProductionOk);
  EXPECT_TRUE(c.auth.google.enabled());
  EXPECT_FALSE(c.auth.dev_login);
  EXPECT_TRUE(c.auth.cookie_secure);
  ASSERT_EQ(c.auth.session_keys.size(), 2U);
  EXPECT_EQ(c.auth.session_keys[0].first, "k2") << "the first key signs";
  EXPECT_EQ(c.auth.allowed_origins, (std::vector<std::string>{"https://app.neuropod.online"}));
}

TEST(AuthConfig, ProductionRefusesTheDevSignInAndMissingSecrets) {
  auto env = kProductionOk;
  env["NEUROPOD_DEV_LOGIN"] = "true";
  EXPECT_TRUE(mentions(problems_of(env), "NEUROPOD_DEV_LOGIN"));
  env = kProductionOk;
  env.erase("GOOGLE_CLIENT_ID");
  EXPECT_TRUE(mentions(problems_of(env), "GOOGLE_CLIENT_ID"));
  env = kProductionOk;
  env.erase("NEUROPOD_SESSION_KEYS");
  EXPECT_TRUE(mentions(problems_of(env), "NEUROPOD_SESSION_KEYS"));
  env = kProductionOk;
  env["NEUROPOD_COOKIE_SECURE"] = "false";
  EXPECT_TRUE(mentions(problems_of(env), "NEUROPOD_COOKIE_SECURE"));
  env = kProductionOk;
  env["GOOGLE_TOKEN_URL"] = "http://insecure.example/token";
  EXPECT_TRUE(mentions(problems_of(env), "GOOGLE_*_URL"));
}

TEST(AuthConfig, RejectsWeakOrMalformedKeysAndIncompleteGoogleConfig) {
  EXPECT_TRUE(
      mentions(problems_of({{"NEUROPOD_SESSION_KEYS", "k1:short"}}), "NEUROPOD_SESSION_KEYS"));
  EXPECT_TRUE(mentions(problems_of({{"NEUROPOD_SESSION_KEYS", "nokid"}}), "NEUROPOD_SESSION_KEYS"));
  EXPECT_TRUE(mentions(problems_of({{"NEUROPOD_SESSION_KEYS",
                                     "a:" + std::string(32, 'x') + ",a:" + std::string(32, 'y')}}),
                       "NEUROPOD_SESSION_KEYS"));
  const auto p = problems_of({{"GOOGLE_CLIENT_ID", "x"}});
  EXPECT_TRUE(mentions(p, "GOOGLE_CLIENT_SECRET"));
  EXPECT_TRUE(mentions(p, "GOOGLE_REDIRECT_URI"));
  EXPECT_TRUE(mentions(problems_of({{"NEUROPOD_EXTRA_ORIGINS", "https://a.example/path"}}),
                       "NEUROPOD_EXTRA_ORIGINS"));
  EXPECT_TRUE(mentions(problems_of({{"NEUROPOD_DEV_LOGIN", "maybe"}}), "NEUROPOD_DEV_LOGIN"));
}

TEST(AuthConfig, GoogleDisablesTheDevSignInUnlessAskedFor) {
  neuropod::core::EnvMap env = {{"GOOGLE_CLIENT_ID", "x"},
                                {"GOOGLE_CLIENT_SECRET", "s"},
                                {"GOOGLE_REDIRECT_URI", "http://localhost:3000/cb"}};
  EXPECT_FALSE(Config::from_env(env).auth.dev_login);
  env["NEUROPOD_DEV_LOGIN"] = "true";
  EXPECT_TRUE(Config::from_env(env).auth.dev_login);
}
