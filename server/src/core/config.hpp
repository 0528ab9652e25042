#pragma once
// Configuration: read once from the environment (plus an optional .env file) and validated at
// start-up. Nothing else in the program reads the environment.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/money.hpp"

namespace neuropod::core {

enum class Environment : std::uint8_t { development, test, production };
std::string_view to_string(Environment env);

using EnvMap = std::map<std::string, std::string>;

struct HttpConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 3000;  // 0 = any free port (tests); the bound port is logged
  unsigned threads = 2;
  std::size_t body_limit_bytes = std::size_t{1024} * 1024;
  std::chrono::milliseconds request_timeout{30'000};  // to receive one whole request
  std::chrono::milliseconds idle_timeout{60'000};     // keep-alive wait for the next request
  std::chrono::milliseconds shutdown_grace{10'000};   // in-flight requests may finish within this
};

struct DatabaseConfig {
  std::string uri = "mongodb://127.0.0.1:27017/plataforma";
  std::string name = "plataforma";  // taken from the URI path
  unsigned threads = 4;             // blocking driver calls run on this many worker threads
  std::size_t max_queue = 1024;     // more waiting calls than this fail fast with 503
};

struct Config {
  Environment env = Environment::development;
  std::string log_level = "info";
  HttpConfig http;
  DatabaseConfig db;
  std::string app_origin = "http://localhost:5173";
  std::vector<std::string> admin_emails = {"lolerodiez@gmail.com"};
  Micros initial_balance = Micros::from_eur(10);

  // Throws ConfigError listing every problem found.
  static Config from_env(const EnvMap& env);
};

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

// The process environment, with values from `dotenv_path` (if the file exists) filling in what the
// environment does not set. Lines: KEY=VALUE, optional quotes, # comments. Throws ConfigError on a
// malformed line.
EnvMap load_environment(char** environ_ptr, const std::optional<std::string>& dotenv_path);
EnvMap parse_dotenv(const std::string& text);

}  // namespace neuropod::core
