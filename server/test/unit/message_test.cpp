#include "http/message.hpp"

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
