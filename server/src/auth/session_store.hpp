#pragma once
// The Session collection: one document per signed-in browser or client. Deleting the document
// revokes the session (the JWT alone is never enough: every request checks the document, through
// a short cache). Expired documents are purged by the server (no TTL indexes).
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/time.hpp"
#include "db/database.hpp"

namespace neuropod::auth {

struct Session {
  db::Oid id;
  db::Oid user_id;
  std::string method;  // "google" | "dev"
  core::TimePoint created_at;
  core::TimePoint last_seen_at;
  core::TimePoint expires_at;
  std::string ip;
  std::string user_agent;
};

nlohmann::json to_json(const Session& s, bool current);

class SessionStore {
 public:
  SessionStore(db::Database& db, const core::Clock& clock) : db_(db), clock_(clock) {}

  struct NewSession {
    db::Oid user_id;
    std::string method;
    std::string ip;
    std::string user_agent;
    std::chrono::seconds ttl;
  };
  boost::asio::awaitable<Session> create(NewSession s);
  boost::asio::awaitable<std::optional<Session>> find(db::Oid id);
  // Active (unexpired) sessions of a user, newest first.
  boost::asio::awaitable<std::vector<Session>> list_for_user(db::Oid user_id);
  boost::asio::awaitable<void> touch(db::Oid id, std::string ip);
  // Deletes one session; with `owner`, only if it belongs to that user. Returns whether it existed.
  boost::asio::awaitable<bool> revoke(db::Oid id, std::optional<db::Oid> owner);
  // Every session of a user (sign out everywhere, block). Returns how many.
  boost::asio::awaitable<std::int64_t> revoke_all(db::Oid user_id);
  // Sessions that expired before now. Idempotent; returns how many were removed.
  boost::asio::awaitable<std::int64_t> purge_expired();

 private:
  db::Database& db_;
  const core::Clock& clock_;
};

}  // namespace neuropod::auth
