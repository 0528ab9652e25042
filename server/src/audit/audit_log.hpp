#pragma once
// The audit trail in the `Log` collection: who did what, to whom, from where. Append-only.
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/time.hpp"
#include "db/database.hpp"
#include "http/message.hpp"

namespace neuropod::audit {

// Actions written by the server. Keep in step with AuditAction in api/openapi.yaml.
namespace action {
inline constexpr std::string_view kSignIn = "auth.sign_in";
inline constexpr std::string_view kSignInFailed = "auth.sign_in_failed";
inline constexpr std::string_view kSignOut = "auth.sign_out";
inline constexpr std::string_view kSessionRevoked = "auth.session_revoked";
inline constexpr std::string_view kUserBlocked = "user.blocked";
inline constexpr std::string_view kUserUnblocked = "user.unblocked";
}  // namespace action

struct Actor {
  std::string user_id;  // empty when anonymous (e.g. a failed sign-in)
  std::string email;
  std::string ip;
  std::string user_agent;
};

// The caller of a request as an actor (anonymous when not signed in).
Actor actor_of(const http::Request& req);

struct Entry {
  std::string_view action;
  Actor actor;
  std::string subject_user_id;  // the user the action is about (defaults to the actor)
  nlohmann::json details = nlohmann::json::object();
};

class AuditLog {
 public:
  AuditLog(db::Database& db, const core::Clock& clock) : db_(db), clock_(clock) {}
  // Throws when the database does not take it: an action that must be audited fails with it.
  boost::asio::awaitable<void> record(Entry entry);

  struct Query {
    std::optional<std::string> user_id;
    std::optional<std::string> action;
    std::optional<db::Oid> before;  // an entry's id: only older ones (the next page)
    std::int64_t limit = 50;
  };
  // Newest first. Throws ValidationError (before) when `before` names no entry.
  boost::asio::awaitable<nlohmann::json> list(Query query);

 private:
  db::Database& db_;
  const core::Clock& clock_;
};

}  // namespace neuropod::audit
