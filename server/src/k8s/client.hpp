#pragma once
// A small typed client of the Kubernetes REST API: JSON objects in and out, paths built by helpers
// that validate names, errors as KubeError (a core::Error), watches and followed logs as
// coroutines that call back per event / chunk. Only src/k8s/ and the Kubernetes runtime use it.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "k8s/kubeconfig.hpp"

namespace neuropod::k8s {

class Transport;

// ------------------------------------------------------------------------------------------------
// Errors

// A request Kubernetes refused (with its Status object) or that got no answer. core::ErrorCode:
//   404 NotFound -> not_found; 409 AlreadyExists / Conflict -> conflict; 422 Invalid ->
//   validation_failed (details.fields from the Status' causes); 400 BadRequest -> bad_request;
//   401 / 403 (the backend's own identity or RBAC is wrong: a configuration problem, not the
//   caller's) -> kubernetes_unavailable; 410 Gone / Expired -> kubernetes_unavailable with gone();
//   429, 5xx, no answer, timeouts -> kubernetes_unavailable "Kubernetes is unreachable"; anything
//   else -> internal.
// details: {"kubernetes": {"status", "reason", "message", "kind", "name", "request"}}, plus
// {"fields": [{"field", "message"}]} for 422 and {"reason"} (what failed) when unreachable.
class KubeError : public core::Error {
 public:
  KubeError(core::ErrorCode code, const std::string& message, nlohmann::json details,
            unsigned http_status, std::string reason);

  unsigned http_status() const { return http_status_; }  // 0: no answer
  const std::string& reason() const { return reason_; }  // Status.reason, e.g. "AlreadyExists"
  // 410: the resourceVersion is too old (compacted): list again and watch from the new one.
  bool gone() const { return http_status_ == 410; }
  bool unreachable() const { return http_status_ == 0 || http_status_ >= 500; }
  // The server may have acted on the request: a change (not a GET) was sent whole and no
  // (complete) answer came, or the answer is a 5xx (e.g. 504 after the object was stored). A
  // create may then exist.
  bool maybe_applied() const { return request_sent_ || http_status_ >= 500; }

  // No (complete) answer: `what` failed (e.g. "timeout", "connection refused"). `request_sent`:
  // the request had been written whole (see maybe_applied).
  static KubeError no_answer(const std::string& server_host, const std::string& what,
                             bool request_sent = false);
  // From an error response: `body` is normally a Status object (anything else is kept as text).
  static KubeError from_response(unsigned http_status, std::string_view body,
                                 std::string_view method, std::string_view path);
  // From a Status object (an ERROR event of a watch; its code is the HTTP status).
  static KubeError from_status(const nlohmann::json& status, std::string_view request);

 private:
  unsigned http_status_;
  std::string reason_;
  bool request_sent_ = false;
};

// ------------------------------------------------------------------------------------------------
// Paths. Names are checked: namespaces must be DNS-1123 labels, object names DNS-1123 subdomains
// (lower-case alphanumerics, '-' and '.', at most 253), resources lower-case letters; anything
// else throws std::invalid_argument (a name that would change the path is a bug, not a 404).

bool is_dns1123_label(std::string_view s);
bool is_dns1123_subdomain(std::string_view s);

// /api/v1/namespaces/{ns}/{resource}[/{name}]: pods, services, configmaps, events,
// persistentvolumeclaims, ...
std::string core_path(std::string_view ns, std::string_view resource, std::string_view name = "");
// /api/v1/{resource}[/{name}]: cluster-scoped core resources (nodes).
std::string cluster_path(std::string_view resource, std::string_view name = "");
// /apis/networking.k8s.io/v1/namespaces/{ns}/{resource}[/{name}]: ingresses, networkpolicies.
std::string networking_path(std::string_view ns, std::string_view resource,
                            std::string_view name = "");
// /apis/apps/v1/namespaces/{ns}/{resource}[/{name}]: daemonsets, deployments.
std::string apps_path(std::string_view ns, std::string_view resource, std::string_view name = "");
// /apis/{group}/{version}/namespaces/{ns}/{resource}[/{name}].
std::string group_path(std::string_view group, std::string_view version, std::string_view ns,
                       std::string_view resource, std::string_view name = "");

// Percent-encoding of a query parameter value (RFC 3986 unreserved characters kept).
std::string query_escape(std::string_view value);

// ------------------------------------------------------------------------------------------------
// Watch events

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED or BOOKMARK
  nlohmann::json object;
};

// One line of a watch stream ({"type": ..., "object": ...}). Pure. Throws KubeError: for an ERROR
// event, the one of its Status (gone() for code 410); for a line that is not an event,
// kubernetes_unavailable (the stream is broken; watch again).
WatchEvent parse_watch_event(std::string_view line, std::string_view request = "watch");

// metadata.resourceVersion of an object or list; empty when absent.
std::string resource_version_of(const nlohmann::json& object);

// ------------------------------------------------------------------------------------------------
// The client

struct KubeClientOptions {
  std::chrono::milliseconds request_timeout{30'000};  // a whole request (list pages included)
  std::chrono::milliseconds connect_timeout{10'000};  // of a stream, up to the response header
  std::chrono::seconds watch_timeout{
      300};  // the server ends each watch after this (timeoutSeconds)
  std::chrono::milliseconds backoff_initial{500};  // watch_forever, after an error: doubled ...
  std::chrono::milliseconds backoff_max{30'000};   // ... up to this
  std::int64_t list_page_size = 500;               // list() follows `continue` pages of this size
  // Called after every request (not watches or log streams; metrics): the HTTP method, how long
  // it took and its outcome: "" (answered 2xx, or 404 to a DELETE), "unreachable" (no answer, 429
  // or 5xx) or "rejected" (any other error status). May run on any thread.
  std::function<void(std::string_view method, std::chrono::nanoseconds elapsed,
                     std::string_view error)>
      observer;
};

// type, object (ADDED/MODIFIED/DELETED; bookmarks only move the resourceVersion).
using WatchCallback = std::function<void(const std::string& type, const nlohmann::json& object)>;
// The whole List (kind ...List, items, metadata.resourceVersion) after each (re)list.
using RelistCallback = std::function<void(const nlohmann::json& list)>;
using ChunkCallback = std::function<void(std::string_view chunk)>;

class KubeClient {
 public:
  // Throws std::invalid_argument when the configuration's URL, CA or client certificate cannot be
  // used. Calls may come from any executor and thread, concurrently; each exchange runs on a strand
  // of `executor`. Requests reuse kept-alive connections; watches and log streams have their own.
  // The client must outlive the calls it is running.
  KubeClient(boost::asio::any_io_executor executor, KubeConfig config,
             KubeClientOptions options = {});
  ~KubeClient();
  KubeClient(const KubeClient&) = delete;
  KubeClient& operator=(const KubeClient&) = delete;
  KubeClient(KubeClient&&) noexcept;
  KubeClient& operator=(KubeClient&&) noexcept;

  const KubeConfig& config() const { return config_; }
  const KubeClientOptions& options() const { return options_; }
  // Connections opened for requests (not streams) and requests that reused one.
  std::pair<std::uint64_t, std::uint64_t> connection_stats() const;

  // `path` from the helpers above. Every method throws KubeError on an error response or no answer.
  boost::asio::awaitable<nlohmann::json> get(std::string path);
  // Every page (list_page_size, following `continue`) in one List; empty selectors: all.
  boost::asio::awaitable<nlohmann::json> list(std::string path, std::string label_selector = "",
                                              std::string field_selector = "");
  // POST to the collection path; returns the created object.
  boost::asio::awaitable<nlohmann::json> create(std::string path, nlohmann::json body);
  // PUT to the object path (metadata.resourceVersion in `body` makes it conditional: 409).
  boost::asio::awaitable<nlohmann::json> replace(std::string path, nlohmann::json body);
  // PATCH application/merge-patch+json (RFC 7386: null deletes a key, lists are replaced).
  boost::asio::awaitable<nlohmann::json> patch_merge(std::string path, nlohmann::json body);
  // Server-side apply: PATCH application/apply-patch+yaml (a JSON body is YAML) to the object
  // path, ?fieldManager=<field_manager>&force=true. Creates the object when missing; idempotent.
  boost::asio::awaitable<nlohmann::json> apply(std::string path, nlohmann::json body,
                                               std::string field_manager = "neuropod");
  // DELETE with propagationPolicy (Background, Foreground or Orphan). true: it existed (deletion
  // started), false: it was already gone (404 is success).
  boost::asio::awaitable<bool> del(std::string path, std::string propagation = "Background");

  // One watch request: ?watch=1&allowWatchBookmarks=true&resourceVersion=...&timeoutSeconds=...
  // (and labelSelector). Calls `callback` per ADDED/MODIFIED/DELETED event, in order, on the
  // stream's strand. Returns the last resourceVersion seen (events and bookmarks; the given one
  // when none) once the server ends the stream (after watch_timeout) or `stop` is requested.
  // Throws KubeError: gone() when the resourceVersion is too old (HTTP 410 or an ERROR event with
  // code 410); what `callback` throws ends the watch and propagates.
  boost::asio::awaitable<std::string> watch(std::string path, std::string label_selector,
                                            std::string resource_version, WatchCallback callback,
                                            std::stop_token stop = {});

  // An informer's loop: list (on_relist gets the List), watch from its resourceVersion, watch
  // again from the last one seen whenever a watch ends, list again on 410 Gone (at once the first
  // time; objects deleted meanwhile are simply missing from the new List: the caller reconciles
  // against it); on any other KubeError wait (backoff_initial, doubled up to backoff_max, reset by
  // a watch that ran) and resume after the last event delivered. Runs until `stop` is requested.
  // `resume_from` (a resourceVersion the caller already has the state of) skips the first list.
  // Callbacks run one at a time, never concurrently; what they throw ends the loop and propagates.
  // Either callback may be empty.
  boost::asio::awaitable<void> watch_forever(std::string path, std::string label_selector,
                                             WatchCallback on_event, RelistCallback on_relist,
                                             std::stop_token stop, std::string resume_from = "");

  // Follows a container's log (/api/v1/namespaces/{ns}/pods/{pod}/log?follow=true): `on_chunk`
  // gets the bytes as they come (not split into lines) until the log ends (container stopped) or
  // `stop` is requested. `tail_lines`: only the last N lines before following (none: all).
  // Throws KubeError (404 no such pod, 400 container not started yet, ...).
  // A container's log as it is now (no follow): the last `tail_lines` lines (none: all), at most
  // `limit_bytes`. Throws KubeError as follow_logs().
  boost::asio::awaitable<std::string> read_logs(std::string ns, std::string pod,
                                                std::string container,
                                                std::optional<std::int64_t> tail_lines,
                                                std::int64_t limit_bytes);
  boost::asio::awaitable<void> follow_logs(std::string ns, std::string pod, std::string container,
                                           std::optional<std::int64_t> tail_lines,
                                           ChunkCallback on_chunk, std::stop_token stop = {});

 private:
  boost::asio::awaitable<nlohmann::json> send(std::string method, std::string path,
                                              std::string query, std::string content_type,
                                              std::string body);

  KubeConfig config_;
  KubeClientOptions options_;
  std::shared_ptr<Transport> transport_;
};

}  // namespace neuropod::k8s
