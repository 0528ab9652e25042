#include "http/message.hpp"

#include <thread>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

#include "core/errors.hpp"
#include "core/ids.hpp"

using neuropod::core::Error;
using neuropod::core::ErrorCode;
using neuropod::http::Request;

namespace {
ErrorCode code_of(Request& r) {
  try {
    r.json_object();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}
Request json_request(std::string body, std::string type = "application/json") {
  Request r;
  r.headers.add("Content-Type", std::move(type));
  r.body = std::move(body);
  return r;
}
}  // namespace

TEST(RequestJson, ParsesObject) {
  auto r = json_request(R"({"a":1})", "application/json; charset=utf-8");
  EXPECT_EQ(r.json_object()["a"], 1);
}

TEST(RequestJson, MalformedIsInvalidJson) {
  auto r = json_request("{\"a\":");
  EXPECT_EQ(code_of(r), ErrorCode::invalid_json);
}

TEST(RequestJson, EmptyIsInvalidJson) {
  auto r = json_request("");
  EXPECT_EQ(code_of(r), ErrorCode::invalid_json);
}

TEST(RequestJson, WrongContentTypeIs415) {
  auto r = json_request("{}", "text/plain");
  EXPECT_EQ(code_of(r), ErrorCode::unsupported_media_type);
}

TEST(RequestJson, ArrayIsValidationFailure) {
  auto r = json_request("[1]");
  EXPECT_EQ(code_of(r), ErrorCode::validation_failed);
}

TEST(RequestQuery, DecodesParameters) {
  Request r;
  r.query = "q=a%40b.c&sort=-created&flag&name=J+Doe";
  EXPECT_EQ(r.query_param("q").value(), "a@b.c");
  EXPECT_EQ(r.query_param("sort").value(), "-created");
  EXPECT_EQ(r.query_param("flag").value(), "");
  EXPECT_EQ(r.query_param("name").value(), "J Doe");
  EXPECT_FALSE(r.query_param("missing").has_value());
}

TEST(RequestQuery, WholeNumbersAndBooleansAreCheckedOnce) {
  neuropod::http::Request r;
  r.query = "limit=20&tail=0&bad=2x&neg=-1&big=99999999999999999999&follow=true&off=0&maybe=yes";
  EXPECT_EQ(r.query_int("limit", 50, 1, 200), 20);
  EXPECT_EQ(r.query_int("tail", 500, 0, 10), 0);
  EXPECT_EQ(r.query_int("absent", 50, 1, 200), 50);
  for (const char* bad : {"bad", "neg", "big"}) {
    try {
      r.query_int(bad, 1, 0, 100);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const neuropod::core::ValidationError& e) {
      EXPECT_EQ(e.fields().at(0).field, bad);
    }
  }
  EXPECT_THROW(r.query_int("limit", 1, 1, 10), neuropod::core::ValidationError) << "out of range";
  EXPECT_TRUE(r.query_bool("follow"));
  EXPECT_FALSE(r.query_bool("off", true));
  EXPECT_TRUE(r.query_bool("absent", true));
  EXPECT_THROW(r.query_bool("maybe"), neuropod::core::ValidationError);
}

TEST(Headers, CaseInsensitive) {
  neuropod::http::Headers h;
  h.add("X-Request-Id", "abc");
  EXPECT_EQ(h.get("x-request-id").value(), "abc");
  h.set("x-request-id", "def");
  EXPECT_EQ(h.items().size(), 1U);
  EXPECT_EQ(h.get("X-REQUEST-ID").value(), "def");
}

TEST(RequestId, EchoesSafeClientIdsOnly) {
  EXPECT_EQ(neuropod::core::request_id_or_new("abc-123_x.y"), "abc-123_x.y");
  const auto generated = neuropod::core::request_id_or_new("bad id\r\nInjected: 1");
  EXPECT_EQ(generated.size(), 16U);
  EXPECT_EQ(generated.find(' '), std::string::npos);
  EXPECT_EQ(neuropod::core::request_id_or_new(std::string(65, 'a')).size(), 16U);
  EXPECT_NE(neuropod::core::request_id_or_new(""), neuropod::core::request_id_or_new(""));
}

TEST(RequestId, NewIdsAreHexAndDoNotRepeatWithinOrAcrossThreads) {
  constexpr int kPerThread = 50'000;
  std::vector<std::string> a;
  std::vector<std::string> b;
  auto fill = [](std::vector<std::string>& out) {
    out.reserve(kPerThread);
    for (int i = 0; i < kPerThread; ++i) {
      out.push_back(neuropod::core::new_request_id());
    }
  };
  std::thread other(fill, std::ref(b));
  fill(a);
  other.join();
  std::unordered_set<std::string> seen;
  for (const auto* ids : {&a, &b}) {
    for (const auto& id : *ids) {
      ASSERT_EQ(id.size(), 16U);
      ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
      seen.insert(id);
    }
  }
  EXPECT_EQ(seen.size(), 2U * kPerThread);
}

TEST(Cookies, FindsANamedCookieAmongSeveralHeaders) {
  neuropod::http::Request req;
  req.headers.add("Cookie", "a=1; neuropod_session=abc.def.ghi; b=2");
  req.headers.add("cookie", "c=\"quoted\"");
  EXPECT_EQ(req.cookie("neuropod_session"), "abc.def.ghi");
  EXPECT_EQ(req.cookie("b"), "2");
  EXPECT_EQ(req.cookie("c"), "quoted");
  EXPECT_FALSE(req.cookie("session").has_value()) << "no prefix matches";
  EXPECT_FALSE(req.cookie("missing").has_value());
}

TEST(Cookies, SetCookieCarriesEveryFlag) {
  neuropod::http::CookieSpec c{.name = "s",
                               .value = "v",
                               .path = "/",
                               .domain = "neuropod.online",
                               .max_age = std::chrono::seconds(60),
                               .http_only = true,
                               .secure = true,
                               .same_site = "Lax"};
  EXPECT_EQ(neuropod::http::set_cookie_value(c),
            "s=v; Path=/; Domain=neuropod.online; Max-Age=60; HttpOnly; Secure; SameSite=Lax");
  c.domain.clear();
  c.secure = false;
  c.max_age = std::chrono::seconds(0);
  EXPECT_EQ(neuropod::http::set_cookie_value(c), "s=v; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
}
