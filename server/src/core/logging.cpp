#include "core/logging.hpp"

#include <chrono>
#include <memory>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "core/time.hpp"

namespace neuropod::log {
namespace {

std::shared_ptr<spdlog::logger>& logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto l = std::make_shared<spdlog::logger>("neuropod",
                                              std::make_shared<spdlog::sinks::stdout_sink_mt>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::info);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return instance;
}

spdlog::level::level_enum to_spd(Level level) {
  switch (level) {
    case Level::trace: return spdlog::level::trace;
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

std::string_view name(Level level) {
  switch (level) {
    case Level::trace: return "trace";
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}

}  // namespace

void init(const std::string& level) {
  logger()->set_level(spdlog::level::from_str(level));
}

bool enabled(Level level) {
  return logger()->should_log(to_spd(level));
}

void write(Level level, std::string_view msg, const nlohmann::json& fields) {
  if (!enabled(level)) {
    return;
  }
  nlohmann::json line = {{"ts", core::to_iso8601(std::chrono::system_clock::now())},
                         {"level", name(level)},
                         {"msg", msg}};
  if (fields.is_object()) {
    for (const auto& [k, v] : fields.items()) {
      line[k] = v;
    }
  }
  // Replace invalid UTF-8 rather than throwing from a log call.
  logger()->log(to_spd(level), line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace neuropod::log
