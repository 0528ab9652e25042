#include "k8s/client.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <utility>

#include "core/logging.hpp"
#include "k8s/stream.hpp"

namespace neuropod::k8s {

namespace asio = boost::asio;
using nlohmann::json;
using namespace std::chrono_literals;

// ------------------------------------------------------------------------------------------------
// Errors

namespace {

constexpr const char* kUnreachable = "Kubernetes is unreachable";

std::string string_field(const json& object, const char* key) {
  if (object.is_object()) {
    const auto it = object.find(key);
    if (it != object.end() && it->is_string()) {
      return it->get<std::string>();
    }
  }
  return {};
}

// A short, single-line excerpt of a body that is not a Status (a proxy's HTML page, ...).
std::string excerpt(std::string_view body) {
  std::string out(body.substr(0, 200));
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return out;
}

core::ErrorCode code_for(unsigned status) {
  switch (status) {
    case 400: return core::ErrorCode::bad_request;
    case 404: return core::ErrorCode::not_found;
    case 409: return core::ErrorCode::conflict;
    case 422: return core::ErrorCode::validation_failed;
    case 401:
    case 403:
    case 410:
    case 429: return core::ErrorCode::kubernetes_unavailable;
    default: break;
  }
  if (status >= 500) {
    return core::ErrorCode::kubernetes_unavailable;
  }
  return core::ErrorCode::internal;
}

std::string default_reason(unsigned status) {
  switch (status) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return {};
  }
}

std::string message_for(unsigned status, const std::string& k8s_message) {
  switch (status) {
    case 401:
      return "Kubernetes rejected the backend's credentials (check its kubeconfig or "
             "ServiceAccount token): " +
             k8s_message;
    case 403:
      return "Kubernetes forbids the backend this request (check its RBAC Role): " + k8s_message;
    case 410: return "Kubernetes no longer has this resource version: " + k8s_message;
    default: break;
  }
  if (status == 429 || status >= 500) {
    return kUnreachable;
  }
  if (k8s_message.empty()) {
    return "Kubernetes answered HTTP " + std::to_string(status);
  }
  return k8s_message;
}

KubeError make_error(unsigned status, std::string reason, const std::string& k8s_message,
                     const json& status_details, std::string_view request) {
  if (reason.empty()) {
    reason = default_reason(status);
  }
  json k8s = {{"status", status}, {"reason", reason}, {"message", k8s_message}};
  if (!request.empty()) {
    k8s["request"] = std::string(request);
  }
  const std::string kind = string_field(status_details, "kind");
  const std::string name = string_field(status_details, "name");
  if (!kind.empty()) {
    k8s["kind"] = kind;
  }
  if (!name.empty()) {
    k8s["name"] = name;
  }
  json details = {{"kubernetes", std::move(k8s)}};
  if (status == 422) {
    json fields = json::array();
    if (status_details.is_object() && status_details.contains("causes") &&
        status_details["causes"].is_array()) {
      for (const auto& cause : status_details["causes"]) {
        fields.push_back(
            {{"field", string_field(cause, "field")}, {"message", string_field(cause, "message")}});
      }
    }
    details["fields"] = std::move(fields);
  }
  return {code_for(status), message_for(status, k8s_message), std::move(details), status,
          std::move(reason)};
}

}  // namespace

KubeError::KubeError(core::ErrorCode code, const std::string& message, json details,
                     unsigned http_status, std::string reason)
    : core::Error(code, message, std::move(details)),
      http_status_(http_status),
      reason_(std::move(reason)) {}

KubeError KubeError::no_answer(const std::string& server_host, const std::string& what,
                               bool request_sent) {
  json details = {{"reason", what}};
  if (!server_host.empty()) {
    details["server"] = server_host;
  }
  KubeError e(core::ErrorCode::kubernetes_unavailable, kUnreachable, std::move(details), 0, "");
  e.request_sent_ = request_sent;
  return e;
}

KubeError KubeError::from_status(const json& status, std::string_view request) {
  unsigned code = 500;
  if (status.is_object() && status.contains("code") && status["code"].is_number_integer()) {
    const auto c = status["code"].get<long long>();
    if (c >= 100 && c <= 599) {
      code = static_cast<unsigned>(c);
    }
  }
  json details = json::object();
  if (status.is_object() && status.contains("details")) {
    details = status["details"];
  }
  return make_error(code, string_field(status, "reason"), string_field(status, "message"), details,
                    request);
}

KubeError KubeError::from_response(unsigned http_status, std::string_view body,
                                   std::string_view method, std::string_view path) {
  const std::string request = std::string(method) + " " + std::string(path);
  const json status = json::parse(body, nullptr, false);
  if (status.is_object() && string_field(status, "kind") == "Status") {
    json details = json::object();
    if (status.contains("details")) {
      details = status["details"];
    }
    // The HTTP status is authoritative (a Status' code matches it).
    return make_error(http_status, string_field(status, "reason"), string_field(status, "message"),
                      details, request);
  }
  return make_error(http_status, "", excerpt(body), json::object(), request);
}

// ------------------------------------------------------------------------------------------------
// Paths

namespace {

bool lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool dns_label_chars(std::string_view s) {
  if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back())) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) { return lower_alnum(c) || c == '-'; });
}

void check_namespace(std::string_view ns) {
  if (!is_dns1123_label(ns)) {
    throw std::invalid_argument("invalid Kubernetes namespace '" + std::string(ns) +
                                "': must be a DNS-1123 label (a-z, 0-9, '-', at most 63)");
  }
}

void check_resource(std::string_view resource) {
  if (resource.empty() ||
      !std::all_of(resource.begin(), resource.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
    throw std::invalid_argument("invalid Kubernetes resource '" + std::string(resource) +
                                "': lower-case letters only (e.g. pods)");
  }
}

void check_name(std::string_view name) {
  if (!name.empty() && !is_dns1123_subdomain(name)) {
    throw std::invalid_argument(
        "invalid Kubernetes object name '" + std::string(name) +
        "': must be a DNS-1123 subdomain (a-z, 0-9, '-', '.', at most 253)");
  }
}

std::string with_name(std::string path, std::string_view name) {
  if (!name.empty()) {
    path += "/";
    path += name;
  }
  return path;
}

}  // namespace

bool is_dns1123_label(std::string_view s) {
  return s.size() <= 63 && dns_label_chars(s);
}

bool is_dns1123_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) {
    return false;
  }
  std::size_t start = 0;
  while (true) {
    const auto dot = s.find('.', start);
    const auto label = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (!dns_label_chars(label)) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

std::string core_path(std::string_view ns, std::string_view resource, std::string_view name) {
  return group_path("", "v1", ns, resource, name);
}

std::string cluster_path(std::string_view resource, std::string_view name) {
  check_resource(resource);
  check_name(name);
  return with_name("/api/v1/" + std::string(resource), name);
}

std::string networking_path(std::string_view ns, std::string_view resource, std::string_view name) {
  return group_path("networking.k8s.io", "v1", ns, resource, name);
}

std::string apps_path(std::string_view ns, std::string_view resource, std::string_view name) {
  return group_path("apps", "v1", ns, resource, name);
}

std::string group_path(std::string_view group, std::string_view version, std::string_view ns,
                       std::string_view resource, std::string_view name) {
  if (!group.empty() && !is_dns1123_subdomain(group)) {
    throw std::invalid_argument("invalid Kubernetes API group '" + std::string(group) + "'");
  }
  if (version.empty() || !std::all_of(version.begin(), version.end(), lower_alnum)) {
    throw std::invalid_argument("invalid Kubernetes API version '" + std::string(version) + "'");
  }
  check_namespace(ns);
  check_resource(resource);
  check_name(name);
  std::string path;
  if (group.empty()) {
    path = "/api/";
  } else {
    path = "/apis/" + std::string(group) + "/";
  }
  path += std::string(version) + "/namespaces/" + std::string(ns) + "/" + std::string(resource);
  return with_name(std::move(path), name);
}

std::string query_escape(std::string_view value) {
  constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    const bool keep = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (keep) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4U]);
      out.push_back(hex[c & 0x0FU]);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Watch events

WatchEvent parse_watch_event(std::string_view line, std::string_view request) {
  json j = json::parse(line, nullptr, false);
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    throw KubeError::no_answer(
        "", "malformed watch event from " + std::string(request) + ": " + excerpt(line));
  }
  WatchEvent ev;
  ev.type = j["type"].get<std::string>();
  if (j.contains("object")) {
    ev.object = std::move(j["object"]);
  } else {
    ev.object = json::object();
  }
  if (ev.type == "ERROR") {
    throw KubeError::from_status(ev.object, request);
  }
  return ev;
}

std::string resource_version_of(const json& object) {
  if (!object.is_object() || !object.contains("metadata")) {
    return {};
  }
  return string_field(object["metadata"], "resourceVersion");
}

// ------------------------------------------------------------------------------------------------
// The client

namespace {

bool ok_status(unsigned status) {
  return status >= 200 && status < 300;
}

std::string target_of(const std::string& path, const std::string& query) {
  if (query.empty()) {
    return path;
  }
  return path + "?" + query;
}

json json_or_throw(const HttpResult& res, const std::string& method, const std::string& path) {
  if (!ok_status(res.status)) {
    throw KubeError::from_response(res.status, res.body, method, path);
  }
  json out = json::parse(res.body, nullptr, false);
  if (out.is_discarded()) {
    throw KubeError::no_answer(
        "", "the response to " + method + " " + path + " is not JSON: " + excerpt(res.body));
  }
  return out;
}

std::string list_query(std::int64_t page_size, const std::string& selector,
                       const std::string& field_selector, const std::string& cont) {
  std::string q = "limit=" + std::to_string(page_size);
  if (!selector.empty()) {
    q += "&labelSelector=" + query_escape(selector);
  }
  if (!field_selector.empty()) {
    q += "&fieldSelector=" + query_escape(field_selector);
  }
  if (!cont.empty()) {
    q += "&continue=" + query_escape(cont);
  }
  return q;
}

std::string continue_of(const json& list) {
  if (!list.is_object() || !list.contains("metadata")) {
    return {};
  }
  return string_field(list["metadata"], "continue");
}

void append_items(json& into, json& page) {
  if (!into.contains("items") || !into["items"].is_array()) {
    into["items"] = json::array();
  }
  if (page.contains("items") && page["items"].is_array()) {
    for (auto& item : page["items"]) {
      into["items"].push_back(std::move(item));
    }
  }
}

std::string delete_options(const std::string& propagation) {
  if (propagation != "Background" && propagation != "Foreground" && propagation != "Orphan") {
    throw std::invalid_argument("propagation must be Background, Foreground or Orphan, not '" +
                                propagation + "'");
  }
  const json body = {
      {"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", propagation}};
  return body.dump();
}

std::chrono::milliseconds twice(std::chrono::milliseconds d, std::chrono::milliseconds max) {
  return std::min(d * 2, max);
}

// Tells the options' observer how a request went (see KubeClientOptions::observer).
void observe(const KubeClientOptions& options, std::string_view method,
             std::chrono::steady_clock::time_point started, const std::exception_ptr& failure) {
  if (!options.observer) {
    return;
  }
  std::string_view error;
  if (failure) {
    error = "rejected";
    try {
      std::rethrow_exception(failure);
    } catch (const KubeError& e) {
      if (e.unreachable() || e.http_status() == 429) {
        error = "unreachable";
      }
    } catch (...) {
      error = "rejected";
    }
  }
  options.observer(method, std::chrono::steady_clock::now() - started, error);
}

}  // namespace

KubeClient::KubeClient(asio::any_io_executor executor, KubeConfig config, KubeClientOptions options)
    : config_(std::move(config)),
      options_(options),
      transport_(std::make_shared<Transport>(std::move(executor), config_)) {}

KubeClient::~KubeClient() = default;

std::pair<std::uint64_t, std::uint64_t> KubeClient::connection_stats() const {
  const auto stats = transport_->connection_stats();
  return {stats.opened, stats.reused};
}
KubeClient::KubeClient(KubeClient&&) noexcept = default;
KubeClient& KubeClient::operator=(KubeClient&&) noexcept = default;

asio::awaitable<json> KubeClient::send(std::string method, std::string path, std::string query,
                                       std::string content_type, std::string body) {
  auto transport = transport_;
  const std::string target = target_of(path, query);
  const auto started = std::chrono::steady_clock::now();
  std::exception_ptr failure;
  std::optional<json> out;
  try {
    const auto res = co_await transport->request(method, target, std::move(content_type),
                                                 std::move(body), options_.request_timeout);
    out.emplace(json_or_throw(res, method, path));
  } catch (...) {
    failure = std::current_exception();
  }
  observe(options_, method, started, failure);
  if (failure) {
    std::rethrow_exception(failure);
  }
  co_return std::move(*out);
}

asio::awaitable<json> KubeClient::get(std::string path) {
  co_return co_await send("GET", std::move(path), "", "", "");
}

asio::awaitable<json> KubeClient::list(std::string path, std::string label_selector,
                                       std::string field_selector) {
  json out;
  std::string cont;
  do {
    const std::string query =
        list_query(options_.list_page_size, label_selector, field_selector, cont);
    json page = co_await send("GET", path, query, "", "");
    cont = continue_of(page);
    if (out.is_null()) {
      out = std::move(page);
      if (!out.contains("items") || !out["items"].is_array()) {
        out["items"] = json::array();
      }
    } else {
      append_items(out, page);
    }
  } while (!cont.empty());
  if (out.contains("metadata") && out["metadata"].is_object()) {
    out["metadata"].erase("continue");
    out["metadata"].erase("remainingItemCount");
  }
  co_return out;
}

asio::awaitable<json> KubeClient::create(std::string path, json body) {
  co_return co_await send("POST", std::move(path), "", "application/json", body.dump());
}

asio::awaitable<json> KubeClient::replace(std::string path, json body) {
  co_return co_await send("PUT", std::move(path), "", "application/json", body.dump());
}

asio::awaitable<json> KubeClient::patch_merge(std::string path, json body) {
  co_return co_await send("PATCH", std::move(path), "", "application/merge-patch+json",
                          body.dump());
}

asio::awaitable<json> KubeClient::apply(std::string path, json body, std::string field_manager) {
  if (field_manager.empty()) {
    throw std::invalid_argument("server-side apply needs a field manager");
  }
  const std::string query = "fieldManager=" + query_escape(field_manager) + "&force=true";
  co_return co_await send("PATCH", std::move(path), query, "application/apply-patch+yaml",
                          body.dump());
}

asio::awaitable<bool> KubeClient::del(std::string path, std::string propagation) {
  auto transport = transport_;
  std::string body = delete_options(propagation);
  const auto started = std::chrono::steady_clock::now();
  std::exception_ptr failure;
  bool existed = false;
  try {
    const auto res = co_await transport->request("DELETE", path, "application/json",
                                                 std::move(body), options_.request_timeout);
    if (res.status != 404 && !ok_status(res.status)) {
      throw KubeError::from_response(res.status, res.body, "DELETE", path);
    }
    existed = res.status != 404;
  } catch (...) {
    failure = std::current_exception();
  }
  observe(options_, "DELETE", started, failure);
  if (failure) {
    std::rethrow_exception(failure);
  }
  co_return existed;
}

asio::awaitable<std::string> KubeClient::watch(std::string path, std::string label_selector,
                                               std::string resource_version, WatchCallback callback,
                                               std::stop_token stop) {
  auto transport = transport_;
  std::string query = "watch=1&allowWatchBookmarks=true&timeoutSeconds=" +
                      std::to_string(options_.watch_timeout.count());
  if (!resource_version.empty()) {
    query += "&resourceVersion=" + query_escape(resource_version);
  }
  if (!label_selector.empty()) {
    query += "&labelSelector=" + query_escape(label_selector);
  }
  const std::string target = target_of(path, query);
  const std::string request = "WATCH " + path;
  std::string last = resource_version;
  LineSplitter lines;
  const std::function<void(std::string_view)> on_line = [&](std::string_view line) {
    if (line.empty()) {
      return;
    }
    const WatchEvent ev = parse_watch_event(line, request);
    std::string rv = resource_version_of(ev.object);
    if (!rv.empty()) {
      last = std::move(rv);
    }
    if (ev.type != "BOOKMARK" && callback) {
      callback(ev.type, ev.object);
    }
  };
  Transport::DataCallback on_data = [&](std::string_view data) { lines.feed(data, on_line); };
  // The server ends the watch after timeoutSeconds; the client gives it half a minute more.
  const auto stream_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.watch_timeout) + 30s;
  const auto res = co_await transport->stream(target, std::move(on_data), std::move(stop),
                                              options_.connect_timeout, stream_timeout);
  if (!res.stopped && !ok_status(res.status)) {
    throw KubeError::from_response(res.status, res.body, "GET", target);
  }
  co_return last;
}

asio::awaitable<void> KubeClient::watch_forever(std::string path, std::string label_selector,
                                                WatchCallback on_event, RelistCallback on_relist,
                                                std::stop_token stop, std::string resume_from) {
  std::string rv = std::move(resume_from);
  bool need_list = rv.empty();
  auto backoff = options_.backoff_initial;
  int gone_in_a_row = 0;
  bool in_callback = false;  // an exception thrown meanwhile is the caller's: it ends the loop
  const WatchCallback event = [&](const std::string& type, const json& object) {
    // Where to resume should this watch break: after the last event delivered.
    std::string seen = resource_version_of(object);
    if (!seen.empty()) {
      rv = std::move(seen);
    }
    if (on_event) {
      in_callback = true;
      on_event(type, object);
      in_callback = false;
    }
  };
  while (!stop.stop_requested()) {
    std::chrono::milliseconds delay{0};
    try {
      if (need_list) {
        const json listed = co_await list(path, label_selector);
        if (stop.stop_requested()) {
          break;
        }
        rv = resource_version_of(listed);
        need_list = false;
        if (on_relist) {
          in_callback = true;
          on_relist(listed);
          in_callback = false;
        }
      }
      const auto started = std::chrono::steady_clock::now();
      rv = co_await watch(path, label_selector, rv, event, stop);
      gone_in_a_row = 0;
      backoff = options_.backoff_initial;
      if (std::chrono::steady_clock::now() - started < 1s && !stop.stop_requested()) {
        delay = options_.backoff_initial;  // a watch that ends at once: never a busy loop
      }
    } catch (const KubeError& e) {
      if (in_callback) {
        throw;
      }
      if (e.gone()) {
        // Too old: list again, at once the first time.
        need_list = true;
        ++gone_in_a_row;
        log::info("k8s.watch.relist", {{"path", path}, {"reason", e.what()}});
        if (gone_in_a_row > 1) {
          delay = backoff;
          backoff = twice(backoff, options_.backoff_max);
        }
      } else {
        log::warn("k8s.watch.error", {{"path", path},
                                      {"error", e.what()},
                                      {"details", e.details()},
                                      {"retry_in_ms", backoff.count()}});
        delay = backoff;
        backoff = twice(backoff, options_.backoff_max);
      }
    }
    if (delay.count() > 0) {
      const bool slept = co_await sleep_unless_stopped(delay, stop);
      if (!slept) {
        break;
      }
    }
  }
}

namespace {

std::string log_query(const std::string& container, std::optional<std::int64_t> tail_lines) {
  std::string query;
  if (!container.empty()) {
    if (!is_dns1123_label(container)) {
      throw std::invalid_argument("invalid container name '" + container + "'");
    }
    query += "&container=" + container;
  }
  if (tail_lines) {
    query += "&tailLines=" + std::to_string(*tail_lines);
  }
  return query;
}

}  // namespace

asio::awaitable<std::string> KubeClient::read_logs(std::string ns, std::string pod,
                                                   std::string container,
                                                   std::optional<std::int64_t> tail_lines,
                                                   std::int64_t limit_bytes) {
  auto transport = transport_;
  const std::string path = core_path(ns, "pods", pod) + "/log";
  const std::string query =
      "limitBytes=" + std::to_string(limit_bytes) + log_query(container, tail_lines);
  auto res =
      co_await transport->request("GET", target_of(path, query), "", "", options_.request_timeout);
  if (!ok_status(res.status)) {
    throw KubeError::from_response(res.status, res.body, "GET", path);
  }
  co_return std::move(res.body);
}

asio::awaitable<void> KubeClient::follow_logs(std::string ns, std::string pod,
                                              std::string container,
                                              std::optional<std::int64_t> tail_lines,
                                              ChunkCallback on_chunk, std::stop_token stop) {
  auto transport = transport_;
  const std::string path = core_path(ns, "pods", pod) + "/log";
  const std::string query = "follow=true" + log_query(container, tail_lines);
  const std::string target = target_of(path, query);
  const auto res = co_await transport->stream(target, std::move(on_chunk), std::move(stop),
                                              options_.connect_timeout, 0ms);
  if (!res.stopped && !ok_status(res.status)) {
    throw KubeError::from_response(res.status, res.body, "GET", path);
  }
}

}  // namespace neuropod::k8s
