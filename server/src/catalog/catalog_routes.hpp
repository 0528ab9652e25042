#pragma once
// /api/templates (signed-in users: enabled templates), /api/pricing, and the admin side:
// /api/admin/templates CRUD and /api/admin/settings.
#include "audit/audit_log.hpp"
#include "catalog/catalog.hpp"
#include "http/router.hpp"

namespace neuropod::catalog {

class CatalogRoutes {
 public:
  CatalogRoutes(Catalog& catalog, audit::AuditLog& audit) : catalog_(catalog), audit_(audit) {}
  void register_routes(http::Router& router);

 private:
  boost::asio::awaitable<http::Response> list_enabled(http::Request& req);
  boost::asio::awaitable<http::Response> pricing(http::Request& req);
  boost::asio::awaitable<http::Response> admin_list(http::Request& req);
  boost::asio::awaitable<http::Response> admin_get(http::Request& req);
  boost::asio::awaitable<http::Response> admin_create(http::Request& req);
  boost::asio::awaitable<http::Response> admin_replace(http::Request& req);
  boost::asio::awaitable<http::Response> admin_delete(http::Request& req);
  boost::asio::awaitable<http::Response> get_settings(http::Request& req);
  boost::asio::awaitable<http::Response> put_settings(http::Request& req);

  Catalog& catalog_;
  audit::AuditLog& audit_;
};

}  // namespace neuropod::catalog
