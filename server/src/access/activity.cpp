#include "access/activity.hpp"

#include "core/logging.hpp"
#include "core/sleep.hpp"
#include "db/bson.hpp"
#include "db/schema.hpp"

namespace neuropod::access {

namespace asio = boost::asio;

namespace {

constexpr std::string_view kActivityType = "pod_activity";

}  // namespace

ActivityTokens::ActivityTokens(const std::vector<std::pair<std::string, std::string>>& keys)
    : keyring_(crypto::HmacKeyring::derived(keys, "neuropod pod activity v1")) {}

std::string ActivityTokens::issue(const std::string& pod_id) const {
  return keyring_.sign({{"typ", kActivityType}, {"pod", pod_id}});
}

std::optional<std::string> ActivityTokens::verify(std::string_view token) const {
  nlohmann::json payload;
  try {
    payload = keyring_.verify(token);
  } catch (const crypto::JwtError&) {
    return std::nullopt;
  }
  const auto typ = payload.find("typ");
  const auto pod = payload.find("pod");
  if (typ == payload.end() || *typ != kActivityType || pod == payload.end() || !pod->is_string() ||
      !db::Oid::parse(pod->get<std::string>())) {
    return std::nullopt;
  }
  return pod->get<std::string>();
}

void ActivityRecorder::mark(const std::string& pod_id) {
  const auto now = clock_.now();
  std::lock_guard lock(mu_);
  auto& t = marks_[pod_id];
  if (t < now) {
    t = now;
  }
}

std::size_t ActivityRecorder::pending() const {
  std::lock_guard lock(mu_);
  return marks_.size();
}

asio::awaitable<std::size_t> ActivityRecorder::flush() {
  std::unordered_map<std::string, core::TimePoint> taken;
  {
    std::lock_guard lock(mu_);
    taken.swap(marks_);
  }
  if (taken.empty()) {
    co_return 0;
  }
  std::optional<std::string> failure;
  try {
    co_await db_.run([&taken](db::Conn& c) {
      auto bulk = c.collection(db::collections::kPod).bulk(false);
      for (const auto& [id, t] : taken) {
        const auto oid = db::Oid::parse(id);
        if (!oid) {
          continue;
        }
        db::Doc filter;
        filter.append("_id", *oid);
        db::Doc max;
        max.append("last_activity_at", t);
        db::Doc update;
        update.append("$max", max);
        bulk.update_one(filter, update);
      }
      if (bulk.size() > 0) {
        bulk.execute();
      }
    });
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (failure) {
    log::warn("access.activity_flush_failed", {{"pods", taken.size()}, {"error", *failure}});
    std::lock_guard lock(mu_);
    for (const auto& [id, t] : taken) {
      auto& mine = marks_[id];
      if (mine < t) {
        mine = t;
      }
    }
    co_return 0;
  }
  co_return taken.size();
}

asio::awaitable<void> ActivityRecorder::run(std::chrono::milliseconds every, std::stop_token stop) {
  // Not `while (co_await ...)`: g++ 12 miscompiles a co_await in a loop condition (the frame's
  // copy of `stop` is read after it is gone).
  for (;;) {
    const bool more = co_await core::sleep_for(every, stop);
    co_await flush();
    if (!more) {
      break;
    }
  }
}

}  // namespace neuropod::access
