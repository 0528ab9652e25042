#pragma once
// Request and response as the router and handlers see them: plain values, no Beast types, so that
// only server.cpp pays for Beast's compile time.
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

  // The body as JSON. Throws core::Error: unsupported_media_type when the content type is not
  // application/json, invalid_json when it does not parse. Parsed once.
  const nlohmann::json& json();
  // The body as a JSON object (validation_failed otherwise).
  const nlohmann::json& json_object();
  // Decoded query parameter (first occurrence).
  std::optional<std::string> query_param(std::string_view name) const;

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

// %XX sequences decoded; '+' becomes a space only in query strings.
std::string percent_decode(std::string_view in, bool plus_as_space = false);

}  // namespace neuropod::http
