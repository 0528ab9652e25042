#include "core/config.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

namespace neuropod::core {

std::string_view to_string(Environment env) {
  switch (env) {
    case Environment::development: return "development";
    case Environment::test: return "test";
    case Environment::production: return "production";
  }
  return "development";
}

namespace {

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out += sep;
    }
    out += items[i];
  }
  return out;
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) {
    return {};
  }
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Collects problems instead of stopping at the first one.
class Reader {
 public:
  explicit Reader(const EnvMap& env) : env_(env) {}

  std::optional<std::string> raw(const std::string& key) const {
    auto it = env_.find(key);
    if (it == env_.end() || it->second.empty()) {
      return std::nullopt;
    }
    return it->second;
  }

  template <typename Int>
  void integer(const std::string& key, Int& out, long long min, long long max) {
    auto v = raw(key);
    if (!v) {
      return;
    }
    long long parsed = 0;
    const auto* end = v->data() + v->size();
    auto [ptr, ec] = std::from_chars(v->data(), end, parsed);
    if (ec != std::errc() || ptr != end) {
      problem(key, fmt::format("'{}' is not a whole number", *v));
      return;
    }
    if (parsed < min || parsed > max) {
      problem(key, fmt::format("{} is out of range [{}, {}]", parsed, min, max));
      return;
    }
    out = static_cast<Int>(parsed);
  }

  void millis(const std::string& key, std::chrono::milliseconds& out, long long min,
              long long max) {
    long long ms = out.count();
    integer(key, ms, min, max);
    out = std::chrono::milliseconds(ms);
  }

  void string(const std::string& key, std::string& out) {
    if (auto v = raw(key)) {
      out = *v;
    }
  }

  void problem(const std::string& key, const std::string& what) {
    problems_.push_back(fmt::format("{}: {}", key, what));
  }

  std::vector<std::string> problems_;

 private:
  const EnvMap& env_;
};

// mongodb://[user:pass@]host[:port][,host...]/[database][?options]
std::optional<std::string> database_from_uri(const std::string& uri, std::string& error) {
  const std::string_view scheme1 = "mongodb://";
  const std::string_view scheme2 = "mongodb+srv://";
  std::string_view rest(uri);
  if (rest.starts_with(scheme1)) {
    rest.remove_prefix(scheme1.size());
  } else if (rest.starts_with(scheme2)) {
    rest.remove_prefix(scheme2.size());
  } else {
    error = "must start with mongodb:// or mongodb+srv://";
    return std::nullopt;
  }
  const auto slash = rest.find('/');
  if (slash == 0 || rest.empty()) {
    error = "has no host";
    return std::nullopt;
  }
  if (slash == std::string_view::npos) {
    return std::string();
  }
  auto path = rest.substr(slash + 1);
  path = path.substr(0, path.find('?'));
  return std::string(path);
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
    : std::runtime_error("invalid configuration:\n  - " + join(problems, "\n  - ")),
      problems_(std::move(problems)) {}

Config Config::from_env(const EnvMap& env) {
  Config c;
  Reader r(env);

  if (auto v = r.raw("NEUROPOD_ENV")) {
    if (*v == "development") {
      c.env = Environment::development;
    } else if (*v == "test") {
      c.env = Environment::test;
    } else if (*v == "production") {
      c.env = Environment::production;
    } else {
      r.problem("NEUROPOD_ENV",
                fmt::format("'{}' is not one of development, test, production", *v));
    }
  }

  r.string("NEUROPOD_LOG_LEVEL", c.log_level);
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "off"};
  if (!kLevels.contains(c.log_level)) {
    r.problem("NEUROPOD_LOG_LEVEL",
              fmt::format("'{}' is not one of trace, debug, info, warn, error, off", c.log_level));
  }

  r.string("NEUROPOD_HOST", c.http.host);
  r.integer("NEUROPOD_PORT", c.http.port, 0, 65535);
  r.integer("NEUROPOD_HTTP_THREADS", c.http.threads, 1, 256);
  r.integer("NEUROPOD_HTTP_BODY_LIMIT_BYTES", c.http.body_limit_bytes, 1024, 64LL * 1024 * 1024);
  r.millis("NEUROPOD_HTTP_REQUEST_TIMEOUT_MS", c.http.request_timeout, 100, 600'000);
  r.millis("NEUROPOD_HTTP_IDLE_TIMEOUT_MS", c.http.idle_timeout, 100, 3'600'000);
  r.millis("NEUROPOD_SHUTDOWN_GRACE_MS", c.http.shutdown_grace, 0, 600'000);

  r.string("MONGODB_URI", c.db.uri);
  {
    std::string error;
    auto name = database_from_uri(c.db.uri, error);
    if (!name) {
      r.problem("MONGODB_URI", error);
    } else if (!name->empty()) {
      c.db.name = *name;
    }
  }
  r.integer("NEUROPOD_DB_THREADS", c.db.threads, 1, 256);
  r.integer("NEUROPOD_DB_MAX_QUEUE", c.db.max_queue, 1, 1'000'000);

  r.string("APP_ORIGIN", c.app_origin);
  if (!c.app_origin.starts_with("http://") && !c.app_origin.starts_with("https://")) {
    r.problem("APP_ORIGIN", fmt::format("'{}' must start with http:// or https://", c.app_origin));
  } else if (c.app_origin.ends_with('/')) {
    r.problem("APP_ORIGIN", "must not end with '/'");
  }

  if (auto v = r.raw("ADMIN_EMAILS")) {
    c.admin_emails.clear();
    std::stringstream ss(*v);
    std::string item;
    while (std::getline(ss, item, ',')) {
      auto email = lower(trim(item));
      if (email.empty()) {
        continue;
      }
      if (email.find('@') == std::string::npos) {
        r.problem("ADMIN_EMAILS", fmt::format("'{}' is not an email address", email));
        continue;
      }
      c.admin_emails.push_back(email);
    }
  }

  if (auto v = r.raw("NEUROPOD_INITIAL_BALANCE_EUR")) {
    try {
      c.initial_balance = Micros::parse_eur(*v);
      if (c.initial_balance < Micros(0)) {
        r.problem("NEUROPOD_INITIAL_BALANCE_EUR", "must not be negative");
      }
    } catch (const std::invalid_argument& e) {
      r.problem("NEUROPOD_INITIAL_BALANCE_EUR", fmt::format("'{}': {}", *v, e.what()));
    }
  }

  if (!r.problems_.empty()) {
    throw ConfigError(std::move(r.problems_));
  }
  return c;
}

EnvMap parse_dotenv(const std::string& text) {
  EnvMap out;
  std::stringstream ss(text);
  std::string line;
  int number = 0;
  std::vector<std::string> problems;
  while (std::getline(ss, line)) {
    ++number;
    auto t = trim(line);
    if (t.empty() || t.front() == '#') {
      continue;
    }
    if (t.starts_with("export ")) {
      t = trim(std::string_view(t).substr(7));
    }
    const auto eq = t.find('=');
    if (eq == std::string::npos || eq == 0) {
      problems.push_back(fmt::format(".env line {}: expected KEY=VALUE", number));
      continue;
    }
    auto key = trim(std::string_view(t).substr(0, eq));
    auto value = trim(std::string_view(t).substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    out[key] = value;
  }
  if (!problems.empty()) {
    throw ConfigError(std::move(problems));
  }
  return out;
}

EnvMap load_environment(char** environ_ptr, const std::optional<std::string>& dotenv_path) {
  EnvMap env;
  if (dotenv_path) {
    std::ifstream in(*dotenv_path);
    if (in) {
      std::stringstream buf;
      buf << in.rdbuf();
      env = parse_dotenv(buf.str());
    }
  }
  for (char** e = environ_ptr; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    env[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  return env;
}

}  // namespace neuropod::core
