#include "k8s/kubeconfig.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "crypto/crypto.hpp"

namespace neuropod::k8s {

namespace {

[[noreturn]] void fail(const std::string& origin, const std::string& problem) {
  throw std::invalid_argument(origin + ": " + problem);
}

std::string trim(std::string s) {
  constexpr const char* space = " \t\r\n";
  const auto first = s.find_first_not_of(space);
  if (first == std::string::npos) {
    return {};
  }
  const auto last = s.find_last_not_of(space);
  return s.substr(first, last - first + 1);
}

// false when the file cannot be read (the caller says which file and why it was needed).
bool read_text(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

std::string resolve(const std::string& base_dir, const std::string& file) {
  const std::filesystem::path p(file);
  if (p.is_absolute() || base_dir.empty()) {
    return file;
  }
  return (std::filesystem::path(base_dir) / p).string();
}

// A scalar field of a map; empty when absent or null. Anything else than a scalar is an error.
std::string scalar(const YAML::Node& map, const char* key, const std::string& origin,
                   const std::string& where) {
  const YAML::Node n = map[key];
  if (!n || n.IsNull()) {
    return {};
  }
  if (!n.IsScalar()) {
    fail(origin, where + ": '" + key + "' must be a string");
  }
  return n.Scalar();
}

bool flag(const YAML::Node& map, const char* key, const std::string& origin,
          const std::string& where) {
  const YAML::Node n = map[key];
  if (!n || n.IsNull()) {
    return false;
  }
  bool value = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, value)) {
    fail(origin, where + ": '" + key + "' must be true or false");
  }
  return value;
}

// The entry `name` of a named list (clusters, users, contexts): its inner map (`inner`).
YAML::Node find_named(const YAML::Node& root, const char* list, const char* inner,
                      const std::string& name, const std::string& origin) {
  const YAML::Node items = root[list];
  std::vector<std::string> names;
  if (items && items.IsSequence()) {
    for (const auto& item : items) {
      if (!item.IsMap()) {
        continue;
      }
      const std::string item_name = scalar(item, "name", origin, list);
      if (item_name == name) {
        const YAML::Node body = item[inner];
        if (!body || !body.IsMap()) {
          fail(origin, std::string(list) + " entry \"" + name + "\" has no '" + inner + "' map");
        }
        return body;
      }
      names.push_back(item_name);
    }
  } else if (items && !items.IsNull()) {
    fail(origin, std::string("'") + list + "' must be a list");
  }
  std::string known;
  for (const auto& n : names) {
    known += known.empty() ? n : ", " + n;
  }
  if (known.empty()) {
    known = "none";
  }
  fail(origin, std::string(inner) + " \"" + name + "\" not found (" + list + ": " + known + ")");
}

// `<key>-data` (base64, inline) or `<key>` (a file name); empty when neither is set.
std::string inline_or_file(const YAML::Node& map, const std::string& key,
                           const std::string& base_dir, const std::string& origin,
                           const std::string& where) {
  const std::string data_key = key + "-data";
  const std::string data = scalar(map, data_key.c_str(), origin, where);
  if (!data.empty()) {
    try {
      return crypto::base64_decode_or_throw(data);
    } catch (const std::invalid_argument&) {
      fail(origin, where + ": '" + data_key + "' is not valid base64");
    }
  }
  const std::string file = scalar(map, key.c_str(), origin, where);
  if (file.empty()) {
    return {};
  }
  const std::string path = resolve(base_dir, file);
  std::string text;
  if (!read_text(path, text)) {
    fail(origin, where + ": " + key + " file '" + path + "' cannot be read");
  }
  return text;
}

std::string normalize_server(std::string server, const std::string& origin,
                             const std::string& where) {
  server = trim(std::move(server));
  if (server.empty()) {
    fail(origin, where + " has no 'server'");
  }
  if (server.find("://") == std::string::npos) {
    server.insert(0, "https://");  // as client-go: a bare host[:port] is HTTPS
  }
  if (server.rfind("https://", 0) != 0 && server.rfind("http://", 0) != 0) {
    fail(origin, where + ": server '" + server + "' must be an https:// (or http://) URL");
  }
  while (server.size() > 1 && server.back() == '/') {
    server.pop_back();
  }
  if (server.find("://") + 3 >= server.size()) {
    fail(origin, where + ": server '" + server + "' has no host");
  }
  return server;
}

}  // namespace

KubeConfig parse_kubeconfig(std::string_view yaml, const std::string& base_dir,
                            const std::string& context, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    fail(origin, std::string("not valid YAML: ") + e.what());
  }
  if (!root.IsMap()) {
    fail(origin, "not a kubeconfig (expected a YAML map with clusters, users and contexts)");
  }

  KubeConfig cfg;
  cfg.context = context.empty() ? scalar(root, "current-context", origin, "kubeconfig") : context;
  if (cfg.context.empty()) {
    fail(origin, "no context given and no current-context set");
  }
  const YAML::Node ctx = find_named(root, "contexts", "context", cfg.context, origin);
  const std::string ctx_where = "context \"" + cfg.context + "\"";
  const std::string cluster_name = scalar(ctx, "cluster", origin, ctx_where);
  if (cluster_name.empty()) {
    fail(origin, ctx_where + " names no cluster");
  }
  const std::string ns = scalar(ctx, "namespace", origin, ctx_where);
  if (!ns.empty()) {
    cfg.default_namespace = ns;
  }

  // Cluster: where, and which CA.
  const YAML::Node cluster = find_named(root, "clusters", "cluster", cluster_name, origin);
  const std::string cluster_where = "cluster \"" + cluster_name + "\"";
  cfg.server =
      normalize_server(scalar(cluster, "server", origin, cluster_where), origin, cluster_where);
  cfg.insecure_skip_tls_verify = flag(cluster, "insecure-skip-tls-verify", origin, cluster_where);
  cfg.ca_pem = inline_or_file(cluster, "certificate-authority", base_dir, origin, cluster_where);
  if (cfg.insecure_skip_tls_verify && !cfg.ca_pem.empty()) {
    fail(origin, cluster_where +
                     ": certificate-authority together with insecure-skip-tls-verify is not "
                     "allowed (as in kubectl): drop one of them");
  }
  if (!cfg.ca_pem.empty() && cfg.ca_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    fail(origin, cluster_where + ": certificate-authority holds no PEM certificate");
  }

  // User: how we prove who we are. No user is allowed (anonymous), a missing named one is not.
  const std::string user_name = scalar(ctx, "user", origin, ctx_where);
  if (user_name.empty()) {
    return cfg;
  }
  const YAML::Node user = find_named(root, "users", "user", user_name, origin);
  const std::string user_where = "user \"" + user_name + "\"";
  for (const char* unsupported : {"exec", "auth-provider"}) {
    if (user[unsupported]) {
      fail(origin, user_where + " uses '" + unsupported +
                       "' credentials, which Neuropod does not support: use a token, tokenFile "
                       "or a client certificate");
    }
  }
  if (user["username"] || user["password"]) {
    fail(origin, user_where +
                     " uses basic auth (username/password), which Kubernetes no longer "
                     "supports: use a token or a client certificate");
  }
  cfg.client_cert_pem = inline_or_file(user, "client-certificate", base_dir, origin, user_where);
  cfg.client_key_pem = inline_or_file(user, "client-key", base_dir, origin, user_where);
  if (cfg.client_cert_pem.empty() != cfg.client_key_pem.empty()) {
    fail(origin, user_where + ": " +
                     (cfg.client_cert_pem.empty() ? "client-key without client-certificate"
                                                  : "client-certificate without client-key"));
  }
  cfg.token = trim(scalar(user, "token", origin, user_where));
  const std::string token_file = scalar(user, "tokenFile", origin, user_where);
  if (cfg.token.empty() && !token_file.empty()) {
    cfg.token_file = resolve(base_dir, token_file);
    std::string text;
    if (!read_text(cfg.token_file, text)) {
      fail(origin, user_where + ": tokenFile '" + cfg.token_file + "' cannot be read");
    }
    cfg.token = trim(std::move(text));
    if (cfg.token.empty()) {
      fail(origin, user_where + ": tokenFile '" + cfg.token_file + "' is empty");
    }
  }
  return cfg;
}

KubeConfig load_kubeconfig(const std::string& path, const std::string& context) {
  if (path.empty()) {
    throw std::invalid_argument("kubeconfig: no file name given");
  }
  std::string text;
  if (!read_text(path, text)) {
    throw std::invalid_argument("kubeconfig '" + path + "' cannot be read");
  }
  const auto dir = std::filesystem::path(path).parent_path().string();
  return parse_kubeconfig(text, dir, context, "kubeconfig " + path);
}

KubeConfig in_cluster(const std::string& service_host, const std::string& service_port,
                      const std::string& sa_dir) {
  const std::string origin = "in-cluster Kubernetes configuration";
  if (service_host.empty() || service_port.empty()) {
    fail(origin,
         "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set (is the "
         "backend running in a pod?)");
  }
  if (service_port.find_first_not_of("0123456789") != std::string::npos) {
    fail(origin, "KUBERNETES_SERVICE_PORT '" + service_port + "' is not a port number");
  }
  KubeConfig cfg;
  const bool ipv6 = service_host.find(':') != std::string::npos;
  cfg.server = "https://" + (ipv6 ? "[" + service_host + "]" : service_host) + ":" + service_port;
  cfg.token_file = sa_dir + "/token";
  std::string text;
  if (!read_text(cfg.token_file, text) || trim(text).empty()) {
    fail(origin, "the ServiceAccount token '" + cfg.token_file + "' cannot be read or is empty");
  }
  cfg.token = trim(std::move(text));
  const std::string ca_file = sa_dir + "/ca.crt";
  if (!read_text(ca_file, cfg.ca_pem) || cfg.ca_pem.empty()) {
    fail(origin, "the cluster CA '" + ca_file + "' cannot be read or is empty");
  }
  if (read_text(sa_dir + "/namespace", text) && !trim(text).empty()) {
    cfg.default_namespace = trim(std::move(text));
  }
  return cfg;
}

}  // namespace neuropod::k8s
