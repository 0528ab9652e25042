#pragma once
// In-process publish/subscribe of domain events (pod status changes, balance changes, ...): the
// real-time layer forwards them to browsers. Handlers run synchronously in the publisher's thread,
// so they must be quick and must not block (post work elsewhere); what they throw is logged.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace neuropod::core {

struct Event {
  std::string type;     // e.g. "pod.status"
  std::string user_id;  // whom it concerns (admins see every event)
  nlohmann::json data;
};

class EventBus {
 public:
  using Handler = std::function<void(const Event&)>;

  // Unsubscribes when destroyed. Must not outlive the bus.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(EventBus* bus, std::uint64_t id) : bus_(bus), id_(id) {}
    ~Subscription() { reset(); }
    Subscription(Subscription&& o) noexcept : bus_(o.bus_), id_(o.id_) { o.bus_ = nullptr; }
    Subscription& operator=(Subscription&& o) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    void reset();

   private:
    EventBus* bus_ = nullptr;
    std::uint64_t id_ = 0;
  };

  [[nodiscard]] Subscription subscribe(Handler handler);
  void publish(const Event& event) const;
  std::size_t subscribers() const;

 private:
  void unsubscribe(std::uint64_t id);

  mutable std::mutex mu_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::shared_ptr<Handler>> handlers_;
};

}  // namespace neuropod::core
