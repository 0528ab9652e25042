#include "http/error_mapping.hpp"

#include <set>

#include <gtest/gtest.h>

using neuropod::core::ErrorCode;
namespace http = neuropod::http;
namespace core = neuropod::core;

TEST(ErrorMapping, EveryCodeHasAStatusAndAName) {
  std::set<std::string> names;
  for (auto code : core::all_error_codes()) {
    const auto status = http::status_for(code);
    EXPECT_GE(status, 400U) << core::to_string(code);
    EXPECT_LT(status, 600U) << core::to_string(code);
    names.insert(std::string(core::to_string(code)));
  }
  EXPECT_EQ(names.size(), core::all_error_codes().size()) << "names must be unique";
  EXPECT_EQ(http::status_for(ErrorCode::not_found), 404U);
  EXPECT_EQ(http::status_for(ErrorCode::validation_failed), 400U);
  EXPECT_EQ(http::status_for(ErrorCode::payload_too_large), 413U);
  EXPECT_EQ(http::status_for(ErrorCode::database_unavailable), 503U);
  EXPECT_EQ(http::status_for(ErrorCode::internal), 500U);
}

TEST(ErrorMapping, EveryCodeProducesTheOneShape) {
  for (auto code : core::all_error_codes()) {
    auto res = http::error_response(code, "msg", nullptr, "rid-1");
    const auto body = nlohmann::json::parse(res.body);
    ASSERT_TRUE(body.contains("error"));
    EXPECT_EQ(body.size(), 1U);
    EXPECT_EQ(body["error"]["code"], core::to_string(code));
    EXPECT_EQ(body["error"]["message"], "msg");
    EXPECT_EQ(body["error"]["request_id"], "rid-1");
    EXPECT_FALSE(body["error"].contains("details"));
    EXPECT_EQ(res.headers.get("content-type").value_or(""), "application/json");
  }
}

TEST(ErrorMapping, ValidationErrorCarriesFields) {
  auto res = http::response_for_exception(
      std::make_exception_ptr(core::ValidationError(
          std::vector<core::FieldError>{{"name", "is required"}, {"ports[0]", "bad"}})),
      "r");
  EXPECT_EQ(res.status, 400U);
  const auto body = nlohmann::json::parse(res.body);
  EXPECT_EQ(body["error"]["code"], "validation_failed");
  ASSERT_EQ(body["error"]["details"]["fields"].size(), 2U);
  EXPECT_EQ(body["error"]["details"]["fields"][1]["field"], "ports[0]");
}

TEST(ErrorMapping, UnknownExceptionsLeakNothing) {
  auto res = http::response_for_exception(
      std::make_exception_ptr(std::runtime_error("secret connection string")), "r2");
  EXPECT_EQ(res.status, 500U);
  EXPECT_EQ(res.body.find("secret"), std::string::npos);
  const auto body = nlohmann::json::parse(res.body);
  EXPECT_EQ(body["error"]["code"], "internal");
}

TEST(ErrorMapping, InternalErrorsLeakNothingEither) {
  auto res = http::response_for_exception(
      std::make_exception_ptr(core::Error(ErrorCode::internal, "E11000 in plataforma.User")), "r3");
  EXPECT_EQ(res.status, 500U);
  EXPECT_EQ(res.body.find("E11000"), std::string::npos);
}

TEST(ErrorMapping, MethodNotAllowedSetsAllow) {
  auto res = http::error_response(ErrorCode::method_not_allowed, "no",
                                  {{"allowed", {"GET", "HEAD"}}}, "r");
  EXPECT_EQ(res.status, 405U);
  EXPECT_EQ(res.headers.get("allow").value_or(""), "GET, HEAD");
}
