#include "access/access_routes.hpp"

#include "core/errors.hpp"
#include "http/error_mapping.hpp"
#include "pods/pod.hpp"
#include "pods/pod_routes.hpp"

namespace neuropod::access {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

constexpr std::int64_t kDefaultShareSeconds = std::int64_t{24} * 3600;

http::Response redirect(const Redirect& r) {
  http::Response res;
  res.status = 302;
  res.headers.set("Location", r.location);
  res.headers.set("Cache-Control", "no-store");
  if (r.cookie) {
    res.headers.add("Set-Cookie", *r.cookie);
  }
  return res;
}

// The host the browser asked for: ingress-nginx sends the original URL in X-Original-URL to the
// auth check; requests routed through a pod Ingress keep their Host. `Req`: http::Request's
// headers or an http::RequestView.
template <typename HeaderOf>
std::string requested_host(const HeaderOf& header) {
  if (auto url = header("X-Original-URL")) {
    const auto sep = url->find("://");
    if (sep != std::string_view::npos) {
      auto rest = url->substr(sep + 3);
      return std::string(rest.substr(0, rest.find_first_of("/?#")));
    }
  }
  if (auto fwd = header("X-Forwarded-Host")) {
    return std::string(*fwd);
  }
  return std::string(header("Host").value_or(""));
}

std::string requested_host(const http::Request& req) {
  return requested_host([&req](std::string_view name) { return req.headers.get(name); });
}

// The pod host's own sign-in callback and share links (routed to this API) pass the check.
bool is_neuropod_path(std::optional<std::string_view> original_url) {
  if (!original_url) {
    return false;
  }
  const auto sep = original_url->find("://");
  if (sep == std::string_view::npos) {
    return false;
  }
  const auto path =
      original_url->substr(std::min(original_url->find('/', sep + 3), original_url->size()));
  return path.starts_with("/.neuropod/");
}

std::string string_field(const json& body, const char* key, const std::string& fallback) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    return fallback;
  }
  if (!it->is_string()) {
    throw core::ValidationError(key, "must be a string");
  }
  return it->get<std::string>();
}

}  // namespace

void AccessRoutes::register_routes(http::Router& router) {
  using http::Access;
  using http::Request;
  router.get("/api/pod-access/check", Access::anonymous, [this](Request& r) { return check(r); });
  router.fast("GET", "/api/pod-access/check",
              [this](const http::RequestView& r) { return fast_check(r); });
  router.get("/api/pod-access/signin", Access::anonymous, [this](Request& r) { return signin(r); });
  router.post(std::string(kActivityRoute), Access::token,
              [this](Request& r) { return report_activity(r); });
  router.get("/.neuropod/callback", Access::anonymous, [this](Request& r) { return callback(r); });
  router.get("/.neuropod/share/{token}", Access::anonymous,
             [this](Request& r) { return share_link(r); });
  router.put("/api/pods/{id}/access", Access::signed_in,
             [this](Request& r) { return set_level(r); });
  router.get("/api/pods/{id}/shares", Access::signed_in,
             [this](Request& r) { return list_shares(r); });
  router.post("/api/pods/{id}/shares", Access::signed_in,
              [this](Request& r) { return create_share(r); });
  router.del("/api/pods/{id}/shares/{share_id}", Access::signed_in,
             [this](Request& r) { return revoke_share(r); });
}

http::Response AccessRoutes::answer(const Decision& d, const std::string& request_id) {
  if (!d.allowed) {
    const core::Unauthorized denied("no_pod_access", "You have no access to this pod");
    return http::error_response(denied.code(), denied.what(), denied.details(), request_id);
  }
  activity_.mark(d.pod_id);
  auto res = http::Response::no_content();
  res.headers.set("X-Neuropod-User", d.subject);
  return res;
}

std::optional<http::Response> AccessRoutes::fast_check(const http::RequestView& req) {
  if (is_neuropod_path(req.header("X-Original-URL"))) {
    return http::Response::no_content();
  }
  const auto host = requested_host([&req](std::string_view name) { return req.header(name); });
  const auto d = access_.check_cached(host, req.cookie(access_.options().cookie_name));
  if (!d) {
    return std::nullopt;
  }
  return answer(*d, std::string(req.request_id()));
}

asio::awaitable<http::Response> AccessRoutes::check(http::Request& req) {
  if (is_neuropod_path(req.headers.get("X-Original-URL"))) {
    co_return http::Response::no_content();
  }
  const auto d =
      co_await access_.check(requested_host(req), req.cookie(access_.options().cookie_name));
  co_return answer(d, req.request_id);
}

asio::awaitable<http::Response> AccessRoutes::signin(http::Request& req) {
  const auto rd = req.query_param("rd");
  if (!rd) {
    throw core::ValidationError("rd", "is required");
  }
  std::optional<http::Principal> who;
  if (auto cookie = req.cookie(auth_.cookie_name()); cookie && !cookie->empty()) {
    std::optional<http::Principal> found;
    try {
      found = co_await auth_.authenticate(*cookie, req.remote_ip);
    } catch (const core::Error&) {
      found.reset();  // no valid session: the browser signs in first
    }
    who = found;
  }
  co_return redirect(co_await access_.signin(who, *rd));
}

asio::awaitable<http::Response> AccessRoutes::report_activity(http::Request& req) {
  // The guard checked the pod's activity token and the contract the body
  // (PodActivityReport: connections is an integer >= 0).
  if (req.json_object().at("connections").get<std::int64_t>() > 0) {
    activity_.mark(req.token_subject);
  }
  co_return http::Response::no_content();
}

asio::awaitable<http::Response> AccessRoutes::callback(http::Request& req) {
  const auto ticket = req.query_param("ticket");
  if (!ticket) {
    throw core::ValidationError("ticket", "is required");
  }
  co_return redirect(co_await access_.redeem_ticket(requested_host(req), *ticket,
                                                    req.query_param("rd").value_or("/")));
}

asio::awaitable<http::Response> AccessRoutes::share_link(http::Request& req) {
  co_return redirect(co_await access_.redeem_share(requested_host(req), req.params.at("token")));
}

asio::awaitable<http::Response> AccessRoutes::set_level(http::Request& req) {
  const auto& body = req.json_object();
  const auto level = string_field(body, "access", "");
  const auto pod = co_await access_.set_level(pods::actor_of(req), pods::pod_id(req), level);
  co_return http::Response::json(200, pods::to_json(pod));
}

asio::awaitable<http::Response> AccessRoutes::list_shares(http::Request& req) {
  const auto shares = co_await access_.shares(pods::actor_of(req), pods::pod_id(req));
  json items = json::array();
  const auto now = access_.now();
  for (const auto& s : shares) {
    items.push_back(to_json(s, now));
  }
  co_return http::Response::json(200, {{"items", items}});
}

asio::awaitable<http::Response> AccessRoutes::create_share(http::Request& req) {
  const auto& body = req.json_object();
  auto label = string_field(body, "label", "");
  std::int64_t seconds = kDefaultShareSeconds;
  if (const auto it = body.find("expires_in_seconds"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer()) {
      throw core::ValidationError("expires_in_seconds", "must be an integer");
    }
    seconds = it->get<std::int64_t>();
  }
  const auto share = co_await access_.create_share(pods::actor_of(req), pods::pod_id(req),
                                                   std::move(label), std::chrono::seconds(seconds));
  co_return http::Response::json(201, to_json(share, share.created_at));
}

asio::awaitable<http::Response> AccessRoutes::revoke_share(http::Request& req) {
  co_await access_.revoke_share(pods::actor_of(req), pods::pod_id(req), req.params.at("share_id"));
  co_return http::Response::no_content();
}

}  // namespace neuropod::access
