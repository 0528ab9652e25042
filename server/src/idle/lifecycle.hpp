#pragma once
// "Why is it still running, and when will it stop?": for one pod, its last activity, when idle
// culling stops it (or why it does not), and how long the owner's balance lasts at the price of
// their running pods. Also the owner's "keep running" switch (exempt from idle culling while the
// settings' allow_keep_running says so).
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "catalog/catalog.hpp"
#include "db/database.hpp"
#include "http/router.hpp"
#include "idle/idle_culler.hpp"
#include "pods/pod_service.hpp"
#include "pods/pod_store.hpp"
#include "users/user_store.hpp"

namespace neuropod::idle {

class Lifecycle {
 public:
  Lifecycle(catalog::Catalog& catalog, pods::PodService& pods, pods::PodStore& store,
            users::UserStore& users, const core::Clock& clock)
      : catalog_(catalog), pods_(pods), store_(store), users_(users), clock_(clock) {}

  // The LifecycleReport schema (api/openapi.yaml). NotFound for another user's pod.
  boost::asio::awaitable<nlohmann::json> report(pods::Actor actor, db::Oid pod);
  // Forbidden when turning it on while the settings forbid it. Returns the pod.
  boost::asio::awaitable<pods::Pod> set_keep_running(pods::Actor actor, db::Oid pod, bool keep);

 private:
  catalog::Catalog& catalog_;
  pods::PodService& pods_;
  pods::PodStore& store_;
  users::UserStore& users_;
  const core::Clock& clock_;
};

// GET /api/pods/{id}/lifecycle, PUT /api/pods/{id}/keep-running. Thin.
class LifecycleRoutes {
 public:
  explicit LifecycleRoutes(Lifecycle& lifecycle) : lifecycle_(lifecycle) {}
  void register_routes(http::Router& router);

 private:
  boost::asio::awaitable<http::Response> report(http::Request& req);
  boost::asio::awaitable<http::Response> keep_running(http::Request& req);

  Lifecycle& lifecycle_;
};

}  // namespace neuropod::idle
