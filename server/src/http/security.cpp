#include "http/security.hpp"

#include <algorithm>

#include "core/errors.hpp"

namespace neuropod::http {

namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) {
    return {};
  }
  return std::string(s.substr(b, s.find_last_not_of(" \t") - b + 1));
}

// Only characters that can appear in an IPv4/IPv6 address: a forged header cannot inject into
// logs or rate-limit keys.
bool looks_like_ip(std::string_view s) {
  return !s.empty() && s.size() <= 45 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == '.' || c == ':';
  });
}

}  // namespace

bool SecurityMiddleware::origin_allowed(std::string_view origin) const {
  return std::find(options_.allowed_origins.begin(), options_.allowed_origins.end(), origin) !=
         options_.allowed_origins.end();
}

std::optional<Response> SecurityMiddleware::before_routing(Request& req) {
  if (options_.trust_proxy_headers) {
    if (auto cf = req.headers.get("cf-connecting-ip"); cf && looks_like_ip(trim(*cf))) {
      req.remote_ip = trim(*cf);
    } else if (auto xff = req.headers.get("x-forwarded-for")) {
      auto first = trim(xff->substr(0, xff->find(',')));
      if (looks_like_ip(first)) {
        req.remote_ip = first;
      }
    }
  }
  const bool unlimited = std::find(options_.unlimited_paths.begin(), options_.unlimited_paths.end(),
                                   req.path) != options_.unlimited_paths.end();
  if (!unlimited) {
    if (auto wait = limit_.acquire("ip:" + req.remote_ip)) {
      throw core::TooManyRequests(wait->count());
    }
  }
  if (req.method == "OPTIONS") {
    auto origin = req.headers.get("origin");
    if (!origin || !origin_allowed(*origin)) {
      throw core::Forbidden("This origin may not call the API");
    }
    auto res = Response::no_content();
    res.headers.set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE");
    res.headers.set("Access-Control-Allow-Headers", "Content-Type, X-Requested-With, X-Request-Id");
    res.headers.set("Access-Control-Max-Age", "600");
    return res;
  }
  return std::nullopt;
}

void SecurityMiddleware::after(const Request& req, Response& res) {
  if (auto origin = req.headers.get("origin"); origin && origin_allowed(*origin)) {
    res.headers.set("Access-Control-Allow-Origin", std::string(*origin));
    res.headers.set("Access-Control-Allow-Credentials", "true");
    res.headers.set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After");
  }
  res.headers.set("Vary", "Origin");
  // The API serves JSON and redirects only: nothing may run, load or frame it.
  res.headers.set(
      "Content-Security-Policy",
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  res.headers.set("X-Frame-Options", "DENY");
  res.headers.set("Referrer-Policy", "no-referrer");
  res.headers.set("Cross-Origin-Resource-Policy", "same-site");
  res.headers.set("Cross-Origin-Opener-Policy", "same-origin");
  if (options_.production) {
    res.headers.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  }
}

}  // namespace neuropod::http
