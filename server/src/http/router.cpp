#include "http/router.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "core/errors.hpp"

namespace neuropod::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  // One trailing slash is tolerated ("/api/status/"); empty segments are kept so that
  // "/api/pods//" never matches "/api/pods".
  if (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
  }
  std::vector<std::string_view> out;
  std::size_t start = 1;
  for (;;) {
    const auto slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(std::min(start, path.size())));
      break;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add(std::string method, std::string pattern, Access access, Handler handler) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  }
  Route r{RouteInfo{std::move(method), pattern, access}, {}, std::move(handler)};
  for (auto seg : split_path(pattern)) {
    r.segments.emplace_back(seg);
  }
  auto shape = [](const std::vector<std::string>& segs) {
    std::vector<std::string> out;
    out.reserve(segs.size());
    for (const auto& s : segs) {
      out.push_back(is_param(s) ? "{}" : s);
    }
    return out;
  };
  for (const auto& existing : routes_) {
    if (existing.info.method == r.info.method && shape(existing.segments) == shape(r.segments)) {
      throw std::invalid_argument("duplicate route: " + r.info.method + " " + pattern);
    }
  }
  routes_.push_back(std::move(r));
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  if (path.empty() || path.front() != '/') {
    throw core::Error(core::ErrorCode::route_not_found, "No such route");
  }
  const auto segments = split_path(path);
  const std::string_view wanted = method == "HEAD" ? std::string_view("GET") : method;
  std::set<std::string> allowed;
  // A route with more literal segments wins over one with parameters ("/pods/stop" before
  // "/pods/{id}").
  const Route* best = nullptr;
  std::size_t best_literals = 0;
  for (const auto& r : routes_) {
    if (r.segments.size() != segments.size()) {
      continue;
    }
    bool ok = true;
    std::size_t literals = 0;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      if (is_param(r.segments[i])) {
        ok = !segments[i].empty();
      } else {
        ok = r.segments[i] == segments[i];
        ++literals;
      }
    }
    if (!ok) {
      continue;
    }
    allowed.insert(r.info.method);
    if (r.info.method == wanted && (best == nullptr || literals > best_literals)) {
      best = &r;
      best_literals = literals;
    }
  }
  if (best == nullptr) {
    if (allowed.empty()) {
      throw core::Error(core::ErrorCode::route_not_found, "No such route");
    }
    if (allowed.contains("GET")) {
      allowed.insert("HEAD");
    }
    throw core::Error(core::ErrorCode::method_not_allowed,
                      "Method " + std::string(method) + " is not allowed here",
                      {{"allowed", std::vector<std::string>(allowed.begin(), allowed.end())}});
  }
  Match m{&best->handler, &best->info, {}};
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (is_param(best->segments[i])) {
      const auto& seg = best->segments[i];
      m.params[seg.substr(1, seg.size() - 2)] = percent_decode(segments[i]);
    }
  }
  return m;
}

void Router::fast(std::string method, std::string path, FastHandler handler) {
  const bool routed = std::any_of(routes_.begin(), routes_.end(), [&](const Route& r) {
    return r.info.method == method && r.info.pattern == path;
  });
  if (!routed || path.find('{') != std::string::npos) {
    throw std::invalid_argument(
        "a fast route needs a normal route with the same method and path: " + method + " " + path);
  }
  fast_.push_back(FastRoute{std::move(method), std::move(path), std::move(handler)});
}

const FastHandler* Router::fast_match(std::string_view method, std::string_view path) const {
  for (const auto& f : fast_) {
    if (f.path == path && (f.method == method || (method == "HEAD" && f.method == "GET"))) {
      return &f.handler;
    }
  }
  return nullptr;
}

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  out.reserve(routes_.size());
  for (const auto& r : routes_) {
    out.push_back(r.info);
  }
  return out;
}

}  // namespace neuropod::http
