#include "catalog/catalog_routes.hpp"

#include "core/errors.hpp"

namespace neuropod::catalog {

namespace {

db::Oid template_id(const http::Request& req) {
  auto id = db::Oid::parse(req.params.at("id"));
  if (!id) {
    throw core::NotFound("Template");
  }
  return *id;
}

nlohmann::json items(const std::vector<Template>& list) {
  auto out = nlohmann::json::array();
  for (const auto& t : list) {
    out.push_back(to_json(t));
  }
  return {{"items", out}};
}

}  // namespace

void CatalogRoutes::register_routes(http::Router& router) {
  using http::Access;
  using http::Request;
  router.get("/api/templates", Access::signed_in, [this](Request& r) { return list_enabled(r); });
  router.get("/api/pricing", Access::signed_in, [this](Request& r) { return pricing(r); });
  router.get("/api/admin/templates", Access::admin, [this](Request& r) { return admin_list(r); });
  router.post("/api/admin/templates", Access::admin,
              [this](Request& r) { return admin_create(r); });
  router.get("/api/admin/templates/{id}", Access::admin,
             [this](Request& r) { return admin_get(r); });
  router.put("/api/admin/templates/{id}", Access::admin,
             [this](Request& r) { return admin_replace(r); });
  router.del("/api/admin/templates/{id}", Access::admin,
             [this](Request& r) { return admin_delete(r); });
  router.get("/api/admin/settings", Access::admin, [this](Request& r) { return get_settings(r); });
  router.put("/api/admin/settings", Access::admin, [this](Request& r) { return put_settings(r); });
}

boost::asio::awaitable<http::Response> CatalogRoutes::list_enabled(http::Request&) {
  auto list = co_await catalog_.list(true);
  co_return http::Response::json(200, items(list));
}

boost::asio::awaitable<http::Response> CatalogRoutes::pricing(http::Request&) {
  auto s = co_await catalog_.settings();
  co_return http::Response::json(200, pricing_json(s));
}

boost::asio::awaitable<http::Response> CatalogRoutes::admin_list(http::Request&) {
  auto list = co_await catalog_.list(false);
  co_return http::Response::json(200, items(list));
}

boost::asio::awaitable<http::Response> CatalogRoutes::admin_get(http::Request& req) {
  auto t = co_await catalog_.find(template_id(req));
  if (!t) {
    throw core::NotFound("Template");
  }
  co_return http::Response::json(200, to_json(*t));
}

boost::asio::awaitable<http::Response> CatalogRoutes::admin_create(http::Request& req) {
  auto t = template_from_json(req.json_object());
  auto created = co_await catalog_.create(std::move(t));
  audit::Entry entry{.action = "template.created",
                     .actor = audit::actor_of(req),
                     .subject_user_id = {},
                     .details = {{"template_id", created.id.to_string()}, {"slug", created.slug}}};
  co_await audit_.record(std::move(entry));
  co_return http::Response::json(201, to_json(created));
}

boost::asio::awaitable<http::Response> CatalogRoutes::admin_replace(http::Request& req) {
  const auto id = template_id(req);
  auto t = template_from_json(req.json_object());
  auto saved = co_await catalog_.replace(id, std::move(t));
  audit::Entry entry{.action = "template.updated",
                     .actor = audit::actor_of(req),
                     .subject_user_id = {},
                     .details = {{"template_id", saved.id.to_string()}, {"slug", saved.slug}}};
  co_await audit_.record(std::move(entry));
  co_return http::Response::json(200, to_json(saved));
}

boost::asio::awaitable<http::Response> CatalogRoutes::admin_delete(http::Request& req) {
  const auto id = template_id(req);
  co_await catalog_.remove(id);
  audit::Entry entry{.action = "template.deleted",
                     .actor = audit::actor_of(req),
                     .subject_user_id = {},
                     .details = {{"template_id", id.to_string()}}};
  co_await audit_.record(std::move(entry));
  co_return http::Response::no_content();
}

boost::asio::awaitable<http::Response> CatalogRoutes::get_settings(http::Request&) {
  auto s = co_await catalog_.settings();
  co_return http::Response::json(200, to_json(s));
}

boost::asio::awaitable<http::Response> CatalogRoutes::put_settings(http::Request& req) {
  auto s = settings_from_json(req.json_object());
  auto saved = co_await catalog_.update_settings(std::move(s), req.caller().email);
  auto body = to_json(saved);
  audit::Entry entry{.action = "settings.updated",
                     .actor = audit::actor_of(req),
                     .subject_user_id = {},
                     .details = body};
  co_await audit_.record(std::move(entry));
  co_return http::Response::json(200, body);
}

}  // namespace neuropod::catalog
