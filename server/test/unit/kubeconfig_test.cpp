#include "k8s/kubeconfig.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <openssl/evp.h>

// kubeconfig files and ServiceAccount folders are written into a throw-away folder per test.

namespace fs = std::filesystem;
using neuropod::k8s::in_cluster;
using neuropod::k8s::KubeConfig;
using neuropod::k8s::load_kubeconfig;
using neuropod::k8s::parse_kubeconfig;

namespace {

const std::string kCaPem =
    "-----BEGIN CERTIFICATE-----\nMIIBsandboxCA\n-----END CERTIFICATE-----\n";
const std::string kCertPem = "-----BEGIN CERTIFICATE-----\nMIIBclient\n-----END CERTIFICATE-----\n";
const std::string kKeyPem = "-----BEGIN PRIVATE KEY-----\nMIIBkey\n-----END PRIVATE KEY-----\n";

std::string base64(const std::string& bytes) {
  std::vector<unsigned char> out(4 * ((bytes.size() + 2) / 3) + 1);
  const int n = EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  return {reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n)};
}

class Kubeconfig : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("neuropod-kubeconfig-test-" + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string write(const std::string& name, const std::string& text) const {
    const auto path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  // A kubeconfig with one cluster, one user (its fields given as YAML lines) and one context.
  static std::string config(const std::string& cluster_fields, const std::string& user_fields,
                            const std::string& ns = "neuropod") {
    std::string yaml = "apiVersion: v1\nkind: Config\nclusters:\n- name: sandbox\n  cluster:\n";
    yaml += cluster_fields;
    yaml += "users:\n- name: backend\n  user:\n";
    yaml += user_fields;
    yaml += "contexts:\n- name: sandbox\n  context:\n    cluster: sandbox\n    user: backend\n";
    if (!ns.empty()) {
      yaml += "    namespace: " + ns + "\n";
    }
    yaml += "current-context: sandbox\n";
    return yaml;
  }

  // The message of the std::invalid_argument that `fn` throws ("" when it does not throw).
  template <typename Fn>
  static std::string error_of(Fn fn) {
    try {
      fn();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

TEST_F(Kubeconfig, TokenAndInlineCa) {
  const auto path = write("config", config("    server: https://127.0.0.1:6443/\n"
                                           "    certificate-authority-data: " +
                                               base64(kCaPem) + "\n",
                                           "    token: abc.def\n"));
  const KubeConfig cfg = load_kubeconfig(path);
  EXPECT_EQ(cfg.server, "https://127.0.0.1:6443");  // trailing '/' dropped
  EXPECT_EQ(cfg.ca_pem, kCaPem);
  EXPECT_EQ(cfg.token, "abc.def");
  EXPECT_TRUE(cfg.token_file.empty());
  EXPECT_TRUE(cfg.client_cert_pem.empty());
  EXPECT_FALSE(cfg.insecure_skip_tls_verify);
  EXPECT_EQ(cfg.default_namespace, "neuropod");
  EXPECT_EQ(cfg.context, "sandbox");
}

TEST_F(Kubeconfig, NamespaceDefaultsToDefault) {
  const auto cfg = parse_kubeconfig(
      config("    server: https://k8s.example:443\n", "    token: t\n", ""), dir_.string());
  EXPECT_EQ(cfg.default_namespace, "default");
}

TEST_F(Kubeconfig, TokenFileIsReadRelativeToTheKubeconfig) {
  write("secrets/token", "  tok-from-file\n");
  const auto path = write("config", config("    server: https://127.0.0.1:6443\n"
                                           "    insecure-skip-tls-verify: true\n",
                                           "    tokenFile: secrets/token\n"));
  const KubeConfig cfg = load_kubeconfig(path);
  EXPECT_EQ(cfg.token, "tok-from-file");
  EXPECT_EQ(cfg.token_file, (dir_ / "secrets/token").string());
  EXPECT_TRUE(cfg.insecure_skip_tls_verify);
  EXPECT_TRUE(cfg.ca_pem.empty());
}

TEST_F(Kubeconfig, InlineTokenWinsOverTokenFile) {
  const auto cfg = parse_kubeconfig(
      config("    server: https://h:1\n", "    token: inline\n    tokenFile: /nonexistent\n"),
      dir_.string());
  EXPECT_EQ(cfg.token, "inline");
  EXPECT_TRUE(cfg.token_file.empty());
}

TEST_F(Kubeconfig, MissingOrEmptyTokenFileIsAnError) {
  const auto missing = error_of([&] {
    parse_kubeconfig(config("    server: https://h:1\n", "    tokenFile: nope\n"), dir_.string());
  });
  EXPECT_NE(missing.find("tokenFile"), std::string::npos) << missing;
  EXPECT_NE(missing.find("cannot be read"), std::string::npos) << missing;
  write("empty", "\n");
  const auto empty = error_of([&] {
    parse_kubeconfig(config("    server: https://h:1\n", "    tokenFile: empty\n"), dir_.string());
  });
  EXPECT_NE(empty.find("is empty"), std::string::npos) << empty;
}

TEST_F(Kubeconfig, InlineClientCertificateAndKey) {
  const auto cfg = parse_kubeconfig(
      config("    server: https://h:1\n", "    client-certificate-data: " + base64(kCertPem) +
                                              "\n    client-key-data: " + base64(kKeyPem) + "\n"),
      dir_.string());
  EXPECT_EQ(cfg.client_cert_pem, kCertPem);
  EXPECT_EQ(cfg.client_key_pem, kKeyPem);
  EXPECT_TRUE(cfg.token.empty());
}

TEST_F(Kubeconfig, CertificateFilesRelativeToTheKubeconfig) {
  write("pki/ca.crt", kCaPem);
  write("pki/admin.crt", kCertPem);
  write("pki/admin.key", kKeyPem);
  const auto path = write("config", config("    server: https://h:1\n"
                                           "    certificate-authority: pki/ca.crt\n",
                                           "    client-certificate: pki/admin.crt\n"
                                           "    client-key: " +
                                               (dir_ / "pki/admin.key").string() + "\n"));
  const auto cfg = load_kubeconfig(path);
  EXPECT_EQ(cfg.ca_pem, kCaPem);
  EXPECT_EQ(cfg.client_cert_pem, kCertPem);
  EXPECT_EQ(cfg.client_key_pem, kKeyPem);
}

TEST_F(Kubeconfig, ExplicitContextAndUnknownContext) {
  std::string yaml = config("    server: https://one:1\n", "    token: t\n");
  // A second cluster and context.
  yaml.replace(yaml.find("users:"), 0, "- name: other\n  cluster:\n    server: https://two:2\n");
  yaml.replace(yaml.find("current-context:"), 0,
               "- name: second\n  context:\n    cluster: other\n    user: backend\n");
  EXPECT_EQ(parse_kubeconfig(yaml, "").server, "https://one:1");
  const auto second = parse_kubeconfig(yaml, "", "second");
  EXPECT_EQ(second.server, "https://two:2");
  EXPECT_EQ(second.context, "second");
  EXPECT_EQ(second.default_namespace, "default");
  const auto err = error_of([&] { parse_kubeconfig(yaml, "", "third", "kubeconfig test.yaml"); });
  EXPECT_EQ(err, "kubeconfig test.yaml: context \"third\" not found (contexts: sandbox, second)");
}

TEST_F(Kubeconfig, MissingFieldsAreNamed) {
  const auto no_server = error_of([&] {
    parse_kubeconfig(config("    insecure-skip-tls-verify: true\n", "    token: t\n"), "");
  });
  EXPECT_NE(no_server.find("cluster \"sandbox\" has no 'server'"), std::string::npos) << no_server;

  const auto no_current = error_of([&] {
    parse_kubeconfig("apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n", "");
  });
  EXPECT_NE(no_current.find("no current-context"), std::string::npos) << no_current;

  std::string missing_user = config("    server: https://h:1\n", "    token: t\n");
  missing_user.replace(missing_user.find("user: backend"), 13, "user: ghost");
  const auto no_user = error_of([&] { parse_kubeconfig(missing_user, ""); });
  EXPECT_NE(no_user.find("user \"ghost\" not found (users: backend)"), std::string::npos)
      << no_user;

  std::string missing_cluster = config("    server: https://h:1\n", "    token: t\n");
  missing_cluster.replace(missing_cluster.find("cluster: sandbox"), 16, "cluster: gone");
  const auto no_cluster = error_of([&] { parse_kubeconfig(missing_cluster, ""); });
  EXPECT_NE(no_cluster.find("cluster \"gone\" not found"), std::string::npos) << no_cluster;
}

TEST_F(Kubeconfig, CertificateWithoutKeyIsAnError) {
  const auto err = error_of([&] {
    parse_kubeconfig(config("    server: https://h:1\n",
                            "    client-certificate-data: " + base64(kCertPem) + "\n"),
                     "");
  });
  EXPECT_NE(err.find("client-certificate without client-key"), std::string::npos) << err;
}

TEST_F(Kubeconfig, InsecureTogetherWithCaIsAnError) {
  const auto err = error_of([&] {
    parse_kubeconfig(config("    server: https://h:1\n    insecure-skip-tls-verify: true\n"
                            "    certificate-authority-data: " +
                                base64(kCaPem) + "\n",
                            "    token: t\n"),
                     "");
  });
  EXPECT_NE(err.find("insecure-skip-tls-verify"), std::string::npos) << err;
}

TEST_F(Kubeconfig, BadValuesAreNamed) {
  const auto bad_flag = error_of([&] {
    parse_kubeconfig(
        config("    server: https://h:1\n    insecure-skip-tls-verify: maybe\n", "    token: t\n"),
        "");
  });
  EXPECT_NE(bad_flag.find("'insecure-skip-tls-verify' must be true or false"), std::string::npos)
      << bad_flag;
  const auto bad_b64 = error_of([&] {
    parse_kubeconfig(config("    server: https://h:1\n    certificate-authority-data: '***'\n",
                            "    token: t\n"),
                     "");
  });
  EXPECT_NE(bad_b64.find("'certificate-authority-data' is not valid base64"), std::string::npos)
      << bad_b64;
  const auto not_pem = error_of([&] {
    parse_kubeconfig(
        config("    server: https://h:1\n    certificate-authority-data: " + base64("hello") + "\n",
               "    token: t\n"),
        "");
  });
  EXPECT_NE(not_pem.find("holds no PEM certificate"), std::string::npos) << not_pem;
  const auto bad_scheme =
      error_of([&] { parse_kubeconfig(config("    server: ftp://h:1\n", "    token: t\n"), ""); });
  EXPECT_NE(bad_scheme.find("must be an https://"), std::string::npos) << bad_scheme;
  const auto bad_yaml = error_of([&] { parse_kubeconfig("clusters: [", ""); });
  EXPECT_NE(bad_yaml.find("not valid YAML"), std::string::npos) << bad_yaml;
  const auto no_file = error_of([&] { load_kubeconfig((dir_ / "nope").string()); });
  EXPECT_NE(no_file.find("cannot be read"), std::string::npos) << no_file;
}

TEST_F(Kubeconfig, BareHostMeansHttps) {
  EXPECT_EQ(parse_kubeconfig(config("    server: 10.0.0.1:6443\n", "    token: t\n"), "").server,
            "https://10.0.0.1:6443");
}

TEST_F(Kubeconfig, UnsupportedCredentialsAreRefused) {
  const auto exec = error_of([&] {
    parse_kubeconfig(config("    server: https://h:1\n",
                            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                            "      command: aws\n"),
                     "");
  });
  EXPECT_NE(exec.find("user \"backend\" uses 'exec' credentials"), std::string::npos) << exec;
  const auto basic = error_of([&] {
    parse_kubeconfig(config("    server: https://h:1\n", "    username: a\n    password: b\n"), "");
  });
  EXPECT_NE(basic.find("basic auth"), std::string::npos) << basic;
}

TEST_F(Kubeconfig, InClusterReadsTheServiceAccount) {
  write("sa/token", "sa-token\n");
  write("sa/ca.crt", kCaPem);
  write("sa/namespace", "neuropod");
  const auto cfg = in_cluster("10.96.0.1", "443", (dir_ / "sa").string());
  EXPECT_EQ(cfg.server, "https://10.96.0.1:443");
  EXPECT_EQ(cfg.token, "sa-token");
  EXPECT_EQ(cfg.token_file, (dir_ / "sa/token").string());
  EXPECT_EQ(cfg.ca_pem, kCaPem);
  EXPECT_EQ(cfg.default_namespace, "neuropod");
  EXPECT_TRUE(cfg.context.empty());
  EXPECT_EQ(in_cluster("fd00::1", "6443", (dir_ / "sa").string()).server, "https://[fd00::1]:6443");
}

TEST_F(Kubeconfig, InClusterNamesWhatIsMissing) {
  const auto no_env = error_of([&] { in_cluster("", "443", dir_.string()); });
  EXPECT_NE(no_env.find("KUBERNETES_SERVICE_HOST"), std::string::npos) << no_env;
  const auto bad_port = error_of([&] { in_cluster("10.96.0.1", "https", dir_.string()); });
  EXPECT_NE(bad_port.find("is not a port number"), std::string::npos) << bad_port;
  const auto no_token = error_of([&] { in_cluster("10.96.0.1", "443", dir_.string()); });
  EXPECT_NE(no_token.find("ServiceAccount token"), std::string::npos) << no_token;
  write("token", "t");
  const auto no_ca = error_of([&] { in_cluster("10.96.0.1", "443", dir_.string()); });
  EXPECT_NE(no_ca.find("cluster CA"), std::string::npos) << no_ca;
}

}  // namespace
