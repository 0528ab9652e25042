#include "core/event_bus.hpp"

#include <vector>

#include "core/logging.hpp"

namespace neuropod::core {

EventBus::Subscription& EventBus::Subscription::operator=(Subscription&& o) noexcept {
  if (this != &o) {
    reset();
    bus_ = o.bus_;
    id_ = o.id_;
    o.bus_ = nullptr;
  }
  return *this;
}

void EventBus::Subscription::reset() {
  if (bus_ != nullptr) {
    bus_->unsubscribe(id_);
    bus_ = nullptr;
  }
}

EventBus::Subscription EventBus::subscribe(Handler handler) {
  std::lock_guard g(mu_);
  const std::uint64_t id = next_id_++;
  handlers_.emplace(id, std::make_shared<Handler>(std::move(handler)));
  return {this, id};
}

void EventBus::unsubscribe(std::uint64_t id) {
  std::lock_guard g(mu_);
  handlers_.erase(id);
}

std::size_t EventBus::subscribers() const {
  std::lock_guard g(mu_);
  return handlers_.size();
}

void EventBus::publish(const Event& event) const {
  std::vector<std::shared_ptr<Handler>> handlers;
  {
    std::lock_guard g(mu_);
    handlers.reserve(handlers_.size());
    for (const auto& [id, h] : handlers_) {
      handlers.push_back(h);
    }
  }
  for (const auto& h : handlers) {
    try {
      (*h)(event);
    } catch (const std::exception& e) {
      log::warn("events.handler_failed", {{"type", event.type}, {"error", e.what()}});
    }
  }
}

}  // namespace neuropod::core
