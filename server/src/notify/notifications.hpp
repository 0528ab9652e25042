#pragma once
// Notifications: what the platform tells a user (low balance, out of credit, a pod failed, a pod
// about to be culled or culled). Each is stored in the `Log` collection (action "notification")
// before it is published as "notification.created" on the event bus, so a browser that refetches
// after the event always finds it, and the web app can list the unread ones after a reload.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/event_bus.hpp"
#include "core/time.hpp"
#include "db/database.hpp"

namespace neuropod::notify {

inline constexpr std::string_view kEvent = "notification.created";
inline constexpr std::string_view kAction = "notification";

struct Notification {
  db::Oid id;
  std::string user_id;
  std::string
      kind;  // low_balance, critical_balance, out_of_credit, pod_failed, idle_warning, pod_culled
  std::string message;
  nlohmann::json data = nlohmann::json::object();  // the kind's details
  core::TimePoint created_at;
  bool read = false;
};
nlohmann::json to_json(const Notification& n);  // the Notification schema (api/openapi.yaml)

struct Page {
  std::vector<Notification> items;         // newest first
  std::int64_t unread = 0;                 // all unread of the user
  std::optional<std::string> next_before;  // id to pass as `before` for the next page
};

class Notifications {
 public:
  Notifications(db::Database& db, core::EventBus& bus, const core::Clock& clock)
      : db_(db), bus_(bus), clock_(clock) {}

  // Stores it, then publishes it (to the user's channel and the admins'). Throws when it cannot
  // be stored (nothing published then).
  boost::asio::awaitable<Notification> send(db::Oid user, std::string kind, std::string message,
                                            nlohmann::json data = nlohmann::json::object());
  // The user's, newest first; `before`: an id from an earlier page.
  boost::asio::awaitable<Page> list(db::Oid user, bool unread_only, std::int64_t limit,
                                    std::optional<db::Oid> before);
  // Throws core::NotFound when `id` is not one of the user's notifications.
  boost::asio::awaitable<void> mark_read(db::Oid user, db::Oid id);
  // Returns how many were unread.
  boost::asio::awaitable<std::int64_t> mark_all_read(db::Oid user);

 private:
  db::Database& db_;
  core::EventBus& bus_;
  const core::Clock& clock_;
};

}  // namespace neuropod::notify
