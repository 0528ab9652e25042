#include "http/security.hpp"

#include <algorithm>

#include <boost/algorithm/string/predicate.hpp>

#include "core/errors.hpp"

namespace neuropod::http {

// Addresses are parsed, then printed again (to_string): a forged header cannot inject into
// logs or rate-limit keys.
std::optional<std::string> forwarded_client(const Request& req, const core::IpRanges& trusted) {
  if (auto cf = req.headers.get("cf-connecting-ip")) {
    if (auto a = core::parse_ip(*cf)) {
      return a->to_string();
    }
  }
  // Several X-Forwarded-For lines are one comma-separated list, in order.
  std::string xff;
  for (const auto& [name, value] : req.headers.items()) {
    if (boost::algorithm::iequals(name, "x-forwarded-for")) {
      xff += xff.empty() ? value : "," + value;
    }
  }
  // Each proxy appends the address it was reached from: the rightmost address that is not one
  // of ours is the client (the ones left of it are whatever the client claimed).
  std::optional<std::string> leftmost;
  std::string_view rest = xff;
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    const auto item = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    const auto a = core::parse_ip(item);
    if (!a) {
      return std::nullopt;  // a hop we cannot read: believe nothing further left
    }
    if (!trusted.contains(*a)) {
      return a->to_string();
    }
    leftmost = a->to_string();
  }
  return leftmost;  // every hop was a trusted proxy
}

bool SecurityMiddleware::origin_allowed(std::string_view origin) const {
  return std::find(options_.allowed_origins.begin(), options_.allowed_origins.end(), origin) !=
         options_.allowed_origins.end();
}

std::optional<Response> SecurityMiddleware::before_routing(Request& req) {
  if (options_.trust_proxy_headers && options_.trusted_proxies.contains(req.remote_ip)) {
    req.remote_ip = forwarded_client(req, options_.trusted_proxies).value_or(req.remote_ip);
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
