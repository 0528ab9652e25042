#pragma once
// Cross-cutting protections for every request, before any route runs:
//   - the client IP (Cloudflare's CF-Connecting-IP / X-Forwarded-For, only when the peer is a
//     trusted proxy),
//   - a general per-IP rate limit (429 + Retry-After),
//   - CORS for the allowed origins with credentials (preflight answered here),
//   - security headers on every response (CSP, frame-ancestors, HSTS in production...).
#include <optional>
#include <string>
#include <vector>

#include "core/ip_ranges.hpp"
#include "core/rate_limiter.hpp"
#include "http/pipeline.hpp"

namespace neuropod::http {

struct SecurityOptions {
  std::vector<std::string> allowed_origins;
  bool production = false;
  bool trust_proxy_headers = false;
  // Peers whose CF-Connecting-IP / X-Forwarded-For are believed (when trust_proxy_headers).
  core::IpRanges trusted_proxies;
  // Paths (exact) not counted against the per-IP limit: the ingress controller's auth check,
  // which every request to every pod goes through from the controller's few addresses.
  std::vector<std::string> unlimited_paths;
};

// The client address a trusted proxy forwarded: CF-Connecting-IP, else the rightmost
// X-Forwarded-For address outside `trusted`; nothing when neither holds a readable address.
std::optional<std::string> forwarded_client(const Request& req, const core::IpRanges& trusted);

class SecurityMiddleware final : public Middleware {
 public:
  SecurityMiddleware(SecurityOptions options, core::RateLimiter& general_limit)
      : options_(std::move(options)), limit_(general_limit) {}

  std::optional<Response> before_routing(Request& req) override;
  void after(const Request& req, Response& res) override;

  bool origin_allowed(std::string_view origin) const;

 private:
  SecurityOptions options_;
  core::RateLimiter& limit_;
};

}  // namespace neuropod::http
