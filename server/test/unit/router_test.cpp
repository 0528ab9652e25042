#include "http/router.hpp"

#include <gtest/gtest.h>

#include "core/errors.hpp"

using neuropod::core::Error;
using neuropod::core::ErrorCode;
using neuropod::http::Access;
using neuropod::http::Request;
using neuropod::http::Response;
using neuropod::http::Router;

namespace {

boost::asio::awaitable<Response> ok(Request&) {
  co_return Response::no_content();
}

Router make_router() {
  Router r;
  r.get("/api/status", Access::anonymous, ok);
  r.get("/api/pods", Access::signed_in, ok);
  r.post("/api/pods", Access::signed_in, ok);
  r.get("/api/pods/{id}", Access::signed_in, ok);
  r.del("/api/pods/{id}", Access::signed_in, ok);
  r.post("/api/pods/stop", Access::signed_in, ok);
  r.post("/api/pods/{id}/stop", Access::signed_in, ok);
  r.get("/api/admin/users/{id}/sessions/{sid}", Access::admin, ok);
  return r;
}

ErrorCode failure(const Router& r, std::string_view method, std::string_view path) {
  try {
    r.match(method, path);
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}

}  // namespace

TEST(Router, MatchesLiteralRoute) {
  auto r = make_router();
  auto m = r.match("GET", "/api/status");
  EXPECT_EQ(m.route->pattern, "/api/status");
  EXPECT_TRUE(m.params.empty());
}

TEST(Router, ExtractsAndDecodesParameters) {
  auto r = make_router();
  auto m = r.match("GET", "/api/admin/users/u%201/sessions/s2");
  EXPECT_EQ(m.route->access, Access::admin);
  EXPECT_EQ(m.params.at("id"), "u 1");
  EXPECT_EQ(m.params.at("sid"), "s2");
}

TEST(Router, LiteralSegmentWinsOverParameter) {
  auto r = make_router();
  EXPECT_EQ(r.match("POST", "/api/pods/stop").route->pattern, "/api/pods/stop");
  EXPECT_EQ(r.match("POST", "/api/pods/abc/stop").route->pattern, "/api/pods/{id}/stop");
}

TEST(Router, UnknownPathIsRouteNotFound) {
  auto r = make_router();
  EXPECT_EQ(failure(r, "GET", "/api/nope"), ErrorCode::route_not_found);
  EXPECT_EQ(failure(r, "GET", "/api/pods/a/b/c"), ErrorCode::route_not_found);
  EXPECT_EQ(failure(r, "GET", "/api/pods//"), ErrorCode::route_not_found);
  EXPECT_EQ(failure(r, "GET", "relative"), ErrorCode::route_not_found);
}

TEST(Router, WrongMethodListsAllowedMethods) {
  auto r = make_router();
  try {
    r.match("PUT", "/api/pods/x");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::method_not_allowed);
    EXPECT_EQ(e.details()["allowed"], (std::vector<std::string>{"DELETE", "GET", "HEAD"}));
  }
}

TEST(Router, HeadMatchesGet) {
  auto r = make_router();
  EXPECT_EQ(r.match("HEAD", "/api/status").route->pattern, "/api/status");
}

TEST(Router, TrailingSlashIsTolerated) {
  auto r = make_router();
  EXPECT_EQ(r.match("GET", "/api/status/").route->pattern, "/api/status");
}

TEST(Router, RejectsDuplicateRoutes) {
  Router r;
  r.get("/api/pods/{id}", Access::signed_in, ok);
  EXPECT_THROW(r.get("/api/pods/{other}", Access::signed_in, ok), std::invalid_argument);
}

TEST(Router, EnumeratesRoutes) {
  auto r = make_router();
  EXPECT_EQ(r.routes().size(), 8U);
}

TEST(Router, FastRoutesNeedTheNormalRouteAndMatchExactly) {
  Router r;
  const neuropod::http::FastHandler answer = [](const neuropod::http::RequestView&) {
    return std::optional<Response>(Response::no_content());
  };
  EXPECT_THROW(r.fast("GET", "/api/pod-access/check", answer), std::invalid_argument);
  r.get("/api/pod-access/check", Access::anonymous, ok);
  r.get("/api/pods/{id}", Access::signed_in, ok);
  EXPECT_THROW(r.fast("GET", "/api/pods/{id}", answer), std::invalid_argument);
  r.fast("GET", "/api/pod-access/check", answer);
  EXPECT_NE(r.fast_match("GET", "/api/pod-access/check"), nullptr);
  EXPECT_NE(r.fast_match("HEAD", "/api/pod-access/check"), nullptr);
  EXPECT_EQ(r.fast_match("POST", "/api/pod-access/check"), nullptr);
  EXPECT_EQ(r.fast_match("GET", "/api/pod-access/check/"), nullptr);
  EXPECT_EQ(r.fast_match("GET", "/api/pods/1"), nullptr);
}
