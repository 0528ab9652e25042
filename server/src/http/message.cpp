#include "http/message.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/errors.hpp"

namespace neuropod::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (iequals(k, name)) {
      return std::string_view(v);
    }
  }
  return std::nullopt;
}

void Headers::set(std::string name, std::string value) {
  std::erase_if(items_, [&](const auto& kv) { return iequals(kv.first, name); });
  items_.emplace_back(std::move(name), std::move(value));
}

std::string percent_decode(std::string_view in, bool plus_as_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_as_space && in[i] == '+' ? ' ' : in[i]);
  }
  return out;
}

const nlohmann::json& Request::json() {
  if (json_) {
    return *json_;
  }
  const auto type = headers.get("content-type").value_or("");
  const auto base = type.substr(0, type.find(';'));
  std::string lowered(base);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  lowered.erase(std::remove(lowered.begin(), lowered.end(), ' '), lowered.end());
  if (lowered != "application/json") {
    throw core::Error(core::ErrorCode::unsupported_media_type,
                      "The request body must be JSON (Content-Type: application/json)",
                      {{"content_type", std::string(type)}});
  }
  if (body.empty()) {
    throw core::Error(core::ErrorCode::invalid_json,
                      "The request body is empty; a JSON value was expected");
  }
  try {
    json_ = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw core::Error(core::ErrorCode::invalid_json, "The request body is not valid JSON",
                      {{"position", e.byte}});
  }
  return *json_;
}

const nlohmann::json& Request::json_object() {
  const auto& j = json();
  if (!j.is_object()) {
    throw core::ValidationError("", "the request body must be a JSON object");
  }
  return j;
}

std::int64_t Request::query_int(const std::string& name, std::int64_t fallback, std::int64_t min,
                                std::int64_t max) const {
  const auto v = query_param(name);
  if (!v) {
    return fallback;
  }
  std::int64_t n = 0;
  const auto* end = v->data() + v->size();
  const auto [ptr, ec] = std::from_chars(v->data(), end, n);
  if (ec != std::errc() || ptr != end || v->empty() || n < min || n > max) {
    throw core::ValidationError(
        name, "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return n;
}

bool Request::query_bool(const std::string& name, bool fallback) const {
  const auto v = query_param(name);
  if (!v) {
    return fallback;
  }
  if (*v == "true" || *v == "1") {
    return true;
  }
  if (*v == "false" || *v == "0") {
    return false;
  }
  throw core::ValidationError(name, "must be true or false");
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::string_view q(query);
  while (!q.empty()) {
    const auto amp = q.find('&');
    auto pair = q.substr(0, amp);
    const auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    if (key == name) {
      return eq == std::string_view::npos ? std::string()
                                          : percent_decode(pair.substr(eq + 1), true);
    }
    if (amp == std::string_view::npos) {
      break;
    }
    q.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::optional<std::string_view> cookie_in(std::string_view header, std::string_view name) {
  std::string_view rest(header);
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    auto pair = rest.substr(0, semi);
    while (!pair.empty() && pair.front() == ' ') {
      pair.remove_prefix(1);
    }
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      auto value = pair.substr(eq + 1);
      while (!value.empty() && value.back() == ' ') {
        value.remove_suffix(1);
      }
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
    if (semi == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(semi + 1);
  }
  return std::nullopt;
}

std::optional<std::string> Request::cookie(std::string_view name) const {
  for (const auto& [k, v] : headers.items()) {
    if (k.size() != 6 || !std::equal(k.begin(), k.end(), "cookie", [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      continue;
    }
    if (const auto value = cookie_in(v, name)) {
      return std::string(*value);
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::bearer() const {
  constexpr std::string_view kBearer = "Bearer ";
  const auto header = headers.get("Authorization");
  if (!header || header->size() <= kBearer.size() || !header->starts_with(kBearer)) {
    return std::nullopt;
  }
  return header->substr(kBearer.size());
}

const Principal& Request::caller() const {
  if (!principal) {
    throw core::Unauthorized("missing");
  }
  return *principal;
}

std::string set_cookie_value(const CookieSpec& c) {
  std::string out = c.name + "=" + c.value + "; Path=" + c.path;
  if (!c.domain.empty()) {
    out += "; Domain=" + c.domain;
  }
  if (c.max_age) {
    out += "; Max-Age=" + std::to_string(c.max_age->count());
  }
  if (c.http_only) {
    out += "; HttpOnly";
  }
  if (c.secure) {
    out += "; Secure";
  }
  if (!c.same_site.empty()) {
    out += "; SameSite=" + c.same_site;
  }
  return out;
}

Response Response::json(unsigned status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json");
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response Response::no_content() {
  Response r;
  r.status = 204;
  return r;
}

Response Response::streamed(unsigned status, std::string content_type, StreamProducer producer) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", std::move(content_type));
  r.stream = std::move(producer);
  return r;
}

Response Response::upgrade(WebSocketHandler handler) {
  Response r;
  r.status = 101;
  r.websocket = std::move(handler);
  return r;
}

}  // namespace neuropod::http
