#pragma once
// Outbound HTTP/1.1 client (plain and TLS), one connection per request. Used for Google's OAuth
// token endpoint and JWKS, and as the transport of the Kubernetes client (bearer token or client
// certificate, custom CA). Beast stays inside client.cpp: this header only needs Asio's awaitable.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "http/message.hpp"

namespace neuropod::http {

struct TlsOptions {
  bool use_system_roots = true;  // the system's CA store (SSL_CTX default verify paths)
  std::string ca_file;           // extra PEM CA bundle file (optional)
  std::string ca_pem;            // extra PEM CA certificates in memory (kubeconfig
                                 // certificate-authority-data, already base64-decoded)
  std::string client_cert_pem;   // client certificate chain (PEM), leaf first; needs the key
  std::string client_key_pem;    // client private key (PEM), unencrypted
  bool verify_peer = true;       // false only when explicitly asked (insecure-skip-tls-verify)
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // http:// or https://, optional port, path + query; no userinfo
  Headers headers;  // Host, User-Agent and Content-Length are added; Connection is always close
  std::string body;
  std::chrono::milliseconds timeout{10'000};  // the whole exchange: resolve, connect, TLS,
                                              // write and read
  std::size_t response_body_limit = std::size_t{8} * 1024 * 1024;
};

struct ClientResponse {
  unsigned status = 0;
  Headers headers;
  std::string body;  // chunked transfer coding already decoded
};

class HttpClient {
 public:
  // `executor` runs the exchanges (each on its own strand). Throws std::invalid_argument with a
  // clear message when a CA file, CA PEM, client certificate or key cannot be loaded.
  HttpClient(boost::asio::any_io_executor executor, TlsOptions tls);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  HttpClient(HttpClient&&) noexcept = default;
  HttpClient& operator=(HttpClient&&) noexcept = default;

  // Sends one request and reads the whole response; any status is returned, not thrown.
  // Throws core::Error:
  //  - bad_request for a URL that is not http(s)://host[:port][/path][?query], or a bad method or
  //    header;
  //  - service_unavailable "<what failed> <host>" with details {"url_host", "reason"} when DNS,
  //    connecting, the TLS handshake (reason "certificate verify failed: ..." incl. "hostname
  //    mismatch"), writing or reading fails, on a timeout (reason "timeout"), a response body
  //    over the limit or a malformed response. Never runs past `request.timeout`.
  boost::asio::awaitable<ClientResponse> fetch(ClientRequest request);

  // application/x-www-form-urlencoded: name=value pairs joined by '&', space as '+'.
  static std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // executor and ssl::context, shared with running exchanges
};

}  // namespace neuropod::http
