#pragma once
// The User collection: typed documents in, typed users out. Balances are only ever changed by the
// billing module; this store sets the initial balance when a client is created.
#include <optional>
#include <string>
#include <vector>

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
  std::int64_t ledger_seq = 0;  // last ledger entry applied (billing::Ledger)
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
  UserStore(db::Database& db, const core::Clock& clock) : db_(db), clock_(clock) {}

  // Users start at balance 0 and ledger_seq 0: the welcome credit is the first ledger entry
  // (auth::AuthService). Admins are never limited by balance.
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
  boost::asio::awaitable<bool> set_role(db::Oid id, Role role);

  // Admin listing: search (email, name), filters, sort and a cursor that stays stable when users
  // are added meanwhile (keyset pagination on (sort key, _id)).
  struct ListQuery {
    std::string search;
    std::optional<Role> role;
    std::optional<bool> blocked;
    std::string sort = "created_at";  // created_at | email | name | balance
    bool descending = true;
    std::int64_t limit = 50;
    std::string cursor;  // from a previous page; throws ValidationError("cursor") if malformed
  };
  struct Page {
    std::vector<User> items;
    std::string next_cursor;  // empty on the last page
    std::int64_t total = 0;   // users matching the filters, all pages
  };
  boost::asio::awaitable<Page> list(ListQuery query);

  static User from_doc(const db::Doc& doc);

 private:
  db::Database& db_;
  const core::Clock& clock_;
};

// The public view of a user (REST and WebSocket payloads).
nlohmann::json to_json(const User& u);

}  // namespace neuropod::users
