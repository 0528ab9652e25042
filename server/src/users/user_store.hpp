#pragma once
// The User collection: typed documents in, typed users out. Balances are only ever changed by the
// billing module; this store sets the initial balance when a client is created.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <boost/asio/awaitable.hpp>

#include "core/money.hpp"
#include "core/time.hpp"
#include "db/database.hpp"

namespace neuropod::users {

enum class Role { admin, client };
std::string_view to_string(Role role);

struct User {
  db::Oid id;
  std::string google_id;
  std::string email;  // normalized: trimmed, lower case
  std::string name;
  std::string avatar_url;
  Role role = Role::client;
  core::Micros balance;
  bool blocked = false;
  core::TimePoint created_at;
  core::TimePoint updated_at;
};

struct NewUser {
  std::string google_id;
  std::string email;
  std::string name;
  std::string avatar_url;
  Role role = Role::client;
};

// Trims and lower-cases; throws core::ValidationError (field "email") when it is not an address.
std::string normalize_email(std::string_view email);

class EmailTaken : public core::Conflict {
 public:
  explicit EmailTaken(const std::string& email)
      : core::Conflict("A user with this email already exists", {{"email", email}}) {}
};

class UserStore {
 public:
  UserStore(db::Database& db, const core::Clock& clock, core::Micros initial_balance)
      : db_(db), clock_(clock), initial_balance_(initial_balance) {}

  // Clients start with the initial balance; admins are never limited by balance (0 stored).
  // Throws EmailTaken when the (normalized) email or Google id already exists.
  boost::asio::awaitable<User> create(NewUser user);
  boost::asio::awaitable<std::optional<User>> find_by_id(db::Oid id);
  boost::asio::awaitable<std::optional<User>> find_by_email(std::string email);
  boost::asio::awaitable<std::optional<User>> find_by_google_id(std::string google_id);

  // Sign-in keeps the Google id, email, name and avatar up to date, and may promote to admin.
  struct ProfileUpdate {
    std::string google_id;
    std::string email;
    std::string name;
    std::string avatar_url;
    bool promote_to_admin = false;
  };
  // Returns the updated user, or nullopt when it no longer exists.
  boost::asio::awaitable<std::optional<User>> update_profile(db::Oid id, ProfileUpdate update);
  // Returns false when the user does not exist.
  boost::asio::awaitable<bool> set_blocked(db::Oid id, bool blocked);

  static User from_doc(const db::Doc& doc);

 private:
  db::Database& db_;
  const core::Clock& clock_;
  core::Micros initial_balance_;
};

// The public view of a user (REST and WebSocket payloads).
nlohmann::json to_json(const User& u);

}  // namespace neuropod::users
