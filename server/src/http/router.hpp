#pragma once
// Method + path router. Patterns use OpenAPI's syntax ("/api/pods/{id}") so the contract test can
// compare the registered routes with api/openapi.yaml directly.
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "http/message.hpp"

namespace neuropod::http {

// Who may call a route. Enforced by the auth guard; listed so tests can enumerate the router.
// anonymous: anyone (browsers: Origin and CSRF header checked on state-changing methods);
// signed_in / admin: a session cookie; token: machines (a pod's activity container) with a bearer
// token the handler verifies itself: no cookie is read, so no Origin or CSRF header is asked for.
enum class Access { anonymous, signed_in, admin, token };

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

// Answers from memory, synchronously, or declines with nullopt (see Router::fast).
using FastHandler = std::function<std::optional<Response>(const RequestView&)>;

struct RouteInfo {
  std::string method;
  std::string pattern;
  Access access;
};

class Router {
 public:
  void add(std::string method, std::string pattern, Access access, Handler handler);
  void get(std::string pattern, Access access, Handler h) {
    add("GET", std::move(pattern), access, std::move(h));
  }
  void post(std::string pattern, Access access, Handler h) {
    add("POST", std::move(pattern), access, std::move(h));
  }
  void put(std::string pattern, Access access, Handler h) {
    add("PUT", std::move(pattern), access, std::move(h));
  }
  void patch(std::string pattern, Access access, Handler h) {
    add("PATCH", std::move(pattern), access, std::move(h));
  }
  void del(std::string pattern, Access access, Handler h) {
    add("DELETE", std::move(pattern), access, std::move(h));
  }

  // A fast route: the server calls it as soon as a request for exactly `method` + `path` is read,
  // before copying it into a Request, routing it or running the middlewares; nullopt sends the
  // request down the normal path, so a route registered with add() must exist for the same
  // method and path. Only for hot anonymous routes exempt from rate limits whose answers need no
  // security headers beyond the server's own (the ingress auth check).
  void fast(std::string method, std::string path, FastHandler handler);
  const FastHandler* fast_match(std::string_view method, std::string_view path) const;

  struct Match {
    const Handler* handler;
    const RouteInfo* route;
    std::map<std::string, std::string> params;
  };
  // Throws core::Error route_not_found, or method_not_allowed with details.allowed.
  // HEAD matches GET routes.
  Match match(std::string_view method, std::string_view path) const;

  std::vector<RouteInfo> routes() const;

 private:
  struct Route {
    RouteInfo info;
    std::vector<std::string> segments;  // "{name}" marks a parameter
    Handler handler;
  };
  std::vector<Route> routes_;
  struct FastRoute {
    std::string method;
    std::string path;
    FastHandler handler;
  };
  std::vector<FastRoute> fast_;
};

}  // namespace neuropod::http
