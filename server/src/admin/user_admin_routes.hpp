#pragma once
// /api/admin/users: list (search, filters, sort, cursor), detail (sessions, ledger), balance
// changes through the ledger, role changes. Block/unblock live with the sessions (auth).
#include "audit/audit_log.hpp"
#include "auth/auth_service.hpp"
#include "auth/session_store.hpp"
#include "billing/ledger.hpp"
#include "core/event_bus.hpp"
#include "http/router.hpp"
#include "users/user_store.hpp"

namespace neuropod::admin {

class UserAdminRoutes {
 public:
  UserAdminRoutes(users::UserStore& users, auth::SessionStore& sessions, billing::Ledger& ledger,
                  auth::AuthService& auth, audit::AuditLog& audit, core::EventBus& bus)
      : users_(users),
        sessions_(sessions),
        ledger_(ledger),
        auth_(auth),
        audit_(audit),
        bus_(bus) {}
  void register_routes(http::Router& router);

 private:
  boost::asio::awaitable<http::Response> list(http::Request& req);
  boost::asio::awaitable<http::Response> detail(http::Request& req);
  boost::asio::awaitable<http::Response> balance(http::Request& req);
  boost::asio::awaitable<http::Response> role(http::Request& req);
  boost::asio::awaitable<users::User> existing(const http::Request& req);

  users::UserStore& users_;
  auth::SessionStore& sessions_;
  billing::Ledger& ledger_;
  auth::AuthService& auth_;
  audit::AuditLog& audit_;
  core::EventBus& bus_;  // balance.changed after a credit or correction
};

}  // namespace neuropod::admin
