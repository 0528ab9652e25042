#pragma once
// Request and response as the router and handlers see them: plain values, no Beast types, so that
// only server.cpp pays for Beast's compile time.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace neuropod::http {

class Headers {
 public:
  // Case-insensitive lookup of the first value.
  std::optional<std::string_view> get(std::string_view name) const;
  // Replaces every value of `name`.
  void set(std::string name, std::string value);
  void add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// Who is calling, once the auth middleware has checked the session.
struct Principal {
  std::string user_id;  // hex ObjectId
  std::string session_id;
  std::string email;
  bool admin = false;
};

struct Request {
  std::string method;  // upper case, e.g. "GET"
  std::string target;  // as sent: path + query
  std::string path;    // percent-decoded per segment by the router, here raw
  std::string query;   // after '?', raw
  Headers headers;
  std::string body;
  std::string remote_ip;
  std::string request_id;
  std::map<std::string, std::string> params;  // from the route pattern, percent-decoded
  std::optional<Principal> principal;         // set by the auth middleware on signed-in routes

  // The signed-in caller; throws core::Unauthorized when there is none (anonymous route).
  const Principal& caller() const;

  // The body as JSON. Throws core::Error: unsupported_media_type when the content type is not
  // application/json, invalid_json when it does not parse. Parsed once.
  const nlohmann::json& json();
  // The body as a JSON object (validation_failed otherwise).
  const nlohmann::json& json_object();
  // Decoded query parameter (first occurrence).
  std::optional<std::string> query_param(std::string_view name) const;
  // Value of a cookie from the Cookie header(s).
  std::optional<std::string> cookie(std::string_view name) const;

 private:
  std::optional<nlohmann::json> json_;
};

struct Response {
  unsigned status = 200;
  Headers headers;
  std::string body;

  static Response json(unsigned status, const nlohmann::json& body);
  static Response no_content();
};

struct CookieSpec {
  std::string name;
  std::string value;
  std::string path = "/";
  std::string domain;                           // empty = host-only
  std::optional<std::chrono::seconds> max_age;  // nullopt = session cookie; 0 = delete
  bool http_only = true;
  bool secure = false;
  std::string same_site = "Lax";
};
// The Set-Cookie header value.
std::string set_cookie_value(const CookieSpec& c);

// %XX sequences decoded; '+' becomes a space only in query strings.
std::string percent_decode(std::string_view in, bool plus_as_space = false);

}  // namespace neuropod::http
