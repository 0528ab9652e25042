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
enum class Access { anonymous, signed_in, admin };

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

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
};

}  // namespace neuropod::http
