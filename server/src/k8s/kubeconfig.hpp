#pragma once
// Where the Kubernetes API server is and how the backend proves who it is: from a kubeconfig file
// (local development, the sandbox, a cluster outside) or from the ServiceAccount mounted into the
// backend's own pod (in-cluster). Every file is read here, at start-up; the client only re-reads
// `token_file` (rotated tokens).
#include <string>
#include <string_view>

namespace neuropod::k8s {

struct KubeConfig {
  std::string server;           // "https://host:port" (or http://), a path prefix kept, no '/' end
  std::string ca_pem;           // CA bundle (PEM) trusted for the server; empty: the system's store
  std::string client_cert_pem;  // client certificate chain (PEM), with client_key_pem
  std::string client_key_pem;
  std::string token;       // bearer token (from `token`, or read from `tokenFile` at load)
  std::string token_file;  // when set, the client re-reads it now and then (rotated tokens)
  bool insecure_skip_tls_verify = false;
  std::string default_namespace = "default";  // the context's namespace
  std::string context;                        // name of the context used; empty in-cluster
};

// Reads the kubeconfig at `path` and resolves `context` (empty: its current-context). Relative
// file names in it (certificate-authority, client-certificate, client-key, tokenFile) are relative
// to the kubeconfig's folder, as kubectl reads them. Throws std::invalid_argument with a message
// naming the file, the context/cluster/user and the problem: unreadable file, bad YAML, unknown
// context, no server, a certificate without its key, base64 that does not decode, unsupported
// credentials (exec plugins, auth-provider, basic auth), a CA together with
// insecure-skip-tls-verify.
KubeConfig load_kubeconfig(const std::string& path, const std::string& context = "");

// The same from text; `base_dir` resolves relative file names, `origin` names the source in
// messages.
KubeConfig parse_kubeconfig(std::string_view yaml, const std::string& base_dir,
                            const std::string& context = "",
                            const std::string& origin = "kubeconfig");

inline constexpr std::string_view kServiceAccountDir =
    "/var/run/secrets/kubernetes.io/serviceaccount";

// Inside a pod: the API server at https://<service_host>:<service_port> (the values of
// KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, read by core/config), the ServiceAccount's
// token (`token_file` set: the kubelet rotates it), CA and namespace from `sa_dir`. Throws
// std::invalid_argument when a value is missing (not running in a pod?) or a file cannot be read.
KubeConfig in_cluster(const std::string& service_host, const std::string& service_port,
                      const std::string& sa_dir = std::string(kServiceAccountDir));

}  // namespace neuropod::k8s
