#pragma once
// Structured JSON logs, one object per line on stdout:
//   {"ts":"...","level":"info","msg":"http.request","request_id":"...",...}
// Every line about a request carries its request_id field.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace neuropod::log {

enum class Level { trace, debug, info, warn, error };

// Call once at start-up. `level` is one of trace, debug, info, warn, error, off.
void init(const std::string& level);
bool enabled(Level level);
void write(Level level, std::string_view msg, const nlohmann::json& fields);

inline void debug(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
  write(Level::debug, msg, fields);
}
inline void info(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
  write(Level::info, msg, fields);
}
inline void warn(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
  write(Level::warn, msg, fields);
}
inline void error(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
  write(Level::error, msg, fields);
}

}  // namespace neuropod::log
