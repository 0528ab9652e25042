#pragma once
// Marks pods active cheaply: every authorised request through the ingress calls mark() (a map
// update under a mutex); flush() writes what was marked since the last flush in one bulk write,
// each pod's `last_activity_at` only moving forward ($max), so two instances flushing in any
// order agree. The idle culler reads `last_activity_at`.
//
// Open connections count too: the ingress asks the check once per connection, so a WebSocket
// that stays open for hours would be marked only when it opened. Each pod therefore runs a tiny
// "activity" container (k8s/manifests.hpp) that reads the pod's own TCP table every interval and,
// while a connection to one of the pod's ports is established, POSTs the count to
// /api/pod-access/activity with the pod's activity token (ActivityTokens below).
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/time.hpp"
#include "crypto/jwt.hpp"
#include "db/database.hpp"

namespace neuropod::access {

// The bearer token a pod's activity container reports with: an HS256 JWT
// {"typ":"pod_activity","pod":"<pod id>"} signed with a key derived from each session key (so it is
// never a session, ticket or pod cookie, and rotating the session keys rotates it). It opens
// nothing but marking that one pod active, which its owner could do anyway by opening it, so it has
// no expiry: it lives in the pod's spec as long as the pod.
class ActivityTokens {
 public:
  // keys: the session keys (kid, secret), the first one signs (see core::Config::session_keys).
  explicit ActivityTokens(const std::vector<std::pair<std::string, std::string>>& keys);
  std::string issue(const std::string& pod_id) const;
  // The pod id, or nullopt for anything but a token issue() made with a key still listed.
  std::optional<std::string> verify(std::string_view token) const;

 private:
  crypto::HmacKeyring keyring_;
};

class ActivityRecorder {
 public:
  ActivityRecorder(db::Database& db, const core::Clock& clock) : db_(db), clock_(clock) {}

  void mark(const std::string& pod_id);
  // Writes the marks taken so far; returns how many pods. A failed write puts them back.
  boost::asio::awaitable<std::size_t> flush();
  // flush() every `every` until stopped, and once more at the end.
  boost::asio::awaitable<void> run(std::chrono::milliseconds every, std::stop_token stop);

  std::size_t pending() const;

 private:
  db::Database& db_;
  const core::Clock& clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, core::TimePoint> marks_;
};

}  // namespace neuropod::access
