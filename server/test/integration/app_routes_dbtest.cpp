// Every route the server registers, enumerated from the router: anonymous callers get 401 on every
// route but the public ones, clients get 403 on every admin route. New routes are covered
// automatically; a new public route must be added to kPublic on purpose.
#include "app/app.hpp"

#include <set>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "auth/auth_service.hpp"
#include "contract/contract.hpp"
#include "db/schema.hpp"
#include "integration/db_test_env.hpp"

namespace core = neuropod::core;
namespace http = neuropod::http;
using neuropod::test::database;
using neuropod::test::run;

namespace {

const std::set<std::string> kPublic = {
    "GET /api/status", "GET /api/openapi.json",
    // Monitoring: liveness and readiness for systemd and probes; /metrics checks loopback or its
    // own bearer token (metrics/metrics_routes.cpp), not a session.
    "GET /api/health", "GET /api/ready", "GET /metrics",
    // Pod URL access: the ingress check and sign-in, the pod hosts' paths.
    "GET /api/pod-access/check", "GET /api/pod-access/signin", "GET /.neuropod/callback",
    "GET /.neuropod/share/{token}", "GET /api/auth/config", "GET /api/auth/google",
    "GET /api/auth/google/callback", "POST /api/auth/login", "POST /api/auth/dev-login",
    "POST /api/_echo"};

std::string concrete(const std::string& pattern) {
  std::string out;
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == '{') {
      out += "0123456789abcdef01234567";
      i = pattern.find('}', i) + 1;
    } else {
      out += pattern[i++];
    }
  }
  return out;
}

http::Request request(const http::RouteInfo& r, const std::string& cookie) {
  http::Request req;
  req.method = r.method;
  req.path = req.target = concrete(r.pattern);
  req.remote_ip = "127.0.0.1";
  req.request_id = "routes-test";
  req.headers.add("Origin", "http://localhost:5173");
  req.headers.add("X-Requested-With", "neuropod");
  req.headers.add("Content-Type", "application/json");
  if (!cookie.empty()) {
    req.headers.add("Cookie", cookie);
  }
  req.body = "{}";
  return req;
}

}  // namespace

TEST(AppRoutes, AnonymousGets401AndClientsGet403Everywhere) {
  database().run_sync([](neuropod::db::Conn& c) { neuropod::db::ensure_schema(c); });
  auto config = core::Config::from_env({{"NEUROPOD_ENV", "test"},
                                        {"NEUROPOD_RATE_GENERAL_PER_MIN", "100000"},
                                        {"NEUROPOD_RATE_USER_PER_MIN", "100000"}});
  core::SystemClock clock;
  boost::asio::io_context ioc;
  neuropod::app::App app(config, database(), clock, ioc.get_executor());

  auto signed_in = run(app.auth().sign_in({.google_id = {},
                                           .email = "routes-client@example.com",
                                           .name = {},
                                           .avatar_url = {},
                                           .method = "dev"},
                                          {}));
  const auto cookie = "neuropod_session=" + signed_in.token;

  std::set<std::string> anonymous;
  int checked = 0;
  for (const auto& route : app.router().routes()) {
    const auto name = route.method + " " + route.pattern;
    if (route.access == http::Access::anonymous) {
      anonymous.insert(name);
      continue;
    }
    auto anon = request(route, "");
    auto res = run(app.pipeline().handle(anon));
    EXPECT_EQ(res.status, 401u) << name << ": " << res.body;
    EXPECT_NE(res.body.find("\"unauthorized\""), std::string::npos) << name;

    auto bad = request(route, "neuropod_session=forged.token.value");
    EXPECT_EQ(run(app.pipeline().handle(bad)).status, 401u) << name;

    if (route.access == http::Access::admin) {
      auto client = request(route, cookie);
      auto res2 = run(app.pipeline().handle(client));
      EXPECT_EQ(res2.status, 403u) << name << ": " << res2.body;
      EXPECT_NE(res2.body.find("\"forbidden\""), std::string::npos) << name;
    }
    ++checked;
  }
  EXPECT_GT(checked, 5);
  for (const auto& name : anonymous) {
    EXPECT_TRUE(kPublic.contains(name)) << name << " is public: add it to kPublic if intended";
  }
}

TEST(AppRoutes, TheContractAndTheRouterListTheSameOperations) {
  // Test environment with the development sign-in: every optional route is registered.
  auto config = core::Config::from_env({{"NEUROPOD_ENV", "test"}});
  core::SystemClock clock;
  boost::asio::io_context ioc;
  neuropod::app::App app(config, database(), clock, ioc.get_executor());
  std::set<std::string> registered;
  for (const auto& r : app.router().routes()) {
    registered.insert(r.method + " " + r.pattern);
  }
  std::set<std::string> documented;
  for (const auto& [method, path] : neuropod::contract::operations()) {
    documented.insert(method + " " + path);
  }
  registered.erase("POST /api/_echo");  // test-only, deliberately undocumented
  for (const auto& op : documented) {
    EXPECT_TRUE(registered.contains(op)) << op << " is in api/openapi.yaml but not served";
  }
  for (const auto& op : registered) {
    EXPECT_TRUE(documented.contains(op)) << op << " is served but not in api/openapi.yaml";
  }
}
