#pragma once
// /api/pods (deploy, list, inspect, stop, start, delete, logs), the plan's aliases
// /api/pods/start and /api/pods/stop, /api/capacity, and /api/admin/pods. Thin: parse, call
// PodService, audit, answer.
#include "audit/audit_log.hpp"
#include "http/router.hpp"
#include "pods/pod_service.hpp"

namespace neuropod::pods {

// For every route under /api/pods/{id} (this module's and others'): the {id} parameter (NotFound
// when it does not parse) and the signed-in caller as an Actor.
db::Oid pod_id(const http::Request& req);
Actor actor_of(const http::Request& req);

class PodRoutes {
 public:
  PodRoutes(PodService& pods, audit::AuditLog& audit) : pods_(pods), audit_(audit) {}
  void register_routes(http::Router& router);

 private:
  boost::asio::awaitable<http::Response> deploy(http::Request& req);
  boost::asio::awaitable<http::Response> list(http::Request& req);
  boost::asio::awaitable<http::Response> get(http::Request& req);
  boost::asio::awaitable<http::Response> stop(http::Request& req, db::Oid id);
  boost::asio::awaitable<http::Response> start(http::Request& req);
  boost::asio::awaitable<http::Response> remove(http::Request& req);
  boost::asio::awaitable<http::Response> logs(http::Request& req);
  boost::asio::awaitable<http::Response> capacity(http::Request& req);
  boost::asio::awaitable<http::Response> admin_list(http::Request& req);
  boost::asio::awaitable<void> audit(http::Request& req, std::string_view action, const Pod& pod);

  PodService& pods_;
  audit::AuditLog& audit_;
};

}  // namespace neuropod::pods
