#pragma once
// Transport of the Kubernetes client: HTTP/1.1 to the API server, TLS with the kubeconfig's CA and
// client certificate, the bearer token on every request. One-shot requests reuse kept-alive
// connections (at most 64 idle, 30 s each; a stale one is replaced transparently); each stream has
// a connection of its own (the connection code lives once, in stream.cpp: connect + TLS, then
// either a whole response or a body read chunk by chunk). Beast stays inside stream.cpp: this
// header only needs Asio's awaitable.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "k8s/kubeconfig.hpp"

namespace neuropod::k8s {

struct HttpResult {
  unsigned status = 0;
  std::string body;      // the whole body of a request; of a stream only when not 2xx
  bool stopped = false;  // a stream ended because stop was requested
};

class Transport {
 public:
  // `executor` runs the exchanges, each on a strand of its own. Throws std::invalid_argument with
  // a clear message when the server URL, the CA or the client certificate/key cannot be used.
  Transport(boost::asio::any_io_executor executor, const KubeConfig& config);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  Transport(Transport&&) = delete;
  Transport& operator=(Transport&&) = delete;

  // One request (`target`: path + query, appended to the server URL's path), the whole response;
  // any status is returned. Throws KubeError (kubernetes_unavailable "Kubernetes is unreachable",
  // details.reason says what failed: DNS, connect, TLS verification, timeout, ...) when no
  // complete response arrives within `timeout`.
  boost::asio::awaitable<HttpResult> request(std::string method, std::string target,
                                             std::string content_type, std::string body,
                                             std::chrono::milliseconds timeout);

  using DataCallback = std::function<void(std::string_view)>;

  // GET `target` and read its body as it arrives: for a 2xx response `on_data` gets every piece
  // (transfer coding removed) until the server ends the body, `stop` is requested (the result has
  // `stopped`, no exception) or `stream_timeout` (0: none) has passed since the start (throws
  // KubeError unreachable, reason "timeout"). `connect_timeout` bounds everything up to the
  // response's header. Other statuses: the body (at most 1 MiB) in the result, `on_data` not
  // called. `on_data` runs on the stream's strand, one piece at a time; whatever it throws ends the
  // stream and propagates. Idle connections are probed with TCP keep-alive.
  boost::asio::awaitable<HttpResult> stream(std::string target, DataCallback on_data,
                                            std::stop_token stop,
                                            std::chrono::milliseconds connect_timeout,
                                            std::chrono::milliseconds stream_timeout);

  // "host:port" of the API server, for messages.
  const std::string& server_host() const;

  // Connections opened for one-shot requests, and requests that reused a kept-alive one.
  struct ConnectionStats {
    std::uint64_t opened = 0;
    std::uint64_t reused = 0;
  };
  ConnectionStats connection_stats() const;

  struct Impl;  // defined in stream.cpp

 private:
  std::shared_ptr<Impl> impl_;  // shared with the running exchanges
};

// Splits a byte stream into lines at '\n' (a '\r' before it dropped) and keeps an incomplete last
// line until the next feed(). Throws KubeError (unreachable, "line too long") when a line grows
// over `max_line` bytes.
class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_line = std::size_t{16} * 1024 * 1024) : max_(max_line) {}
  void feed(std::string_view data, const std::function<void(std::string_view)>& on_line);
  const std::string& pending() const { return partial_; }

 private:
  std::size_t max_;
  std::string partial_;
};

// Waits `delay`, or less when `stop` is requested meanwhile; returns false when stopped.
boost::asio::awaitable<bool> sleep_unless_stopped(std::chrono::milliseconds delay,
                                                  std::stop_token stop);

}  // namespace neuropod::k8s
